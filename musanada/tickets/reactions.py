"""What the rest of the product does when a ticket action appends its events: one explicit hook.

The ticket services know nothing of service levels or notifications; those apps register a reaction in their
`AppConfig.ready()`, and every action runs them in its own transaction, after its events are saved and before
the ticket row is written. A reaction may return ticket fields it keeps up to date (the service-level clock
returns `due_at`): the service writes them in the action's one versioned update, so nothing writes a ticket
behind the services. A reaction that fails rolls the whole action back.

    from musanada.tickets import reactions
    reactions.register(record)          # record(ticket, events) -> dict of ticket fields, or None
"""

from collections.abc import Callable

Reaction = Callable[..., dict | None]

_reactions: list[Reaction] = []


def register(reaction: Reaction) -> None:
    """Add a reaction (once: a second registration of the same function is ignored)."""
    if reaction not in _reactions:
        _reactions.append(reaction)


def run(ticket, events) -> dict:
    """Run every reaction on the events one action appended; returns the ticket fields they set."""
    fields: dict = {}
    for reaction in _reactions:
        fields.update(reaction(ticket, events) or {})
    return fields
