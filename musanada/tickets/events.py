"""How an event reads to people: made from its code and values when displayed, in the reader's language."""

from django.utils.translation import gettext as _

from musanada.org.models import Category, OrgUnit, localized_name
from musanada.tickets.workflow import EventKind, Priority


def _unit_name(code: str) -> str:
    unit = OrgUnit.objects.filter(code=code).first()
    return localized_name(unit) if unit else code


def _category_name(code: str) -> str:
    category = Category.objects.select_related("parent").filter(code=code).first()
    return str(category) if category else code


def _field_value(field: str, value: str) -> str:
    if field == "category":
        return _category_name(value)
    if field == "priority":
        return str(Priority(value).label) if value in Priority.values else value
    return value


FIELD_LABELS = {"category": "category", "priority": "priority", "subject": "subject"}


def describe(event) -> str:
    """One line that says what happened, e.g. "Escalated from X to Y"."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.FILED:
        return _("Filed for %(unit)s, received by %(desk)s") % {
            "unit": _unit_name(data.get("unit", "")), "desk": _unit_name(data.get("desk", "")),
        }
    if kind == EventKind.ROUTED_UP:
        return _("Sent up to %(desk)s: nobody answers yet at %(skipped)s") % {
            "desk": _unit_name(data.get("desk", "")),
            "skipped": "، ".join(_unit_name(code) for code in data.get("skipped", [])),
        }
    if kind in (EventKind.ESCALATED, EventKind.RETURNED, EventKind.TRANSFERRED):
        text = {
            EventKind.ESCALATED: _("Referred from %(source)s to %(target)s"),
            EventKind.RETURNED: _("Returned from %(source)s to %(target)s"),
            EventKind.TRANSFERRED: _("Transferred from %(source)s to %(target)s"),
        }[kind]
        return text % {
            "source": _unit_name(data.get("from", {}).get("code", "")),
            "target": _unit_name(data.get("to", {}).get("code", "")),
        }
    if kind == EventKind.REQUALIFIED:
        labels = {"category": _("category"), "priority": _("priority"), "subject": _("subject")}
        parts = [
            _("%(field)s: %(old)s → %(new)s") % {
                "field": labels.get(field, field), "old": _field_value(field, old), "new": _field_value(field, new),
            }
            for field, (old, new) in data.get("changes", {}).items()
        ]
        return _("Requalified") + (" — " + "؛ ".join(parts) if parts else "")
    if kind == EventKind.ASSIGNED:
        return _("Assigned to %(user)s") % {"user": data.get("assignee", "")}
    if kind == EventKind.RATED:
        return _("Rated %(score)s out of 5") % {"score": data.get("score", "")}
    if kind == EventKind.CLOSED and data.get("automatic"):
        return _("Closed automatically after the confirmation delay")
    return str(EventKind(kind).label)
