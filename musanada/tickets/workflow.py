"""The workflow of the memo as a table: which action, by whom, from which status, to which status.

Pure: no database, no I/O. The services ask it what an action does; the pages ask it which actions to offer.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "In progress")
    WAITING = "waiting", pgettext_lazy("ticket status", "Waiting for the requester")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    ROUTED_UP = "routed_up", _("Routed to a staffed desk")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    INFO_REQUESTED = "info_requested", _("Information requested")
    INFO_PROVIDED = "info_provided", _("Information provided")
    REQUALIFIED = "requalified", _("Requalified")
    ESCALATED = "escalated", _("Escalated")
    RETURNED = "returned", _("Returned with instructions")
    TRANSFERRED = "transferred", _("Transferred")
    ASSIGNED = "assigned", _("Assigned")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    RATED = "rated", _("Rated")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    # Written by the service-level sweep (musanada.sla), desk side only.
    SLA_AT_RISK = "sla_at_risk", _("Service-level target at risk")
    SLA_BREACHED = "sla_breached", _("Service-level target missed")


class Action(models.TextChoices):
    TAKE = "take", _("Take")
    ASSIGN = "assign", _("Assign")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    REQUEST_INFO = "request_info", _("Ask for information")
    PROVIDE_INFO = "provide_info", _("Provide information")
    ESCALATE = "escalate", _("Requalify and escalate")
    RETURN = "return", _("Return with instructions")
    TRANSFER = "transfer", _("Transfer to another central service")
    RESOLVE = "resolve", _("Resolve")
    CLOSE = "close", _("Confirm and close")
    REOPEN = "reopen", _("Reopen")
    RATE = "rate", _("Rate")
    ATTACH = "attach", _("Add attachments")


class Party(models.TextChoices):
    """How an actor stands to one ticket."""

    REQUESTER = "requester", _("Requester")
    DESK = "desk", _("Agent of the holding desk")
    SYSTEM = "system", _("System")


# Levels, as in org.models.Level (kept as plain strings: this module imports nothing of the database).
SCHOOL, PROVINCE, ACADEMY, CENTRAL = "school", "province", "academy", "central"
ALL_LEVELS = frozenset({SCHOOL, PROVINCE, ACADEMY, CENTRAL})


@dataclass(frozen=True)
class Rule:
    action: str
    party: str
    sources: frozenset
    target: str | None  # None: the status does not change
    levels: frozenset = ALL_LEVELS  # levels of the holding desk where the action exists


def _rule(action, party, sources, target=None, levels=ALL_LEVELS):
    return Rule(action, party, frozenset(sources), target, frozenset(levels))


NEW, OPEN, WAITING, RESOLVED, CLOSED = (
    Status.NEW,
    Status.OPEN,
    Status.WAITING,
    Status.RESOLVED,
    Status.CLOSED,
)
DESK, REQUESTER, SYSTEM = Party.DESK, Party.REQUESTER, Party.SYSTEM

RULES = (
    _rule(Action.TAKE, DESK, {NEW, OPEN}, OPEN),
    _rule(Action.ASSIGN, DESK, {NEW, OPEN, WAITING}),
    _rule(Action.REPLY, DESK, {NEW, OPEN}, OPEN),
    _rule(Action.REPLY, REQUESTER, {NEW, OPEN}),
    _rule(Action.NOTE, DESK, {NEW, OPEN, WAITING, RESOLVED}),
    _rule(Action.REQUEST_INFO, DESK, {NEW, OPEN}, WAITING),
    _rule(Action.PROVIDE_INFO, REQUESTER, {WAITING}, OPEN),
    # Referral goes one level up, after requalification; the central level is the last one.
    _rule(Action.ESCALATE, DESK, {NEW, OPEN}, NEW, levels={SCHOOL, PROVINCE, ACADEMY}),
    # Automatic escalation after a missed service-level target, when a level turned it on (musanada.sla).
    _rule(Action.ESCALATE, SYSTEM, {NEW, OPEN}, NEW, levels={SCHOOL, PROVINCE, ACADEMY}),
    _rule(Action.RETURN, DESK, {NEW, OPEN}, NEW, levels={PROVINCE, ACADEMY, CENTRAL}),
    _rule(Action.TRANSFER, DESK, {NEW, OPEN}, NEW, levels={CENTRAL}),
    _rule(Action.RESOLVE, DESK, {NEW, OPEN, WAITING}, RESOLVED),
    _rule(Action.CLOSE, REQUESTER, {RESOLVED}, CLOSED),
    _rule(Action.CLOSE, SYSTEM, {RESOLVED}, CLOSED),
    _rule(Action.REOPEN, REQUESTER, {RESOLVED, CLOSED}, OPEN),
    _rule(Action.RATE, REQUESTER, {RESOLVED, CLOSED}),
    _rule(Action.ATTACH, REQUESTER, {NEW, OPEN, WAITING}),
    _rule(Action.ATTACH, DESK, {NEW, OPEN, WAITING}),
)

_BY_KEY = {(rule.action, rule.party): rule for rule in RULES}

# When an actor stands to a ticket in several ways (an agent who filed on their own desk), the desk's rule
# applies first: it is the one with the larger effect on the ticket's status.
PARTY_ORDER = (Party.SYSTEM, Party.DESK, Party.REQUESTER)


def rule_for(action: str, parties) -> Rule | None:
    """The rule that applies to an actor standing to the ticket as `parties`, whatever the status."""
    for party in PARTY_ORDER:
        if party in parties and (action, party) in _BY_KEY:
            return _BY_KEY[(action, party)]
    return None


def is_allowed(rule: Rule, status: str, level: str) -> bool:
    return status in rule.sources and level in rule.levels


def next_status(rule: Rule, status: str) -> str:
    return rule.target or status


def available_actions(parties, status: str, level: str) -> list[str]:
    """The actions to offer to an actor, in the order of `Action`."""
    return [
        action
        for action in Action.values
        if (rule := rule_for(action, parties)) is not None and is_allowed(rule, status, level)
    ]
