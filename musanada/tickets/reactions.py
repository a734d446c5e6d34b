"""What the rest of the product does when a ticket action appends its events: one explicit hook, and one for
the fields a new ticket is inserted with.

The ticket services know nothing of service levels or notifications; those apps register a reaction in their
`AppConfig.ready()`, and every action runs them in its own transaction, after its events are saved and before
the ticket row is written. A reaction may return ticket fields it keeps up to date (the service-level clock
returns `due_at`): the service writes them in the action's one versioned update, so nothing writes a ticket
behind the services. A reaction that fails rolls the whole action back.

    from musanada.tickets import reactions
    reactions.register(record)          # record(ticket, events) -> dict of ticket fields, or None

A filing inserts the ticket before its events (they name it), so what a reaction keeps would be a second
write of the new row, and of each of its indexes. A reaction that can tell its fields from the ticket alone
also registers `filing_fields`: the filing inserts the row with them, and the reaction, finding them already
right, returns nothing to write.

    reactions.register_filing_fields(due_at_of_new)   # due_at_of_new(ticket) -> dict of ticket fields
"""

from collections.abc import Callable

Reaction = Callable[..., dict | None]

_reactions: list[Reaction] = []
_filing_fields: list[Callable[..., dict]] = []


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


def register_filing_fields(function: Callable[..., dict]) -> None:
    """Add a function that gives fields of a new ticket, before its row is inserted (once, as `register`)."""
    if function not in _filing_fields:
        _filing_fields.append(function)


def filing_fields(ticket) -> dict:
    """The fields the registered functions give a ticket about to be inserted."""
    fields: dict = {}
    for function in _filing_fields:
        fields.update(function(ticket))
    return fields
