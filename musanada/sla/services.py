"""The service-level clocks: level visits kept in step with the ticket's events, and the sweep that finds the
tickets at risk and those past their targets.

`record(ticket, events)` is a reaction of every ticket action (musanada.tickets.reactions): it runs in the
action's transaction, so a visit exists if and only if the action that caused it committed, and it returns the
ticket's new `due_at` for the action's own versioned update. `sweep` is the periodic job's work: idempotent,
each flag guarded by a conditional update of the visit, each event appended through the ticket services.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from musanada.core.errors import DomainError
from musanada.sla import calendar
from musanada.sla.models import AutoEscalationRule, Holiday, LevelVisit, SlaPolicy, VisitOutcome
from musanada.tickets import routing
from musanada.tickets.models import Ticket
from musanada.tickets.services import ticket_auto_escalate, ticket_record_service_level
from musanada.tickets.workflow import OPEN_STATUSES, EventKind, Party, Status

log = logging.getLogger(__name__)

_MOVES = {
    EventKind.ESCALATED: VisitOutcome.ESCALATED,
    EventKind.RETURNED: VisitOutcome.RETURNED,
    EventKind.TRANSFERRED: VisitOutcome.TRANSFERRED,
}
_CLOCK_EVENTS = {
    EventKind.FILED,
    EventKind.REPLY,
    EventKind.INFO_REQUESTED,
    EventKind.INFO_PROVIDED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.MERGED,
    *_MOVES,
}


# The calendar ----------------------------------------------------------------------------------------


# The holidays and the targets, read by every ticket action: kept in the cache (shared by the processes when
# a cache server is configured) and forgotten whenever the admin changes them (`forget_reference_data`,
# connected to their saves and deletions in apps.py); past REFERENCE_SECONDS a process reads them again.
_REFERENCE_KEY = "sla:reference-data"
REFERENCE_SECONDS = 300


@dataclass(frozen=True)
class _Reference:
    holidays: frozenset
    # (level, priority) → (first response, resolution), in working minutes
    targets: dict


def _reference() -> _Reference:
    def read() -> _Reference:
        return _Reference(
            holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
            targets={
                (level, priority): (response, resolution)
                for level, priority, response, resolution in SlaPolicy.objects.values_list(
                    "level", "priority", "first_response_minutes", "resolution_minutes"
                )
            },
        )

    return cache.get_or_set(_REFERENCE_KEY, read, REFERENCE_SECONDS)


def forget_reference_data(**_signal) -> None:
    """The holidays or the targets changed: the next action reads them again (and once more after the
    change commits, in case another process cached the old ones in between)."""
    cache.delete(_REFERENCE_KEY)
    transaction.on_commit(lambda: cache.delete(_REFERENCE_KEY))


def work_calendar() -> calendar.WorkCalendar:
    """The calendar of the settings (MUSANADA_SLA) with the holidays kept in the admin."""
    config = settings.MUSANADA_SLA
    start, end = calendar.parse_hours(config["WORK_HOURS"])
    return calendar.WorkCalendar(
        work_days=frozenset(day - 1 for day in config["WORK_DAYS"]),
        start=start,
        end=end,
        holidays=_reference().holidays,
        zone=timezone.get_default_timezone(),
    )


def _risk_share() -> float:
    return settings.MUSANADA_SLA["AT_RISK_PERCENT"] / 100


# Recording the clocks ----------------------------------------------------------------------------------


class _Recorder:
    def __init__(self, ticket: Ticket, now: datetime):
        self.ticket = ticket
        self.now = now
        self._calendar = None
        self._visit = None
        self._visit_loaded = False

    @property
    def calendar(self) -> calendar.WorkCalendar:
        if self._calendar is None:
            self._calendar = work_calendar()
        return self._calendar

    @property
    def visit(self) -> LevelVisit | None:
        if not self._visit_loaded:
            self._visit = (
                LevelVisit.objects.filter(ticket=self.ticket, left_at__isnull=True)
                .order_by("-arrived_at", "-id")
                .first()
            )
            self._visit_loaded = True
        return self._visit

    def open(self) -> None:
        desk = self.ticket.desk
        visit = LevelVisit(ticket=self.ticket, desk=desk, level=desk.level, arrived_at=self.now)
        for name, value in _targets(desk.level, self.ticket.priority, self.now, self.calendar).items():
            setattr(visit, name, value)
        visit.save()
        self._visit, self._visit_loaded = visit, True

    def close(self, outcome: str) -> None:
        visit = self.visit
        if visit is None:
            return
        self.resume()
        visit.left_at = self.now
        visit.outcome = outcome
        if outcome == VisitOutcome.RESOLVED:
            visit.resolved_at = self.now
        responded = visit.first_response_at or self.now
        if visit.response_due_at is not None and responded > visit.response_due_at:
            visit.response_breached = True
        if visit.resolution_due_at is not None and self.now > visit.resolution_due_at:
            visit.resolution_breached = True
        visit.save()
        self._visit = None

    def respond(self) -> None:
        visit = self.visit
        if visit is not None and visit.first_response_at is None:
            visit.first_response_at = self.now
            visit.save(update_fields=["first_response_at"])

    def pause(self) -> None:
        visit = self.visit
        if visit is not None and visit.paused_since is None:
            visit.paused_since = self.now
            visit.save(update_fields=["paused_since"])

    def _shift(self, visit: LevelVisit, seconds: int) -> None:
        """Move the targets not yet met forward by `seconds` of working time."""
        if seconds <= 0:
            return
        add = calendar.add_working_seconds
        fields = ["resolution_due_at", "resolution_risk_at"]
        if visit.first_response_at is None:
            fields += ["response_due_at", "response_risk_at"]
        for name in fields:
            value = getattr(visit, name)
            if value is not None:
                setattr(visit, name, add(self.calendar, value, seconds))
        visit.paused_seconds += seconds

    def resume(self) -> None:
        visit = self.visit
        if visit is None or visit.paused_since is None:
            return
        self._shift(visit, calendar.working_seconds_between(self.calendar, visit.paused_since, self.now))
        visit.paused_since = None
        visit.save()

    def reopen(self) -> None:
        # The requester says it is not solved: the desk's clock goes on from where it stopped; the time the
        # ticket spent resolved does not count against the desk.
        visit = (
            LevelVisit.objects.filter(
                ticket=self.ticket, desk=self.ticket.desk, outcome=VisitOutcome.RESOLVED
            )
            .order_by("-arrived_at", "-id")
            .first()
        )
        if visit is None:
            self.open()
            return
        self._shift(visit, calendar.working_seconds_between(self.calendar, visit.resolved_at, self.now))
        visit.left_at = visit.resolved_at = visit.outcome = None
        visit.save()
        self._visit, self._visit_loaded = visit, True


def _targets(level: str, priority: str, arrived_at: datetime, work: calendar.WorkCalendar) -> dict:
    """The due and at-risk times of a visit arriving at `level` at `arrived_at` (LevelVisit fields); empty
    when no target is set for the level and priority."""
    target = _reference().targets.get((level, priority))
    if target is None:
        return {}
    response, resolution = target
    add, share = calendar.add_working_minutes, _risk_share()
    return {
        "response_due_at": add(work, arrived_at, response),
        "resolution_due_at": add(work, arrived_at, resolution),
        "response_risk_at": add(work, arrived_at, response * share),
        "resolution_risk_at": add(work, arrived_at, resolution * share),
    }


def due_at_of_new(ticket: Ticket) -> dict:
    """The `due_at` a ticket being filed is inserted with: the resolution target of the level it lands on,
    as `record` sets it when the filing's events come (registered in `reactions.register_filing_fields`)."""
    targets = _targets(ticket.desk.level, ticket.priority, ticket.filed_at, work_calendar())
    return {"due_at": targets["resolution_due_at"]} if targets else {}


