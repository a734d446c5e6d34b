"""The service-level clock as pages show it, written once: `clock_html` for a list's cell (`web/rows.py`,
compact) and for a ticket's page (`{% sla_ticket_clock ticket %}`)."""

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from musanada.sla.services import ClockState, clocks_for

register = template.Library()


def clock_html(clock, *, compact: bool = False) -> SafeString:
    """A clock: its state as a badge (breached, paused, at risk) and the working hours left or late. Compact
    (a list's cell): the hours alone, the sentence for screen readers; else the sentence, the due moment in
    its title."""
    if clock is None:
        return mark_safe('<span class="muted">—</span>')
    late = clock.state == ClockState.BREACHED
    sentence = (_("%(time)s working hours late") if late else _("%(time)s working hours left")) % {
        "time": clock.hours_left
    }
    label = {
        ClockState.BREACHED: _("Breached"),
        ClockState.PAUSED: _("Clock paused"),
        ClockState.AT_RISK: _("At risk"),
    }.get(clock.state)
    badge = format_html('<span class="badge sla-badge">{}</span> ', label) if label else ""
    if compact:
        return format_html(
            '<span class="sla sla-compact sla-{}" data-sla="{}" data-minutes-left="{}">{}'
            '<span class="hours" dir="ltr" aria-label="{}">{}</span></span>',
            clock.state,
            clock.state,
            clock.minutes_left,
            badge,
            sentence,
            clock.hours_left,
        )
    due = formats.date_format(timezone.localtime(clock.due_at), "DATETIME_FORMAT")
    return format_html(
        '<span class="sla sla-{}" data-sla="{}" data-minutes-left="{}" title="{}">{}{}</span>',
        clock.state,
        clock.state,
        clock.minutes_left,
        _("Due %(due)s") % {"due": due},
        badge,
        sentence,
    )


@register.simple_tag
def sla_ticket_clock(ticket) -> SafeString:
    """The clock of one ticket (its page)."""
    return clock_html(clocks_for([ticket]).get(ticket.pk))
