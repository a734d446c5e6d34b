"""One declaration per workflow action: the service that does it, what it asks of the person, and what they
are told once it is done.

The web's action forms, the API's routes and input schemas, and the mail intake are all built from these
declarations; who may do an action and when is the workflow table's business (`workflow.RULES`), not theirs.
Adding an action is a rule there and one entry here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from musanada.tickets import services
from musanada.tickets.workflow import Action


class Kind(StrEnum):
    """What a field holds; each channel knows how to ask for each kind (and the API, by which code)."""

    TEXT = "text"  # a message, a note, a reason: several lines
    SUBJECT = "subject"  # one line
    PRIORITY = "priority"
    CATEGORY = "category"  # the API takes its code
    DESK_AGENT = "desk_agent"  # an agent of the holding desk; the API takes a username
    CENTRAL_SERVICE = "central_service"  # another central service; the API takes its code
    SCORE = "score"  # 1 to 5
    REFERENCE = "reference"  # another request, by its reference
    INCIDENT = "incident"  # a known incident about the request; the API takes its id
    FILES = "files"


@dataclass(frozen=True)
class Field:
    """One input of an action, named as the service's keyword argument."""

    name: str
    kind: Kind
    label: str | Promise
    required: bool = True
    help: str | Promise = ""
    # Requalification: the form starts from the ticket's value; the API may leave it out to keep it.
    from_ticket: bool = False


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    service: Callable
    fields: tuple = ()
    # What the person reads once it is done; `%(desk)s` is the desk the ticket was at.
    done: str | Promise = ""
    # "primary": the main way forward from its state; "open": shown unfolded (what the requester came for).
    emphasis: str = ""
    # False for an action whose files make it a multipart route of its own in the API.
    json_api: bool = True

    @property
    def label(self) -> str | Promise:
        return Action(self.action).label


def _files(label: str | Promise | None = None, required: bool = False) -> Field:
    return Field("files", Kind.FILES, label or _("Attachments"), required=required)


SPECS = (
    ActionSpec(Action.TAKE, services.ticket_take, done=_("You took this ticket.")),
    ActionSpec(
        Action.ASSIGN,
        services.ticket_assign,
        (Field("assignee", Kind.DESK_AGENT, _("Agent")),),
        done=_("The ticket was assigned."),
    ),
    ActionSpec(
        Action.REPLY,
        services.ticket_reply,
        (Field("body", Kind.TEXT, _("Message")), _files()),
        done=_("Your reply was sent."),
    ),
    ActionSpec(
        Action.NOTE,
        services.ticket_note,
        (
            Field(
                "body",
                Kind.TEXT,
                _("Internal note"),
                help=_("Seen by the desks only, never by the requester."),
            ),
            _files(),
        ),
        done=_("The internal note was added."),
    ),
    ActionSpec(
        Action.REQUEST_INFO,
        services.ticket_request_info,
        (Field("body", Kind.TEXT, _("What information do you need?")),),
        done=_("The requester was asked for information."),
    ),
    ActionSpec(
        Action.PROVIDE_INFO,
        services.ticket_provide_info,
        (Field("body", Kind.TEXT, _("Your answer")), _files()),
        done=_("Your information was sent to the desk."),
        emphasis="open",
    ),
    ActionSpec(
        Action.ESCALATE,
        services.ticket_escalate,
        (
            Field("category", Kind.CATEGORY, _("Category"), from_ticket=True),
            Field("priority", Kind.PRIORITY, _("Priority"), from_ticket=True),
            Field("subject", Kind.SUBJECT, _("Subject"), from_ticket=True),
            Field(
                "note",
                Kind.TEXT,
                _("What was tried"),
                help=_("Required: what this desk tried before referring the request."),
            ),
        ),
        done=_("The ticket was referred to %(desk)s."),
    ),
    ActionSpec(
        Action.RETURN,
        services.ticket_return,
        (Field("instructions", Kind.TEXT, _("Instructions for the lower desk")),),
        done=_("The ticket was returned to %(desk)s."),
    ),
    ActionSpec(
        Action.TRANSFER,
        services.ticket_transfer,
        (
            Field("to_desk", Kind.CENTRAL_SERVICE, _("Central service")),
            Field("note", Kind.TEXT, _("Why it goes to that service")),
        ),
        done=_("The ticket was transferred to %(desk)s."),
    ),
    ActionSpec(
        Action.RESOLVE,
        services.ticket_resolve,
        (
            Field(
                "resolution",
                Kind.TEXT,
                _("Resolution"),
                help=_("The requester reads this: say what was done."),
            ),
        ),
        done=_("The ticket is resolved."),
        emphasis="primary",
    ),
    ActionSpec(
        Action.CLOSE, services.ticket_close, done=_("The ticket is closed. Thank you."), emphasis="primary"
    ),
    ActionSpec(
        Action.REOPEN,
        services.ticket_reopen,
        (Field("reason", Kind.TEXT, _("Why is the problem not solved?")),),
        done=_("The ticket is reopened."),
    ),
    ActionSpec(
        Action.RATE,
        services.ticket_rate,
        (
            Field("score", Kind.SCORE, _("Rating"), help=_("1: very unsatisfied, 5: very satisfied.")),
            Field("comment", Kind.TEXT, _("Comment"), required=False),
        ),
        done=_("Thank you for your rating."),
    ),
    ActionSpec(
        Action.ATTACH,
        services.ticket_attach,
        (_files(_("Files"), required=True),),
        done=_("The files were added."),
        json_api=False,
    ),
    ActionSpec(
        Action.MERGE,
        services.ticket_merge,
        (
            Field(
                "into",
                Kind.REFERENCE,
                _("Reference of the request it repeats"),
                help=_("A request of the same person, still going on; this one is closed into it."),
            ),
            Field("note", Kind.TEXT, _("Message to the requester"), required=False),
        ),
        done=_("The request was merged; the other one goes on."),
    ),
    ActionSpec(
        Action.LINK,
        services.ticket_link,
        (Field("to", Kind.REFERENCE, _("Reference of the related request")),),
        done=_("The requests are linked."),
    ),
    ActionSpec(
        Action.FOLLOW_INCIDENT,
        services.ticket_follow_incident,
        (Field("incident", Kind.INCIDENT, _("Known incident")),),
        done=_("The request follows the incident: it will be resolved with it."),
    ),
)

BY_ACTION: dict[str, ActionSpec] = {spec.action: spec for spec in SPECS}


def perform(actor, ticket, action: str, **arguments):
    """Do `action` on the ticket through its service (the channels that dispatch on an action's name)."""
    return BY_ACTION[action].service(actor, ticket, **arguments)