def record(ticket: Ticket, events) -> dict | None:
    """Keep the ticket's level visits in step with the events one action appended; returns the ticket's
    `due_at` when it changes (the service writes it with the action)."""
    events = [event for event in events if event.kind in _CLOCK_EVENTS]
    if not events:
        return None
    recorder = _Recorder(ticket, events[0].created_at)
    for event in events:
        kind = event.kind
        if kind == EventKind.FILED:
            recorder.open()
        elif kind in _MOVES:
            recorder.close(_MOVES[kind])
            recorder.open()
        elif kind == EventKind.REPLY:
            if (event.data or {}).get("party") == Party.DESK:
                recorder.respond()
        elif kind == EventKind.INFO_REQUESTED:
            recorder.respond()
            recorder.pause()
        elif kind == EventKind.INFO_PROVIDED:
            recorder.resume()
        elif kind == EventKind.RESOLVED:
            recorder.respond()
            recorder.close(VisitOutcome.RESOLVED)
        elif kind == EventKind.REOPENED:
            recorder.reopen()
        elif kind == EventKind.MERGED:
            recorder.close(VisitOutcome.MERGED)
    visit = recorder.visit
    due_at = visit.resolution_due_at if visit is not None else None
    return {"due_at": due_at} if ticket.due_at != due_at else None


