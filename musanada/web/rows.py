"""The inbox's rows, written in Python.

Fifty rows through the template engine were most of an inbox page's time (about 40 ms of 77, profiled on
ten million tickets: docs/performance.md); written here, as plain strings, they take about 3 ms. Everything
a person typed is escaped (`html.escape`, as Django's `escape` does) and keeps its own direction (`<bdi>`,
`dir="auto"`).
"""

from html import escape

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from musanada.sla.templatetags.sla import clock_html
from musanada.tickets.selectors import WAITING_FOR_REQUESTER
from musanada.tickets.workflow import Priority, Status


def _text(value) -> str:
    return escape(str(value))


class _Labels:
    """What every row of a page says the same way, translated once per page (a model's
    get_…_display() translates its label again for every row)."""

    def __init__(self, reference: str):
        # One reverse() per page: a ticket's address is the same around its reference.
        url = reverse("ticket-detail", args=[reference])
        self.url_head, self.url_tail = url.split(reference, 1)
        self.status, self.desk = _text(_("Status")), _text(_("Held by"))
        self.updated, self.time_left = _text(_("Updated")), _text(_("Time left"))
        self.assigned_to = _text(_("Assigned to"))
        self.statuses = {value: _text(label) for value, label in Status.choices}
        self.priorities = {value: _text(label) for value, label in Priority.choices}
        self.levels: dict = {}

    def level(self, desk) -> str:
        if desk.level not in self.levels:
            self.levels[desk.level] = _text(desk.level.label)
        return self.levels[desk.level]


def _request_cell(ticket, labels: _Labels) -> str:
    url = f"{labels.url_head}{ticket.reference}{labels.url_tail}"
    above = getattr(ticket, "origin_above", "")
    origin = f"{_text(ticket.origin_unit.name)}</bdi> {_text(ticket.origin_unit.code)}"
    if above:
        origin += f" (<bdi>{_text(above)}</bdi>)"
    return (
        f'<td class="request"><a class="ref" href="{url}">{ticket.reference}</a>'
        f'<a class="subject" href="{url}" dir="auto">{_text(ticket.subject)}</a>'
        f'<span class="meta"><bdi>{_text(ticket.requester)}</bdi> · <bdi>{origin} · '
        f"<bdi>{_text(ticket.category)}</bdi></span></td>\n"
    )


def _desk_cell(ticket, labels: _Labels) -> str:
    assignee = (
        f'<span class="meta">{labels.assigned_to} <bdi>{_text(ticket.assignee)}</bdi></span>'
        if ticket.assignee_id
        else ""
    )
    return (
        f'<td data-label="{labels.desk}"><bdi>{_text(ticket.desk.name)}</bdi> '
        f'<span class="muted">({labels.level(ticket.desk)})</span>{assignee}</td>\n'
    )


def inbox_rows(tickets, *, reader, clocks: dict, pick: bool) -> SafeString:
    """The `<tr>`s of a list of tickets as `reader` sees them; `pick` adds the bulk actions' check box."""
    if not tickets:
        return mark_safe("")
    labels = _Labels(tickets[0].reference)
    rows = []
    for ticket in tickets:
        mine = ticket.requester_id == reader.pk and ticket.status in WAITING_FOR_REQUESTER
        updated = timezone.localtime(ticket.updated_at)
        status, priority = _text(ticket.status), _text(ticket.priority)
        rows += [
            '<tr class="waiting-for-you">\n' if mine else "<tr>\n",
            (
                f'<td class="pick"><input type="checkbox" name="tickets" value="{ticket.reference}" '
                f'aria-label="{ticket.reference}"></td>\n'
                if pick
                else ""
            ),
            _request_cell(ticket, labels),
            f'<td data-label="{labels.status}"><span class="badge status-{status}">'
            f"{labels.statuses.get(ticket.status, status)}</span> "
            f'<span class="badge priority-{priority}">{labels.priorities.get(ticket.priority, priority)}'
            "</span></td>\n",
            _desk_cell(ticket, labels),
            f'<td data-label="{labels.updated}"><time datetime="{updated.isoformat()}">'
            f"{_text(formats.date_format(updated, 'SHORT_DATETIME_FORMAT'))}</time></td>\n",
            f'<td data-label="{labels.time_left}">{clock_html(clocks.get(ticket.pk), compact=True)}</td>\n'
            "</tr>\n",
        ]
    # Every value above is escaped; the references are letters, digits and hyphens (their URL converter).
    return mark_safe("".join(rows))
