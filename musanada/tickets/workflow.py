"""The workflow of the memo as a table: which action, by whom, from which status, to which status.

Pure: no database, no I/O. Each rule carries its guards (reopen within the delay, rate once, return only
what was referred here), so `decide` is the whole answer: the policy asks it for both what a page or the API
offers and what a service accepts, and the two cannot differ.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from musanada.core.errors import ErrorCode
from musanada.org.models import Level


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
    # A duplicate closed into the request it repeats (on the duplicate), and that request's side of it.
    MERGED = "merged", _("Merged into another request")
    MERGED_IN = "merged_in", _("A duplicate was merged into this request")
    # Related requests tied together by a desk (desk side only: the other may be someone else's).
    LINKED = "linked", _("Linked to a related request")
    # The request follows a known incident; the incident's updates, on each of its requests.
    INCIDENT_FOLLOWED = "incident_followed", _("Follows a known incident")
    INCIDENT_UPDATE = "incident_update", _("Incident update")
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
    MERGE = "merge", _("Merge into the request it repeats")
    LINK = "link", _("Link to a related request")
    FOLLOW_INCIDENT = "follow_incident", _("Attach to a known incident")


class Party(models.TextChoices):
    """How an actor stands to one ticket."""

    REQUESTER = "requester", _("Requester")
    DESK = "desk", _("Agent of the holding desk")
    SYSTEM = "system", _("System")


SCHOOL, PROVINCE, ACADEMY, CENTRAL = Level.SCHOOL, Level.PROVINCE, Level.ACADEMY, Level.CENTRAL
ALL_LEVELS = frozenset({SCHOOL, PROVINCE, ACADEMY, CENTRAL})


class Facts(Protocol):
    """What the guards read of one ticket at one moment. The policy gives it (`policy.TicketFacts`), so this
    module stays free of the database; a fact that costs a query is computed only when a guard asks."""

    status: str
    level: str
    resolved_at: datetime | None
    rated: bool
    # The ticket is assigned to the person asking (False when no person asks).
    assigned_to_actor: bool
    now: datetime
    reopen_days: int

    @property
    def has_referrer(self) -> bool: ...

    @property
    def referrer_staffed(self) -> bool: ...
    # The request follows an incident that is still going on / that was resolved.
    @property
    def in_open_incident(self) -> bool: ...
    @property
    def incident_resolved(self) -> bool: ...

    # The desk that referred the ticket into its level, or None.
    @property
    def referrer(self) -> Any: ...


@dataclass(frozen=True)
class Guard:
    """A condition an action needs beyond the status and level, with the refusal said when it fails."""

    code: ErrorCode
    message: str | Promise
    holds: Callable[[Facts], bool]
    params: Callable[[Facts], dict] = lambda facts: {}


@dataclass(frozen=True)
class Rule:
    action: str
    party: str
    sources: frozenset
    target: str | None  # None: the status does not change
    levels: frozenset = ALL_LEVELS  # levels of the holding desk where the action exists
    guards: tuple = ()
    # Standing to the ticket also as one of these parties bars the rule (refused with `barred`).
    barred_for: frozenset = frozenset()
    barred: "Guard | None" = None


def _rule(action, party, sources, target=None, levels=ALL_LEVELS, guards=(), barred_for=(), barred=None):
    return Rule(
        action,
        party,
        frozenset(sources),
        target,
        frozenset(levels),
        tuple(guards),
        frozenset(barred_for),
        barred,
    )


NEW, OPEN, WAITING, RESOLVED, CLOSED = (
    Status.NEW,
    Status.OPEN,
    Status.WAITING,
    Status.RESOLVED,
    Status.CLOSED,
)
DESK, REQUESTER, SYSTEM = Party.DESK, Party.REQUESTER, Party.SYSTEM

WITHIN_REOPEN_DELAY = Guard(
    ErrorCode.REOPEN_DELAY_PASSED,
    _(
        "This ticket can no longer be reopened: more than %(days)s days have passed since its resolution. "
        "File a new request."
    ),
    lambda f: f.resolved_at is not None and f.now - f.resolved_at <= timedelta(days=f.reopen_days),
    lambda f: {"days": f.reopen_days},
)
# Taking a ticket one already holds changes nothing: it is not offered.
NOT_ALREADY_TAKEN = Guard(
    ErrorCode.ALREADY_ASSIGNED,
    _("This ticket is already assigned to you."),
    lambda f: not f.assigned_to_actor,
)
NOT_RATED = Guard(ErrorCode.ALREADY_RATED, _("This ticket has already been rated."), lambda f: not f.rated)
# A requester who is also an agent of the desk holding the resolved ticket (the desk that resolved it, an
# agent who filed on their own desk) does not rate it: a desk's figures must not be its own marks.
OWN_DESK_RATING = Guard(
    ErrorCode.OWN_DESK_RATING,
    _("A request resolved by your own desk cannot be rated by you."),
    lambda f: False,
)
# "Return" goes back to the desk that referred the ticket here: one filed at this level has none.
REFERRED_HERE = Guard(
    ErrorCode.NO_REFERRER,
    _("This ticket was filed at this level: there is no desk to return it to."),
    lambda f: f.has_referrer,
)
# Returning it to a desk where nobody can answer would leave it waiting on an empty desk: this level keeps it.
REFERRER_STAFFED = Guard(
    ErrorCode.REFERRER_UNSTAFFED,
    _("Nobody can answer at %(desk)s now: this desk has to handle the ticket itself."),
    lambda f: f.referrer_staffed,
    lambda f: {"desk": f.referrer.name},
)

# A request that follows an ongoing incident is handled with it: not referred up one by one.
NOT_IN_INCIDENT = Guard(
    ErrorCode.FOLLOWS_INCIDENT,
    _("This request follows a known incident: it is resolved with the incident, not referred on its own."),
    lambda f: not f.in_open_incident,
)
# The system resolves a request only as part of resolving the incident it follows.
INCIDENT_RESOLVED = Guard(
    ErrorCode.FOLLOWS_INCIDENT,
    _("Only a request that follows a resolved incident is resolved with it."),
    lambda f: f.incident_resolved,
)

RULES = (
    _rule(Action.TAKE, DESK, {NEW, OPEN}, OPEN, guards=(NOT_ALREADY_TAKEN,)),
    _rule(Action.ASSIGN, DESK, {NEW, OPEN, WAITING}),
    _rule(Action.REPLY, DESK, {NEW, OPEN}, OPEN),
    _rule(Action.REPLY, REQUESTER, {NEW, OPEN}),
    _rule(Action.NOTE, DESK, {NEW, OPEN, WAITING, RESOLVED}),
    _rule(Action.REQUEST_INFO, DESK, {NEW, OPEN}, WAITING),
    _rule(Action.PROVIDE_INFO, REQUESTER, {WAITING}, OPEN),
    # Referral goes one level up, after requalification; the central level is the last one.
    _rule(
        Action.ESCALATE, DESK, {NEW, OPEN}, NEW, levels={SCHOOL, PROVINCE, ACADEMY}, guards=(NOT_IN_INCIDENT,)
    ),
    # Automatic escalation after a missed service-level target, when a level turned it on (musanada.sla).
    _rule(
        Action.ESCALATE,
        SYSTEM,
        {NEW, OPEN},
        NEW,
        levels={SCHOOL, PROVINCE, ACADEMY},
        guards=(NOT_IN_INCIDENT,),
    ),
    _rule(
        Action.RETURN,
        DESK,
        {NEW, OPEN},
        NEW,
        levels={PROVINCE, ACADEMY, CENTRAL},
        guards=(REFERRED_HERE, REFERRER_STAFFED),
    ),
    _rule(Action.TRANSFER, DESK, {NEW, OPEN}, NEW, levels={CENTRAL}),
    _rule(Action.RESOLVE, DESK, {NEW, OPEN, WAITING}, RESOLVED),
    _rule(Action.CLOSE, REQUESTER, {RESOLVED}, CLOSED),
    _rule(Action.CLOSE, SYSTEM, {RESOLVED}, CLOSED),
    _rule(Action.REOPEN, REQUESTER, {RESOLVED, CLOSED}, OPEN, guards=(WITHIN_REOPEN_DELAY,)),
    _rule(
        Action.RATE,
        REQUESTER,
        {RESOLVED, CLOSED},
        guards=(NOT_RATED,),
        barred_for={DESK},
        barred=OWN_DESK_RATING,
    ),
    _rule(Action.ATTACH, REQUESTER, {NEW, OPEN, WAITING}),
    _rule(Action.ATTACH, DESK, {NEW, OPEN, WAITING}),
    # A request filed twice: the duplicate is closed into the other, which goes on.
    _rule(Action.MERGE, DESK, {NEW, OPEN, WAITING}, CLOSED),
    _rule(Action.LINK, DESK, {NEW, OPEN, WAITING, RESOLVED}),
    # Requests that report a known incident follow it: they are resolved with it, not referred one by one.
    _rule(Action.FOLLOW_INCIDENT, DESK, {NEW, OPEN, WAITING}, guards=(NOT_IN_INCIDENT,)),
    _rule(Action.RESOLVE, SYSTEM, {NEW, OPEN, WAITING}, RESOLVED, guards=(INCIDENT_RESOLVED,)),
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


class Refusal(Enum):
    """Why the table refuses an action; the policy turns each into its error (403, or 409 with a reason)."""

    NO_RULE = "no_rule"
    WRONG_STATUS = "wrong_status"
    WRONG_LEVEL = "wrong_level"
    GUARD = "guard"


@dataclass(frozen=True)
class Decision:
    """The table's answer for one action: the rule when it is allowed, else why not."""

    rule: Rule | None
    refusal: Refusal | None = None
    guard: Guard | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def target(self) -> str | None:
        """The status after the action (the current one when the rule does not change it)."""
        return self.rule.target if self.rule is not None else None


def decide(action: str, parties, facts: Facts) -> Decision:
    """May an actor standing to the ticket as `parties` do `action` now? Status, level, then the guards."""
    rule = rule_for(action, parties)
    if rule is None:
        return Decision(None, Refusal.NO_RULE)
    if facts.status not in rule.sources:
        return Decision(rule, Refusal.WRONG_STATUS)
    if facts.level not in rule.levels:
        return Decision(rule, Refusal.WRONG_LEVEL)
    if rule.barred_for & set(parties):
        return Decision(rule, Refusal.GUARD, rule.barred)
    for guard in rule.guards:
        if not guard.holds(facts):
            return Decision(rule, Refusal.GUARD, guard)
    return Decision(rule)


def available_actions(parties, facts: Facts) -> list[str]:
    """The actions the table allows an actor now, in the order of `Action`: what pages and the API offer."""
    return [action for action in Action.values if decide(action, parties, facts).allowed]