# Reading the clocks ----------------------------------------------------------------------------------


class ClockState:
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"


@dataclass(frozen=True)
class Clock:
    """A ticket's clock at its current desk, as pages show it."""

    state: str
    # Working minutes until the resolution target; negative once it has passed.
    minutes_left: int
    due_at: datetime

    @property
    def hours_left(self) -> str:
        minutes = abs(self.minutes_left)
        return f"{minutes // 60}:{minutes % 60:02d}"


def clock_of(visit: LevelVisit, status: str, work: calendar.WorkCalendar, now: datetime) -> Clock | None:
    """The clock of an open visit with targets, or None. Pure once the visit and calendar are given."""
    due = visit.resolution_due_at
    if due is None or visit.left_at is not None:
        return None
    if now >= due:
        left = -calendar.working_minutes_between(work, due, now)
    else:
        left = calendar.working_minutes_between(work, now, due)
    awaiting = visit.first_response_at is None
    if status == Status.WAITING or visit.paused_since is not None:
        state = ClockState.PAUSED
    elif (
        visit.response_breached
        or visit.resolution_breached
        or now >= due
        or (awaiting and visit.response_due_at is not None and now >= visit.response_due_at)
    ):
        state = ClockState.BREACHED
    elif (visit.resolution_risk_at is not None and now >= visit.resolution_risk_at) or (
        awaiting and visit.response_risk_at is not None and now >= visit.response_risk_at
    ):
        state = ClockState.AT_RISK
    else:
        state = ClockState.ON_TIME
    return Clock(state, left, due)


def clocks_for(tickets) -> dict:
    """{ticket id: Clock} for the open tickets among `tickets`: two queries (visits, holidays) at most."""
    open_ids = {ticket.pk: ticket.status for ticket in tickets if ticket.status in OPEN_STATUSES}
    if not open_ids:
        return {}
    visits = LevelVisit.objects.filter(
        ticket_id__in=open_ids, left_at__isnull=True, resolution_due_at__isnull=False
    )
    visits = list(visits)
    if not visits:
        return {}
    work, now = work_calendar(), timezone.now()
    clocks = {}
    for visit in visits:
        clock = clock_of(visit, open_ids[visit.ticket_id], work, now)
        if clock is not None:
            clocks[visit.ticket_id] = clock
    return clocks


# The sweep -------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    at_risk: int = 0
    breached: int = 0
    escalated: int = 0


def _above_code(visit: LevelVisit) -> str | None:
    above = routing.desk_above(visit.desk, visit.ticket.category)
    return above.code if above is not None else None


