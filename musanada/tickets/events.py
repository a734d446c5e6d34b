"""How events read to people: made from their codes and values when displayed, in the reader's language."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from musanada.org.models import Category, OrgUnit, localized_name
from musanada.tickets.workflow import EventKind, Priority

_MOVES = (EventKind.ESCALATED, EventKind.RETURNED, EventKind.TRANSFERRED)


def _codes(events):
    units, categories = set(), set()
    for event in events:
        data = event.data or {}
        units.update(code for code in (data.get("unit"), data.get("desk")) if isinstance(code, str))
        units.update(data.get("skipped", []))
        for end in ("from", "to"):
            if isinstance(data.get(end), dict):
                units.add(data[end].get("code"))
        category_change = data.get("changes", {}).get("category")
        if category_change:
            categories.update(category_change)
    return units - {None}, categories


class _Names:
    """Unit, category and people's names for a batch of events, fetched in a query each (none when the
    events name none)."""

    def __init__(self, events, known_units=()):
        unit_codes, category_codes = _codes(events)
        self.units = {unit.code: localized_name(unit) for unit in known_units if unit.code in unit_codes}
        missing = unit_codes - self.units.keys()
        for unit in OrgUnit.objects.filter(code__in=missing) if missing else ():
            self.units[unit.code] = localized_name(unit)
        usernames = {
            (event.data or {}).get("assignee") for event in events if event.kind == EventKind.ASSIGNED
        }
        usernames.discard(None)
        people = get_user_model().objects.filter(username__in=usernames) if usernames else ()
        self.people = {person.username: str(person) for person in people}
        self.categories = {
            category.code: str(category)
            for category in Category.objects.select_related("parent").filter(code__in=category_codes)
        }

    def unit(self, code) -> str:
        return self.units.get(code, code or "")

    def person(self, username) -> str:
        return self.people.get(username, username or "")

    def value(self, field: str, value: str) -> str:
        if field == "category":
            return self.categories.get(value, value)
        if field == "priority" and value in Priority.values:
            return str(Priority(value).label)
        return value


def _describe(event, names: _Names) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.FILED:
        return _("Filed for %(unit)s, received by %(desk)s") % {
            "unit": names.unit(data.get("unit")),
            "desk": names.unit(data.get("desk")),
        }
    if kind == EventKind.ROUTED_UP:
        return _("Sent up to %(desk)s: nobody answers yet at %(skipped)s") % {
            "desk": names.unit(data.get("desk")),
            "skipped": pgettext("list separator", ", ").join(
                names.unit(code) for code in data.get("skipped", [])
            ),
        }
    if kind in _MOVES:
        moved: dict[str, str] = {
            EventKind.ESCALATED: _("Referred from %(source)s to %(target)s"),
            EventKind.RETURNED: _("Returned from %(source)s to %(target)s"),
            EventKind.TRANSFERRED: _("Transferred from %(source)s to %(target)s"),
        }
        return moved[kind] % {
            "source": names.unit(data.get("from", {}).get("code")),
            "target": names.unit(data.get("to", {}).get("code")),
        }
    if kind == EventKind.REQUALIFIED and data.get("automatic"):
        return _(
            "Referred automatically: the resolution target of this level was missed by more than "
            "%(minutes)s working minutes"
        ) % {"minutes": data.get("overrun_minutes", "")}
    if kind in (EventKind.SLA_AT_RISK, EventKind.SLA_BREACHED):
        text = {
            (EventKind.SLA_AT_RISK, "response"): _("The first response target at %(desk)s is at risk"),
            (EventKind.SLA_AT_RISK, "resolution"): _("The resolution target at %(desk)s is at risk"),
            (EventKind.SLA_BREACHED, "response"): _("The first response target at %(desk)s was missed"),
            (EventKind.SLA_BREACHED, "resolution"): _("The resolution target at %(desk)s was missed"),
        }.get((EventKind(kind), str(data.get("target"))))
        if text is not None:
            return text % {"desk": names.unit(data.get("desk"))}
    if kind == EventKind.REQUALIFIED:
        labels = {"category": _("category"), "priority": _("priority"), "subject": _("subject")}
        parts = [
            _("%(field)s: %(old)s → %(new)s")
            % {
                "field": labels.get(field, field),
                "old": names.value(field, old),
                "new": names.value(field, new),
            }
            for field, (old, new) in data.get("changes", {}).items()
        ]
        if not parts:
            return _("Requalified")
        return _("Requalified: %(changes)s") % {"changes": pgettext("list separator", "; ").join(parts)}
    if kind == EventKind.ASSIGNED:
        return _("Assigned to %(user)s") % {"user": names.person(data.get("assignee"))}
    if kind == EventKind.RATED:
        return _("Rated %(score)s out of 5") % {"score": data.get("score", "")}
    if kind == EventKind.MERGED:
        return _("Closed as a repeat of %(reference)s, where it is answered") % {
            "reference": data.get("into", "")
        }
    if kind == EventKind.MERGED_IN:
        return _("%(reference)s, a repeat of this request, was merged into it") % {
            "reference": data.get("from", "")
        }
    if kind == EventKind.INCIDENT_FOLLOWED:
        return _("Follows the known incident “%(title)s”, handled by %(desk)s") % {
            "title": data.get("title", ""),
            "desk": names.unit(data.get("desk")),
        }
    if kind == EventKind.LINKED:
        return _("Linked to %(reference)s") % {"reference": data.get("to", "")}
    if kind == EventKind.CLOSED and data.get("automatic"):
        return _("Closed automatically after the confirmation delay")
    return str(EventKind(kind).label)


def describe_all(events, known_units=()) -> list[tuple]:
    """(event, text) for each event, with the names looked up once for the whole history; `known_units`
    (the ticket's desk and origin, already loaded) are not looked up again."""
    events = list(events)
    names = _Names(events, known_units)
    return [(event, _describe(event, names)) for event in events]


def describe(event) -> str:
    """One line that says what happened, e.g. "Referred from X to Y"."""
    return describe_all([event])[0][1]
