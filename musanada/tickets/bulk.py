"""Acting on several tickets at once, from a list: each ticket goes through its own service, exactly as if the
agent had opened it and done the action there. Who may see it, whether the action is allowed on it now, the
history, the service-level clock and the notifications are that service's business; a ticket refused is
reported with its reason and the others go on.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import DomainError, ErrorCode, InvalidInput
from musanada.tickets import actions, selectors
from musanada.tickets.workflow import Action

# What a desk does to many tickets at once. Closing is the requester's confirmation (or the system's after
# the delay), never a desk's: there is no bulk close.
BULK_ACTIONS = (Action.TAKE, Action.ASSIGN, Action.ESCALATE, Action.RESOLVE, Action.FOLLOW_INCIDENT)
# The text each action asks for, under the name of the service's argument.
_TEXT_ARGUMENT: dict[str, str] = {Action.ESCALATE: "note", Action.RESOLVE: "resolution"}
# Refusals of what was typed rather than of a ticket: the same for every ticket, so the batch stops there.
_INPUT_CODES = {ErrorCode.REQUIRED, ErrorCode.TOO_LONG}


@dataclass
class BulkOutcome:
    done: list[str] = field(default_factory=list)
    # (reference, the reason it was refused, in the reader's language)
    refused: list[tuple[str, str]] = field(default_factory=list)


def bulk_limit() -> int:
    """The most tickets in one batch: a page of a list, which is where they are chosen."""
    return settings.MUSANADA["PAGE_SIZE"]


def bulk_act(actor, references, action: str, *, assignee=None, text: str = "", incident=None) -> BulkOutcome:
    """Do `action` on each ticket named in `references` (in order, each in its own transaction).

    Refuses the whole batch, changing nothing, when the action is not one done in bulk, when no or too many
    tickets are named, or when what was typed is refused (the note, the resolution, no agent or incident
    chosen).
    """
    if action not in BULK_ACTIONS:
        raise InvalidInput(_("This action cannot be done on several requests at once."), field="action")
    wanted = list(dict.fromkeys(reference.strip() for reference in references if reference.strip()))
    if not wanted:
        raise InvalidInput(_("Select at least one request in the list."), code=ErrorCode.REQUIRED)
    if len(wanted) > bulk_limit():
        raise InvalidInput(
            _("At most %(limit)s requests at once."),
            code=ErrorCode.TOO_MANY_TICKETS,
            params={"limit": bulk_limit()},
        )
    arguments: dict = {}
    if action == Action.ASSIGN:
        if assignee is None:
            raise InvalidInput(_("Choose the agent."), code=ErrorCode.REQUIRED, field="assignee")
        arguments["assignee"] = assignee
    if action in _TEXT_ARGUMENT:
        arguments[_TEXT_ARGUMENT[action]] = text
    if action == Action.FOLLOW_INCIDENT:
        if incident is None:
            raise InvalidInput(_("Choose the incident."), code=ErrorCode.REQUIRED, field="incident")
        arguments["incident"] = incident

    outcome = BulkOutcome()
    for reference in wanted:
        try:
            ticket = selectors.ticket_get_for(actor, reference)
            actions.perform(actor, ticket, action, **arguments)
        except InvalidInput as refused:
            if refused.code in _INPUT_CODES:
                # Nothing was done before it: the text is checked before any ticket changes.
                raise InvalidInput(
                    refused.message, code=ErrorCode(refused.code), field="text", params=refused.params
                ) from None
            outcome.refused.append((reference, str(refused)))
        except DomainError as refused:
            outcome.refused.append((reference, str(refused)))
        else:
            outcome.done.append(reference)
    return outcome