def _flag_and_tell(visit: LevelVisit, guard: Q, updates: dict, kind: str, target: str, due, now) -> bool:
    """Set the visit's flag if nobody did yet (the conditional update is the idempotence), then append the
    desk-side event through the ticket services (which tell whom it concerns), all in one transaction."""
    with transaction.atomic():
        if not LevelVisit.objects.filter(guard, pk=visit.pk).update(**updates):
            return False
        ticket_record_service_level(
            visit.ticket,
            kind,
            at=now,
            data={
                "desk": visit.desk.code,
                "level": visit.level,
                "target": target,
                "due": due.isoformat(),
                "above": _above_code(visit) if kind == EventKind.SLA_BREACHED else None,
            },
        )
    return True


def _open_visits():
    # Waiting for the requester: the clock stands still, nothing can be late.
    return LevelVisit.objects.filter(left_at__isnull=True, paused_since__isnull=True).select_related(
        "desk", "ticket__category"
    )


def sweep(now: datetime | None = None) -> SweepResult:
    """Notify the tickets whose targets are missed, then those at risk, then escalate the overruns where a
    level turned automatic escalation on. Running it again changes nothing and tells nobody twice."""
    now = now or timezone.now()
    result = SweepResult()
    late_response = _open_visits().filter(
        first_response_at__isnull=True, response_breached=False, response_due_at__lte=now
    )
    for visit in late_response.order_by("response_due_at", "id").iterator(chunk_size=500):
        if _flag_and_tell(
            visit,
            Q(response_breached=False),
            {"response_breached": True},
            EventKind.SLA_BREACHED,
            "response",
            visit.response_due_at,
            now,
        ):
            result.breached += 1
    late_resolution = _open_visits().filter(resolution_breached=False, resolution_due_at__lte=now)
    for visit in late_resolution.order_by("resolution_due_at", "id").iterator(chunk_size=500):
        if _flag_and_tell(
            visit,
            Q(resolution_breached=False),
            {"resolution_breached": True},
            EventKind.SLA_BREACHED,
            "resolution",
            visit.resolution_due_at,
            now,
        ):
            result.breached += 1
    at_risk = _open_visits().filter(
        Q(first_response_at__isnull=True, response_risk_at__lte=now) | Q(resolution_risk_at__lte=now),
        at_risk_notified_at__isnull=True,
        response_breached=False,
        resolution_breached=False,
    )
    for visit in at_risk.order_by("id").iterator(chunk_size=500):
        responding = (
            visit.first_response_at is None and visit.response_risk_at and visit.response_risk_at <= now
        )
        target, due = (
            ("response", visit.response_due_at) if responding else ("resolution", visit.resolution_due_at)
        )
        if _flag_and_tell(
            visit,
            Q(at_risk_notified_at__isnull=True),
            {"at_risk_notified_at": now},
            EventKind.SLA_AT_RISK,
            target,
            due,
            now,
        ):
            result.at_risk += 1
    result.escalated = _auto_escalate(now)
    return result


def _auto_escalate(now: datetime) -> int:
    rules = {rule.level: rule.overrun_minutes for rule in AutoEscalationRule.objects.filter(enabled=True)}
    if not rules:
        return 0
    work = work_calendar()
    escalated = 0
    candidates = _open_visits().filter(
        level__in=rules, auto_escalated_at__isnull=True, resolution_due_at__lte=now
    )
    for visit in candidates.order_by("resolution_due_at", "id").iterator(chunk_size=500):
        overrun = rules[visit.level]
        if calendar.add_working_minutes(work, visit.resolution_due_at, overrun) > now:
            continue
        try:
            with transaction.atomic():
                # Rolled back with the escalation if it is refused: the next run tries again.
                LevelVisit.objects.filter(pk=visit.pk).update(auto_escalated_at=now)
                ticket_auto_escalate(Ticket.objects.get(pk=visit.ticket_id), overrun_minutes=overrun)
        except DomainError as refused:
            # Someone acted on the ticket at the same moment, or there is no desk to go to: theirs stands.
            log.info("Automatic escalation of ticket %s skipped: %s", visit.ticket_id, refused)
            continue
        escalated += 1
    return escalated
