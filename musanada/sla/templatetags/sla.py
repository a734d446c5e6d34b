"""The service-level clock on pages.

A list: `{% sla_clocks tickets as clocks %}`, then `{% sla_clock clocks ticket %}` in each row; one ticket:
`{% sla_ticket_clock ticket %}`.
"""

from django import template

from musanada.sla.services import clocks_for

register = template.Library()


@register.simple_tag
def sla_clocks(tickets) -> dict:
    """The clocks of a page's tickets, read at once (two queries whatever the page size)."""
    return clocks_for(tickets)


@register.inclusion_tag("sla/_clock.html")
def sla_clock(clocks: dict, ticket, compact: bool = False) -> dict:
    """`compact`: a list's cell, the hours alone in a badge, the sentence in its title."""
    return {"clock": clocks.get(ticket.pk), "compact": compact}


@register.inclusion_tag("sla/_clock.html")
def sla_ticket_clock(ticket) -> dict:
    """The clock of one ticket (its page)."""
    return {"clock": clocks_for([ticket]).get(ticket.pk)}
