"""The service-level clock of one ticket on its page: `{% sla_ticket_clock ticket %}`. A list's cells are
written in Python with the page's clocks read at once (`web/rows.py`, `services.clocks_for`)."""

from django import template

from musanada.sla.services import clocks_for

register = template.Library()


@register.inclusion_tag("sla/_clock.html")
def sla_ticket_clock(ticket) -> dict:
    """The clock of one ticket (its page)."""
    return {"clock": clocks_for([ticket]).get(ticket.pk)}
