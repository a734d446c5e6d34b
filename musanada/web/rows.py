"""The inbox's rows, written in Python.

Fifty rows through the template engine were most of an inbox page's time (about 40 ms of 77, profiled on
ten million tickets: docs/performance.md); written here they take a few milliseconds. Everything a person
typed goes through `format_html` (escaped) and keeps its own direction (`<bdi>`, `dir="auto"`).
"""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from musanada.sla.templatetags.sla import clock_html
from musanada.tickets.selectors import WAITING_FOR_REQUESTER
from musanada.tickets.workflow import Priority, Status


def _request_cell(ticket) -> SafeString:
    url = reverse("ticket-detail", args=[ticket.reference])
    above = getattr(ticket, "origin_above", "")
    return format_html(
        '<td class="request"><a class="ref" href="{}">{}</a><a class="subject" href="{}" dir="auto">{}</a>'
        '<span class="meta"><bdi>{}</bdi> · <bdi>{}</bdi> {}{} · <bdi>{}</bdi></span></td>\n',
        url,
        ticket.reference,
        url,
        ticket.subject,
        str(ticket.requester),
        ticket.origin_unit.name,
        ticket.origin_unit.code,
        format_html(" (<bdi>{}</bdi>)", above) if above else "",
        str(ticket.category),
    )


def _desk_cell(ticket, label: str, assigned_to: str) -> SafeString:
    assignee = (
        format_html('<span class="meta">{} <bdi>{}</bdi></span>', assigned_to, str(ticket.assignee))
        if ticket.assignee_id
        else ""
    )
    return format_html(
        '<td data-label="{}"><bdi>{}</bdi> <span class="muted">({})</span>{}</td>\n',
        label,
        ticket.desk.name,
        ticket.desk.level.label,
        assignee,
    )


def inbox_rows(tickets, *, reader, clocks: dict, pick: bool) -> SafeString:
    """The `<tr>`s of a list of tickets as `reader` sees them; `pick` adds the bulk actions' check box."""
    status_label, desk_label, updated_label = _("Status"), _("Held by"), _("Updated")
    time_label, assigned_to = _("Time left"), _("Assigned to")
    # The labels once per page: a model's get_…_display() translates its label again for every row.
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    rows = []
    for ticket in tickets:
        mine = ticket.requester_id == reader.pk and ticket.status in WAITING_FOR_REQUESTER
        updated = timezone.localtime(ticket.updated_at)
        box = '<td class="pick"><input type="checkbox" name="tickets" value="{}" aria-label="{}"></td>\n'
        rows += [
            mark_safe('<tr class="waiting-for-you">\n' if mine else "<tr>\n"),
            format_html(box, ticket.reference, ticket.reference) if pick else "",
            _request_cell(ticket),
            format_html(
                '<td data-label="{}"><span class="badge status-{}">{}</span> '
                '<span class="badge priority-{}">{}</span></td>\n',
                status_label,
                ticket.status,
                statuses.get(ticket.status, ticket.status),
                ticket.priority,
                priorities.get(ticket.priority, ticket.priority),
            ),
            _desk_cell(ticket, desk_label, assigned_to),
            format_html(
                '<td data-label="{}"><time datetime="{}">{}</time></td>\n',
                updated_label,
                updated.isoformat(),
                formats.date_format(updated, "SHORT_DATETIME_FORMAT"),
            ),
            format_html(
                '<td data-label="{}">{}</td>\n</tr>\n',
                time_label,
                clock_html(clocks.get(ticket.pk), compact=True),
            ),
        ]
    # Each part is escaped or marked safe above.
    return mark_safe("".join(rows))
