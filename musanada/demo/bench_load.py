"""Benchmark tickets loaded with PostgreSQL's COPY: ten million tickets with their history in minutes.

Not through the services (a ticket walked one action at a time costs milliseconds: ten million would take
hours), but the rows are what the services would have written, so that every page, list, policy question
and job reads them as real tickets:
- the ticket row: `MSN-YYYY-NNNNNN` references numbered per local year from the reference counter, which is
  advanced first (a new filing never collides with a loaded ticket); filed over the last `days` days with
  the rhythm of a school year (working hours, weekdays, September and June busier than August); status,
  desk, assignee, first response, resolution, closing, rating, `due_at`, `version` (one per action) and
  `updated_at` (the last action) as the history below leaves them; the word columns are those
  `tickets.search` keeps (subject; subject, description and public messages; internal notes);
- the events, with the codes, bodies and `data` of `tickets/services.py`: filed; per desk visited taken
  (assigned), a desk reply or a request for information, a requester's follow-up; requalified + escalated
  to the desk `routing` names; resolved; closed by the requester or automatically after
  MUSANADA_AUTO_CLOSE_DAYS; rated; and the service-level events (target at risk, target missed) where the
  SLA sweep would have written them;
- a `TicketHolding` for every desk that held the ticket (the policy reads them), and the SLA app's
  `LevelVisit` per stay, with the targets of `SlaPolicy` counted in the working calendar of the settings
  and holidays (the same instants as `sla.calendar.add_working_seconds`), and the breach flags the visit's
  close and the sweep would have set.

Requesters are the generated school staff (a few school heads, whose requests start at the province, as
`routing.filing_desk` says); desks act through their own agents.

How it goes fast: the rows of a chunk of tickets are formatted as COPY text in Python and sent with psycopg's
`cursor.copy()`; chunks are shared among worker processes (`workers`, one per core by default), each with its
own connection. When the load is large next to what exists, the secondary indexes, unique and foreign-key
constraints of the four tables are dropped first and built again at the end (two sessions at once, a large
`maintenance_work_mem`; foreign keys are validated when they are added back), then the tables are vacuumed
and analysed. The statements that put them back are kept in the table `musanada_bench_deferred` until they
ran, so an interrupted load restores them on its next run. PostgreSQL only: on SQLite,
`musanada.demo.bench_tickets` writes small benchmark sets with `bulk_create`.
"""

import bisect
import json
import math
import multiprocessing
import os
import random
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from musanada.demo import bench_text
from musanada.org.models import DESK_ROLES, Category, Membership, OrgUnit, Role, UnitKind
from musanada.reports.services import rollup_range
from musanada.sla.models import LevelVisit, SlaPolicy
from musanada.sla.services import work_calendar
from musanada.tickets import references
from musanada.tickets.models import Event, Ticket, TicketHolding
from musanada.tickets.workflow import Channel, EventKind, Priority, Status

LEVELS = ("school", "province", "academy", "central")
# Where a journey ends, for requests filed at a school (staff) and at the province (a school head files).
END_FROM_SCHOOL = (58, 24, 11, 7)
END_FROM_PROVINCE = (0, 55, 28, 17)
PRIORITY_WEIGHTS = {Priority.LOW: 2, Priority.NORMAL: 12, Priority.HIGH: 3, Priority.URGENT: 1}
# Mean working hours to the first response at a level, then to the end of the stay there.
RESPONSE_HOURS = (2, 3, 5, 6)
STAY_HOURS = (6, 10, 14, 20)
RATE = tuple(1 / (hours * 3600) for hours in RESPONSE_HOURS)
STAY_RATE = tuple(1 / (hours * 3600) for hours in STAY_HOURS)
# Share of stays where an agent takes the ticket first; of first responses that ask for information (in
# stays still open); of replies the requester answers; of requests filed by a school head; through the API.
TAKE_SHARE = (0.05, 0.35, 0.35, 0.35)
DIRECT_SHARE = 0.35
INFO_SHARE = 0.25
FOLLOW_UP_SHARE = 0.15
HEAD_SHARE = 0.08
API_SHARE = 0.12
REQUESTER_CLOSES = 0.35
RATED_SHARE = 0.4
RATING_WEIGHTS = (1, 1, 3, 6, 7)
PRIORITY_RAISED = 0.1
# How often each category is asked about (Massar's desk is the busiest); a category not listed weighs 1.
CATEGORY_WEIGHTS = {
    "massar-grades": 18, "massar-registration": 10, "massar-absences": 7, "massar-timetables": 6,
    "massar-social": 3, "massar-census": 2, "massar-apps": 7, "accounts-password": 9, "accounts-2fa": 5,
    "taalim": 5, "masirh": 5, "exams": 4, "eservices": 3, "gresa": 2, "esise": 2, "other": 12,
}  # fmt: skip
# The rhythm of requests: by local hour, weekday (Monday = 0) and month.
HOUR_WEIGHTS = (
    0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.12, 0.35, 0.9, 1.4, 1.5, 1.4,
    0.9, 0.7, 1.2, 1.3, 1.2, 0.8, 0.55, 0.5, 0.45, 0.35, 0.2, 0.08,
)  # fmt: skip
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.45, 0.12)
MONTH_WEIGHTS = (1.1, 1.0, 0.9, 0.85, 0.95, 1.25, 0.45, 0.3, 1.5, 1.3, 1.0, 0.9)

# The codes as plain strings: formatting an enum member costs a method call on every row.
K = {kind.name: kind.value for kind in EventKind}
S = {status.name: status.value for status in Status}
URGENT, HIGH = Priority.URGENT.value, Priority.HIGH.value
PRIORITIES = [p.value for p in PRIORITY_WEIGHTS]
WEB, API = Channel.WEB.value, Channel.API.value
PARTY_DESK, PARTY_REQUESTER = '{"party": "desk"}', '{"party": "requester"}'

CHUNK = 10_000
DEFERRED_TABLE = "musanada_bench_deferred"
TABLES = (Ticket, Event, TicketHolding, LevelVisit)
TICKET_COLUMNS = (
    "id, reference, status, priority, subject, description, channel, rating, filed_at, updated_at, "
    "first_response_at, resolved_at, closed_at, due_at, version, assignee_id, category_id, desk_id, "
    "origin_unit_id, requester_id, subject_text, search_text, note_text, access_keys"
)
EVENT_COLUMNS = "kind, by_system, created_at, public, body, data, actor_id, ticket_id"
HOLDING_COLUMNS = "since, desk_id, ticket_id"
VISIT_COLUMNS = (
    "level, arrived_at, left_at, first_response_at, resolved_at, response_due_at, resolution_due_at, "
    "paused_seconds, paused_since, response_breached, resolution_breached, outcome, response_risk_at, "
    "resolution_risk_at, at_risk_notified_at, auto_escalated_at, desk_id, ticket_id"
)
NULL = "\\N"


def _cumulative(weights) -> tuple[list[float], float]:
    running, total = [], 0.0
    for weight in weights:
        total += weight
        running.append(total)
    return running, total


def _draw(random_, cumulative: tuple[list[float], float]) -> int:
    """The index drawn with the weights behind `cumulative` (random.choices without its overhead)."""
    return bisect.bisect_right(cumulative[0], random_() * cumulative[1])


PRIORITY_CUM = _cumulative(PRIORITY_WEIGHTS.values())
END_CUM = (_cumulative(END_FROM_SCHOOL), _cumulative(END_FROM_PROVINCE))
RATING_CUM = _cumulative(RATING_WEIGHTS)


class LoadError(Exception):
    pass


@dataclass
class LoadReport:
    created: int = 0
    existing: int = 0
    seconds: float = 0.0
    rows: dict = field(default_factory=dict)
    phases: dict = field(default_factory=dict)
    deferred_indexes: bool = False
    workers: int = 0


# The world the tickets are drawn from ---------------------------------------------------------------------


class _Clock:
    """Instants as integer seconds since the epoch, formatted for COPY from tables (no datetime per row), and
    working time added like `sla.calendar.add_working_seconds`, with the intervals precomputed."""

    def __init__(self, first_day: date, last_day: date, calendar):
        self.base = int(datetime.combine(first_day, datetime.min.time(), tzinfo=UTC).timestamp())
        days = (last_day - first_day).days + 1
        self.days = [(first_day + timedelta(days=n)).isoformat() for n in range(days)]
        self.times = [f" {h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)]
        self.limit = self.base + days * 86400
        opens, closes = array("q"), array("q")
        day = first_day
        while day <= last_day:
            if calendar.is_working_day(day):
                opening, closing = calendar.hours_of(day)
                opens.append(int(opening.timestamp()))
                closes.append(int(closing.timestamp()))
            day += timedelta(days=1)
        self.opens, self.closes = opens, closes
        self.cum, self.cum_end = array("q"), array("q")
        total = 0
        for opening, closing in zip(opens, closes, strict=True):
            self.cum.append(total)
            total += closing - opening
            self.cum_end.append(total)

    def text(self, instant: int) -> str:
        days, seconds = divmod(instant - self.base, 86400)
        return self.days[days] + self.times[seconds]

    def iso(self, instant: int) -> str:
        """As `datetime.isoformat()` writes an instant read back from the database (UTC)."""
        days, seconds = divmod(instant - self.base, 86400)
        return f"{self.days[days]}T{self.times[seconds][1:9]}+00:00"

    def position(self, instant: int) -> int:
        """Working seconds from the clock's first day to `instant`."""
        k = bisect.bisect_right(self.closes, instant)
        return self.cum[k] + max(0, instant - self.opens[k])

    def at(self, position: float) -> int:
        """The instant `position` working seconds after the clock's first day; a target that ends at closing
        time is due at closing time, not at the next opening (as the product's calendar says)."""
        j = bisect.bisect_left(self.cum_end, position)
        return int(round(self.opens[j] + (position - self.cum[j])))

    def add_working(self, instant: int, seconds: float) -> int:
        if seconds <= 0:
            return instant
        return self.at(self.position(instant) + seconds)


class _Rhythm:
    """Filing instants for ticket number g of n, increasing with g, following the hourly weights."""

    def __init__(self, start: int, end: int, zone, holidays=frozenset()):
        first_hour = start // 3600
        hours = (end - first_hour * 3600) // 3600 + 1
        self.start, self.end = start, end
        self.hour0 = first_hour
        self.weights = []
        self.cum = [0.0]
        for h in range(hours):
            local = datetime.fromtimestamp((first_hour + h) * 3600, tz=zone)
            weight = (
                HOUR_WEIGHTS[local.hour] * WEEKDAY_WEIGHTS[local.weekday()] * MONTH_WEIGHTS[local.month - 1]
            )
            if local.date() in holidays:
                weight *= 0.2
            self.weights.append(weight)
            self.cum.append(self.cum[-1] + weight)
        self.total = self.cum[-1]

    def instant(self, g: int, n: int) -> int:
        # A deterministic jitter in [0, 1): the same ticket number gets the same instant on every run.
        jitter = ((g * 2654435761) & 0xFFFFFFFF) / 4294967296
        u = (g + jitter) / n * self.total
        h = min(bisect.bisect_right(self.cum, u) - 1, len(self.weights) - 1)
        at = (self.hour0 + h) * 3600 + (u - self.cum[h]) / self.weights[h] * 3600
        return int(min(max(at, self.start), self.end))


@dataclass
class _World:
    now: int
    start: int
    end: int
    clock: _Clock
    rhythm: _Rhythm
    places: list  # (school id, code, province id, code, academy id, code)
    staff_user: array
    staff_place: array
    heads: dict  # place index -> [(user id, username)]
    agents: dict  # desk id -> [(user id, username)]
    categories: list  # (id, code, owner id, owner code, family)
    category_cum: list
    targets: dict  # (level, priority) -> (response seconds, resolution seconds)
    risk_share: float
    auto_close: int
    # unit id -> the "u<id>" access keys of that unit and those above it (policy.access_keys), for the
    # schools and the central services that tickets reach.
    above: dict = field(default_factory=dict)
    id_base: int = 0
    numbers: list = field(default_factory=list)  # (first g, last g, year, first number)
    missing: int = 0
    seed: int = 0
    bypass_keys: bool = False


def _desk_agents() -> dict:
    # An active agent as the policy defines one (policy.desk_agents): an active membership with a desk role,
    # of an active account, in an active unit.
    rows = Membership.objects.filter(
        role__in=DESK_ROLES, is_active=True, user__is_active=True, unit__is_active=True
    ).values_list("unit_id", "user_id", "user__username")
    agents: dict = {}
    for unit_id, user_id, username in rows.order_by("unit_id", "user_id").iterator(chunk_size=20000):
        agents.setdefault(unit_id, []).append((user_id, username))
    return agents


def _world(seed: int, days: int) -> _World:
    units = {
        pk: (code, kind, parent)
        for pk, code, kind, parent in OrgUnit.objects.filter(is_active=True).values_list(
            "pk", "code", "kind", "parent_id"
        )
    }
    agents = _desk_agents()
    categories, weights = [], []
    with_topics = set(
        Category.objects.filter(parent__isnull=False, is_active=True).values_list("parent_id", flat=True)
    )
    for pk, code, owner_id in Category.objects.filter(is_active=True, owner__isnull=False).values_list(
        "pk", "code", "owner_id"
    ):
        if pk in with_topics or owner_id not in units:
            continue
        categories.append((pk, code, owner_id, units[owner_id][0], bench_text.family_of(code)))
        weights.append(CATEGORY_WEIGHTS.get(code, 1))
    if not categories:
        raise LoadError("No active category with an owning service: run load-org first.")
    # Schools whose school, province and academy desks all have an agent: requests land where the memo says
    # and nothing has to be routed past an empty desk.
    places, index_of = [], {}
    for pk, (code, kind, parent) in sorted(units.items()):
        if kind != UnitKind.SCHOOL or parent not in units or pk not in agents:
            continue
        academy = units[parent][2]
        if (
            units[parent][1] != UnitKind.PROVINCE
            or academy not in units
            or units[academy][1] != UnitKind.ACADEMY
        ):
            continue
        if parent in agents and academy in agents:
            index_of[pk] = len(places)
            places.append((pk, code, parent, units[parent][0], academy, units[academy][0]))
    staff_user, staff_place = array("q"), array("q")
    staff = Membership.objects.filter(role=Role.STAFF, is_active=True, user__is_active=True)
    for user_id, unit_id in staff.values_list("user_id", "unit_id").order_by("id").iterator(chunk_size=50000):
        if unit_id in index_of:
            staff_user.append(user_id)
            staff_place.append(index_of[unit_id])
    if not staff_user:
        raise LoadError("No school staff to file requests: run generate --schools N --staff N first.")
    heads = {index_of[pk]: agents[pk] for pk in index_of}
    # Categories whose owning service has nobody would leave tickets waiting centrally: fine, it is the last
    # level; but their agents act at the centre, so keep only staffed owners.
    kept = [(c, w) for c, w in zip(categories, weights, strict=True) if c[2] in agents]
    if not kept:
        raise LoadError("No central service has an agent: run generate first.")
    categories = [c for c, _w in kept]
    cum, total = [], 0
    for _c, weight in kept:
        total += weight
        cum.append(total)
    now = int(timezone.now().timestamp())
    start = now - days * 86400
    end = now - 600
    calendar = work_calendar()
    first_day = datetime.fromtimestamp(start, tz=UTC).date() - timedelta(days=3)
    last_day = datetime.fromtimestamp(now, tz=UTC).date() + timedelta(days=400)
    clock = _Clock(first_day, last_day, calendar)
    rhythm = _Rhythm(start, end, calendar.zone, calendar.holidays)
    targets = {
        (policy.level, policy.priority): (policy.first_response_minutes * 60, policy.resolution_minutes * 60)
        for policy in SlaPolicy.objects.all()
    }

    def above(pk: int) -> tuple[str, ...]:
        keys = []
        while pk is not None:
            keys.append(f"u{pk}")
            pk = units[pk][2] if pk in units else None
        return tuple(keys)

    reached = {place[0] for place in places} | {category[2] for category in categories}
    return _World(
        above={pk: above(pk) for pk in reached},
        now=now,
        start=start,
        end=end,
        clock=clock,
        rhythm=rhythm,
        places=places,
        staff_user=staff_user,
        staff_place=staff_place,
        heads=heads,
        agents=agents,
        categories=categories,
        category_cum=cum,
        targets=targets,
        risk_share=settings.MUSANADA_SLA["AT_RISK_PERCENT"] / 100,
        auto_close=settings.MUSANADA["AUTO_CLOSE_DAYS"] * 86400,
        seed=seed,
    )


# Reservations: ticket ids and reference numbers --------------------------------------------------------


def _year_starts(world: _World) -> list[tuple[int, int]]:
    """(year, first instant) of each local calendar year the load covers."""
    zone = timezone.get_default_timezone()
    first = datetime.fromtimestamp(world.start, tz=zone).year
    last = datetime.fromtimestamp(world.end, tz=zone).year
    return [(year, int(datetime(year, 1, 1, tzinfo=zone).timestamp())) for year in range(first, last + 1)]


def _reserve(world: _World, missing: int) -> None:
    """Take the ticket ids and, per year, the reference numbers the load will use, before writing anything:
    the sequence and the counters move past them, so filings during or after the load never collide."""
    spans = []
    years = _year_starts(world)
    for index, (year, begins) in enumerate(years):
        ends = years[index + 1][1] if index + 1 < len(years) else None
        first = _first_at_or_after(world, missing, begins)
        last = _first_at_or_after(world, missing, ends) - 1 if ends is not None else missing - 1
        if last >= first:
            spans.append((first, last, year))
    table = Ticket._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        highest = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        last_value, is_called = cursor.fetchone()
        world.id_base = max(highest, last_value if is_called else last_value - 1) + 1
        cursor.execute("SELECT setval(%s, %s)", [sequence, world.id_base + missing - 1])
        world.numbers = []
        for first, last, year in spans:
            # Through the product's numbering: its per-year sequence on PostgreSQL moves past the block too.
            world.numbers.append((first, last, year, references.reserve(year, last - first + 1)))
    world.missing = missing


def _first_at_or_after(world: _World, n: int, instant: int) -> int:
    low, high = 0, n
    while low < high:
        middle = (low + high) // 2
        if world.rhythm.instant(middle, n) < instant:
            low = middle + 1
        else:
            high = middle
    return low


# One chunk of tickets as COPY text -----------------------------------------------------------------------


class _Rows:
    __slots__ = ("tickets", "events", "holdings", "visits")

    def __init__(self):
        self.tickets, self.events, self.holdings, self.visits = [], [], [], []

    def counts(self) -> dict:
        return {
            "tickets": len(self.tickets),
            "events": len(self.events),
            "holdings": len(self.holdings),
            "visits": len(self.visits),
        }


def _chunk_rows(world: _World, first_g: int, last_g: int, folder: bench_text.Folder) -> _Rows:
    rng = random.Random(f"{world.seed}:{world.id_base}:{first_g}")
    rows = _Rows()
    numbers = world.numbers
    span = next(i for i, (first, last, _y, _n) in enumerate(numbers) if first <= first_g <= last)
    for g in range(first_g, last_g + 1):
        while g > numbers[span][1]:
            span += 1
        first, _last, year, number = numbers[span]
        reference = f"MSN-{year}-{number + g - first:06d}"
        _ticket(world, rng, rows, g, reference, folder)
    return rows


def _desk_json(code: str, level: str) -> str:
    return f'{{"code": "{code}", "level": "{level}"}}'


def _sla_json(desk_code: str, level: str, target: str, due: str, above: str) -> str:
    # As `sla.services._flag_and_tell` writes it; `above` is already JSON (a quoted code, or null).
    return (
        f'{{"desk": "{desk_code}", "level": "{level}", "target": "{target}", "due": "{due}", '
        f'"above": {above}}}'
    )


def _ticket(world: _World, rng: random.Random, rows: _Rows, g: int, reference: str, folder) -> None:
    """One ticket's rows. The history is drawn stay by stay; whatever would happen after `now` is not."""
    clock = world.clock
    ts = clock.text
    now = world.now
    random_ = rng.random
    expo = rng.expovariate
    ticket_id = world.id_base + g
    filed = world.rhythm.instant(g, world.missing)
    who = int(random_() * len(world.staff_user))
    place_index = world.staff_place[who]
    place = world.places[place_index]
    if random_() < HEAD_SHARE:
        # A school head files for the school: the request starts at the province (routing.filing_desk).
        heads = world.heads[place_index]
        requester = heads[int(random_() * len(heads))][0]
        first_level, end_level = 1, _draw(random_, END_CUM[1])
    else:
        requester = world.staff_user[who]
        first_level, end_level = 0, _draw(random_, END_CUM[0])
    category_id, category_code, owner_id, owner_code, _family = world.categories[
        bisect.bisect_right(world.category_cum, random_() * world.category_cum[-1])
    ]
    priority = PRIORITIES[_draw(random_, PRIORITY_CUM)]
    channel = API if random_() < API_SHARE else WEB
    req = bench_text.request(rng, category_code)
    lang = req.lang
    desk_ids = (place[0], place[2], place[4], owner_id)
    desk_codes = (place[1], place[3], place[5], owner_code)
    subject = req.subject
    description = " ".join(req.sentences)
    if req.other_line:
        description += "\\n\\n" + req.other_line  # a blank line, escaped for COPY

    # (instant, kind, by system, public, body, data, actor): sorted by instant when written.
    events = [
        (
            filed,
            K["FILED"],
            "f",
            "t",
            description,
            f'{{"unit": "{place[1]}", "desk": "{desk_codes[first_level]}", "category": "{category_code}", '
            f'"priority": "{priority}", "subject": "{subject}", "channel": "{channel}"}}',
            requester,
        )
    ]
    add = events.append
    status = S["NEW"]
    assignee = NULL
    first_response = resolved_at = closed_at = None
    rating = due_at = NULL
    actions = 0  # each action bumps the version and `updated_at`; the service-level events do not
    updated = arrive = filed
    final_desk = desk_ids[first_level]
    keys = set(world.above[place[0]])
    for level in range(first_level, 4):
        desk, desk_code, level_name = desk_ids[level], desk_codes[level], LEVELS[level]
        final_desk = desk
        # The stay's targets are those of the priority it arrived with (a requalification may raise it).
        target = world.targets.get((level_name, priority))
        rows.holdings.append(f"{ts(arrive)}\t{desk}\t{ticket_id}\n")
        keys.add(f"d{desk}")
        if level == 3:
            keys.update(world.above[desk])
        agents = world.agents[desk]
        agent_id, agent_name = agents[int(random_() * len(agents))]
        # Working time from the arrival, in seconds: the desk acts during its opening hours.
        start = clock.position(arrive)
        took = None
        if random_() < TAKE_SHARE[level]:
            took = clock.at(start + expo(RATE[level] / 0.3))
        response_offset = expo(RATE[level])
        respond_at = clock.at(start + response_offset)
        # Some stays end without a reply: resolved or referred up at once.
        direct = random_() < DIRECT_SHARE
        outcome_at = respond_at if direct else clock.at(start + response_offset + expo(STAY_RATE[level]))
        if took is not None and took >= respond_at:
            took = None
        visit_response = paused_since = left = outcome = None
        if took is not None and took < now:
            add((took, K["ASSIGNED"], "f", "f", "", f'{{"assignee": "{agent_name}"}}', agent_id))
            assignee = str(agent_id)
            status = S["OPEN"]
            actions += 1
            updated = took
        if respond_at < now and not direct:
            if outcome_at >= now and random_() < INFO_SHARE:
                add(
                    (
                        respond_at,
                        K["INFO_REQUESTED"],
                        "f",
                        "t",
                        bench_text.desk_text(rng, lang, "info"),
                        "{}",
                        agent_id,
                    )
                )
                status = S["WAITING"]
                paused_since = respond_at
            else:
                add(
                    (
                        respond_at,
                        K["REPLY"],
                        "f",
                        "t",
                        bench_text.desk_text(rng, lang, "reply"),
                        PARTY_DESK,
                        agent_id,
                    )
                )
                status = S["OPEN"]
                if random_() < FOLLOW_UP_SHARE:
                    follow = respond_at + int(expo(1 / 7200))
                    if follow < min(outcome_at, now):
                        body = bench_text.desk_text(rng, lang, "followup")
                        add((follow, K["REPLY"], "f", "t", body, PARTY_REQUESTER, requester))
                        actions += 1
                        updated = max(updated, follow)
            visit_response = respond_at
            if first_response is None:
                first_response = respond_at
            actions += 1
            updated = max(updated, respond_at)
        if paused_since is None and outcome_at < now:
            left = outcome_at
            if level == end_level:
                outcome = "resolved"
                body = bench_text.desk_text(rng, lang, "resolution")
                add(
                    (
                        left,
                        K["RESOLVED"],
                        "f",
                        "t",
                        body,
                        f'{{"desk": {_desk_json(desk_code, level_name)}}}',
                        agent_id,
                    )
                )
                if visit_response is None:
                    visit_response = left
                if first_response is None:
                    first_response = left
                resolved_at = left
                status = S["RESOLVED"]
            else:
                outcome = "escalated"
                changes = "{}"
                if random_() < PRIORITY_RAISED and priority != URGENT:
                    raised = URGENT if priority == HIGH else HIGH
                    changes = f'{{"priority": ["{priority}", "{raised}"]}}'
                    priority = raised
                note = bench_text.desk_text(rng, lang, "note")
                add((left, K["REQUALIFIED"], "f", "f", note, f'{{"changes": {changes}}}', agent_id))
                source = _desk_json(desk_code, level_name)
                destination = _desk_json(desk_codes[level + 1], LEVELS[level + 1])
                moved = f'{{"from": {source}, "to": {destination}}}'
                add((left, K["ESCALATED"], "f", "t", "", moved, agent_id))
                status = S["NEW"]
                assignee = NULL
            actions += 1
            updated = max(updated, left)
        # The stay's service-level clock, as `sla.services.record` and the sweep leave it.
        response_due = resolution_due = response_risk = resolution_risk = at_risk = None
        response_breached = resolution_breached = False
        if target is not None:
            response_due = clock.at(start + target[0])
            resolution_due = clock.at(start + target[1])
            response_risk = clock.at(start + target[0] * world.risk_share)
            resolution_risk = clock.at(start + target[1] * world.risk_share)
            # The sweep watches a stay while it is open and not waiting for the requester.
            horizon = min(now if left is None else left, now if paused_since is None else paused_since)
            unanswered_until = math.inf if visit_response is None else visit_response
            late_response = response_due if response_due < min(horizon, unanswered_until) else None
            late_resolution = resolution_due if resolution_due < horizon else None
            above = f'"{desk_codes[level + 1]}"' if level < 3 else "null"
            if late_response is not None:
                data = _sla_json(desk_code, level_name, "response", clock.iso(response_due), above)
                add((late_response, K["SLA_BREACHED"], "t", "f", "", data, NULL))
            if late_resolution is not None:
                data = _sla_json(desk_code, level_name, "resolution", clock.iso(resolution_due), above)
                add((late_resolution, K["SLA_BREACHED"], "t", "f", "", data, NULL))
            risk, risk_target, risk_due = resolution_risk, "resolution", resolution_due
            if response_risk < unanswered_until and response_risk <= risk:
                risk, risk_target, risk_due = response_risk, "response", response_due
            if (
                risk < horizon
                and (late_response is None or risk < late_response)
                and (late_resolution is None or risk < late_resolution)
            ):
                at_risk = risk
                data = _sla_json(desk_code, level_name, risk_target, clock.iso(risk_due), "null")
                add((risk, K["SLA_AT_RISK"], "t", "f", "", data, NULL))
            # The visit's close judges the response by its time (or the leaving time), the resolution by
            # the leaving time; the sweep flagged what was late while it was open.
            answered = visit_response if visit_response is not None else left
            response_breached = late_response is not None or (left is not None and answered > response_due)
            resolution_breached = late_resolution is not None or (left is not None and left > resolution_due)
        rows.visits.append(
            f"{level_name}\t{ts(arrive)}\t{NULL if left is None else ts(left)}\t"
            f"{NULL if visit_response is None else ts(visit_response)}\t"
            f"{ts(left) if outcome == 'resolved' else NULL}\t"
            f"{NULL if response_due is None else ts(response_due)}\t"
            f"{NULL if resolution_due is None else ts(resolution_due)}\t0\t"
            f"{NULL if paused_since is None else ts(paused_since)}\t"
            f"{'t' if response_breached else 'f'}\t{'t' if resolution_breached else 'f'}\t{outcome or NULL}\t"
            f"{NULL if response_risk is None else ts(response_risk)}\t"
            f"{NULL if resolution_risk is None else ts(resolution_risk)}\t"
            f"{NULL if at_risk is None else ts(at_risk)}\t{NULL}\t{desk}\t{ticket_id}\n"
        )
        if left is None:
            # Still at this desk: the ticket is due when this stay's resolution target is.
            due_at = NULL if resolution_due is None else ts(resolution_due)
            break
        if outcome == "resolved":
            break
        arrive = left
    if resolved_at is not None:
        # The requester confirms, or the daily job closes it once the delay has passed.
        closes, closer = resolved_at + world.auto_close + int(random_() * 86400), NULL
        if random_() < REQUESTER_CLOSES:
            confirmed = resolved_at + int(expo(1 / (20 * 3600)))
            if confirmed - resolved_at < world.auto_close:
                closes, closer = confirmed, requester
        if closes < now:
            closed_at = closes
            status = S["CLOSED"]
            automatic = closer == NULL
            data = '{"automatic": true}' if automatic else '{"automatic": false}'
            add((closes, K["CLOSED"], "t" if automatic else "f", "t", "", data, closer))
            actions += 1
            updated = max(updated, closes)
            rated = closes + 60 + int(random_() * 6 * 3600)
            if random_() < RATED_SHARE and rated < now:
                score = 1 + _draw(random_, RATING_CUM)
                rating = str(score)
                comment = bench_text.desk_text(rng, lang, "comment")
                add((rated, K["RATED"], "f", "t", comment, f'{{"score": {score}}}', requester))
                actions += 1
                updated = max(updated, rated)
    events.sort(key=_first)
    lines = rows.events
    public, notes = [], []
    for instant, kind, by_system, shown, body, data, actor in events:
        lines.append(f"{kind}\t{by_system}\t{ts(instant)}\t{shown}\t{body}\t{data}\t{actor}\t{ticket_id}\n")
        # The filing's body is the description, which the request's texts already give.
        if body and kind != K["FILED"]:
            (public if shown == "t" else notes).append(body)
    subject_words, public_words, note_words = folder.columns(req, public, notes)
    rows.tickets.append(
        f"{ticket_id}\t{reference}\t{status}\t{priority}\t{subject}\t{description}\t{channel}\t{rating}\t"
        f"{ts(filed)}\t{ts(updated)}\t{NULL if first_response is None else ts(first_response)}\t"
        f"{NULL if resolved_at is None else ts(resolved_at)}\t"
        f"{NULL if closed_at is None else ts(closed_at)}\t"
        f"{due_at}\t{1 + actions}\t{assignee}\t{category_id}\t{final_desk}\t{place[0]}\t{requester}\t"
        f"{subject_words}\t{public_words}\t{note_words}\t{json.dumps(sorted(keys))}\n"
    )


def _first(item: tuple) -> int:
    return item[0]


def _copy(cursor, table: str, columns: str, lines: list) -> None:
    if not lines:
        return
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write("".join(lines))


def _write(rows: _Rows) -> None:
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        _copy(cursor, Ticket._meta.db_table, TICKET_COLUMNS, rows.tickets)
        _copy(cursor, Event._meta.db_table, EVENT_COLUMNS, rows.events)
        _copy(cursor, TicketHolding._meta.db_table, HOLDING_COLUMNS, rows.holdings)
        _copy(cursor, LevelVisit._meta.db_table, VISIT_COLUMNS, rows.visits)


# Workers ---------------------------------------------------------------------------------------------------

_WORKER_WORLD: _World | None = None
_WORKER_FOLDER: bench_text.Folder | None = None


def _work(task: tuple[int, int]) -> dict:
    global _WORKER_FOLDER
    world = _WORKER_WORLD
    assert world is not None
    if _WORKER_FOLDER is None:
        _WORKER_FOLDER = bench_text.Folder()
        with connection.cursor() as cursor:
            # Losing the last chunks on a crash is fine for generated data; waiting on each flush is not.
            cursor.execute("SET synchronous_commit = off")
            if world.bypass_keys:
                # The foreign keys' triggers look up and lock the parent row of every row inserted; the
                # references are checked once, in bulk, after the load (`_key_checks`).
                cursor.execute("SET session_replication_role = replica")
    started = time.monotonic()
    rows = _chunk_rows(world, task[0], task[1], _WORKER_FOLDER)
    built = time.monotonic()
    _write(rows)
    counts = rows.counts()
    counts["build_seconds"] = built - started
    counts["copy_seconds"] = time.monotonic() - built
    return counts


# Deferred indexes and constraints, vacuum, checks ----------------------------------------------------------
# After the COPY, two sessions: each table is vacuumed and analysed first (no index to visit yet: it only
# sets the hint bits and the visibility map), then its indexes are built, the trigram index of the tickets as
# early as possible (it is the longest, and PostgreSQL builds a GIN index on one core); the other session
# takes the rest, then checks the references. Unique constraints are built as unique indexes (a plain index
# build's lock lets other builds on the table go on) and attached at the end.


def _table(model) -> str:
    return model._meta.db_table


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _deferred() -> list[tuple[int, str, str, str]]:
    """(id, kind, table, statement) still to run from a deferred load: kind is index, attach or key."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [DEFERRED_TABLE])
        if cursor.fetchone()[0] is None:
            return []
        cursor.execute(f"SELECT id, kind, tablename, statement FROM {DEFERRED_TABLE} ORDER BY id")
        return list(cursor.fetchall())


def _defer_indexes(keys: bool) -> int:
    """Drop the secondary indexes and unique constraints of the four tables, and their foreign keys when
    `keys`; the statements that put them back are kept in DEFERRED_TABLE. Returns how many were dropped."""
    restore, drops = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        for model in TABLES:
            table = _table(model)
            cursor.execute(
                "SELECT c.conname, c.contype, pg_get_constraintdef(c.oid), c.conindid::regclass::text, "
                "pg_get_indexdef(c.conindid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype IN ('u', 'f') ORDER BY c.conname",
                [table],
            )
            for name, kind, definition, index, index_definition in cursor.fetchall():
                if kind == "u":
                    restore.append(("index", table, index_definition))
                    restore.append(
                        (
                            "attach",
                            table,
                            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX {index}',
                        )
                    )
                elif keys:
                    restore.append(
                        ("key", table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                    )
                else:
                    continue
                drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [table],
            )
            for name, definition in cursor.fetchall():
                restore.append(("index", table, definition))
                drops.append(f"DROP INDEX {name}")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {DEFERRED_TABLE} "
            "(id serial PRIMARY KEY, kind text, tablename text, statement text)"
        )
        for kind, table, statement in restore:
            cursor.execute(
                f"INSERT INTO {DEFERRED_TABLE} (kind, tablename, statement) VALUES (%s, %s, %s)",
                [kind, table, statement],
            )
        for statement in drops:
            cursor.execute(statement)
    return len(drops)


def _key_checks() -> list[tuple[str, str]]:
    """One query per table counting the rows whose foreign keys point nowhere (what validating the
    constraints would check), each table read once: (table, query)."""
    checks = []
    with connection.cursor() as cursor:
        for model in TABLES:
            table = _table(model)
            cursor.execute(
                "SELECT a.attname, c.confrelid::regclass::text, af.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] "
                "WHERE c.contype = 'f' AND c.conrelid = %s::regclass ORDER BY c.conname",
                [table],
            )
            joins, conditions = [], []
            for n, (column, parent, parent_column) in enumerate(cursor.fetchall()):
                # Hash joins: they spill to disk when a parent is large, where NOT IN would not.
                joins.append(f"LEFT JOIN {parent} p{n} ON p{n}.{parent_column} = c.{column}")
                conditions.append(f"(c.{column} IS NOT NULL AND p{n}.{parent_column} IS NULL)")
            if conditions:
                query = f"SELECT count(*) FROM {table} c {' '.join(joins)} WHERE {' OR '.join(conditions)}"
                checks.append((table, query))
    return checks


class _Task:
    def __init__(self, label: str, statement: str, table: str, *, row_id=None, after_vacuum=None):
        self.label, self.statement, self.table = label, statement, table
        self.row_id, self.after_vacuum = row_id, after_vacuum
        self.result = None


def _run_tasks(tasks: list[_Task], say: Callable[[str], None], sessions: int = 2) -> None:
    """Run the tasks in two sessions, in order, each one when the vacuum it waits for is done."""
    lock = threading.Condition()
    vacuumed: set[str] = set()
    waiting = list(tasks)
    failures: list[BaseException] = []

    def next_task():
        with lock:
            while True:
                if failures or not waiting:
                    return None
                for task in waiting:
                    if task.after_vacuum is None or task.after_vacuum in vacuumed:
                        waiting.remove(task)
                        return task
                lock.wait()

    def session():
        try:
            while (task := next_task()) is not None:
                started = time.monotonic()
                with connection.cursor() as cursor:
                    # PostgreSQL 15 builds a GIN index on one core, gathering entries in this memory and
                    # merging them into the index each time it fills: the tickets' search index (trigrams
                    # and access keys) built in 644 s with 4 GB alone, 1,012 s with 1 GB on a busier machine.
                    memory = "4GB" if " gin " in task.statement else "1GB"
                    cursor.execute(f"SET maintenance_work_mem = '{memory}'")
                    cursor.execute("SET work_mem = '1GB'")
                    cursor.execute(task.statement)
                    if cursor.description:
                        task.result = cursor.fetchone()[0]
                    if task.row_id is not None:
                        cursor.execute(f"DELETE FROM {DEFERRED_TABLE} WHERE id = %s", [task.row_id])
                say(f"  {time.monotonic() - started:7.1f} s  {task.label}")
                with lock:
                    if task.statement.startswith("VACUUM"):
                        vacuumed.add(task.table)
                    lock.notify_all()
        except BaseException as error:
            with lock:
                failures.append(error)
                lock.notify_all()
        finally:
            connection.close()

    threads = [threading.Thread(target=session) for _ in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _index_order(item) -> tuple:
    # The trigram index first (the longest, on one core), then the largest tables' indexes.
    _id, _kind, table, statement = item
    sizes = [_table(model) for model in (Event, Ticket, LevelVisit, TicketHolding)]
    return (" gin " not in statement, sizes.index(table) if table in sizes else 9)


def finish_deferred(say: Callable[[str], None], *, vacuum: bool = False, check_keys: bool = False) -> dict:
    """Build again what a deferred load dropped (kept in DEFERRED_TABLE), vacuuming and analysing the tables
    first when `vacuum`, checking the references when `check_keys`; returns the rows found pointing nowhere
    per table (empty when all is well)."""
    pending = _deferred()
    tasks = []
    if vacuum:
        for model in (Ticket, Event, LevelVisit, TicketHolding):
            tasks.append(
                _Task(f"VACUUM (ANALYZE) {_table(model)}", f"VACUUM (ANALYZE) {_table(model)}", _table(model))
            )
    indexes = sorted((item for item in pending if item[1] == "index"), key=_index_order)
    for row_id, _kind, table, statement in indexes:
        after = table if vacuum else None
        tasks.append(
            _Task(statement.replace("public.", "")[:90], statement, table, row_id=row_id, after_vacuum=after)
        )
    # The trigram index right after the tickets' vacuum, before the other tables' vacuums.
    if vacuum and indexes and " gin " in indexes[0][3]:
        gin = next(task for task in tasks if task.row_id == indexes[0][0])
        tasks.remove(gin)
        tasks.insert(2, gin)
    checks = [
        _Task(f"check the references of {table}", query, table)
        for table, query in (_key_checks() if check_keys else [])
    ]
    tasks.extend(checks)
    _run_tasks(tasks, say)
    with connection.cursor() as cursor:
        for row_id, kind, _table_name, statement in pending:
            if kind in ("attach", "key"):
                started = time.monotonic()
                cursor.execute(statement)
                cursor.execute(f"DELETE FROM {DEFERRED_TABLE} WHERE id = %s", [row_id])
                say(f"  {time.monotonic() - started:7.1f} s  {statement[:90]}")
        cursor.execute(f"DROP TABLE IF EXISTS {DEFERRED_TABLE}")
    return {task.table: task.result for task in checks if task.result}


# The load ------------------------------------------------------------------------------------------------


def load(
    count: int,
    *,
    seed: int = 2026,
    days: int = 365,
    workers: int | None = None,
    chunk: int = CHUNK,
    defer_indexes: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Have at least `count` tickets in the database: load the missing ones with COPY (PostgreSQL).

    `workers=0` loads in this process, on this connection and within the caller's transaction (the tests);
    otherwise that many processes (one per core by default) share the chunks. `defer_indexes` (default: when
    the load at least doubles the table and adds 50,000 tickets or more) drops the indexes and constraints
    during the load, then vacuums and analyses the tables and builds them again.
    """
    if connection.vendor != "postgresql":
        raise LoadError(
            "The COPY loader is PostgreSQL's: on SQLite, benchmark tickets are written with bulk inserts "
            "(musanada.demo.bench_tickets), which suits small sets only."
        )
    say = progress or (lambda message: None)
    started = time.monotonic()
    report = LoadReport(existing=Ticket.objects.count())
    if _deferred():
        say("a previous load was interrupted: building its indexes and constraints again")
        finish_deferred(say)
    missing = count - report.existing
    if missing <= 0:
        report.seconds = time.monotonic() - started
        return report
    world = _world(seed, days)
    _reserve(world, missing)
    report.phases["prepare"] = time.monotonic() - started
    if workers == 0:
        defer_indexes = False
    elif defer_indexes is None:
        defer_indexes = missing >= max(report.existing, 50_000)
    report.deferred_indexes = defer_indexes
    if defer_indexes:
        # A superuser's workers skip the foreign keys' triggers and the references are checked in bulk after;
        # anyone else's load drops the foreign keys too and adds them back (PostgreSQL validates them then).
        world.bypass_keys = _is_superuser()
        _defer_indexes(keys=not world.bypass_keys)
    tasks = [(first, min(first + chunk, missing) - 1) for first in range(0, missing, chunk)]
    totals = {
        "tickets": 0,
        "events": 0,
        "holdings": 0,
        "visits": 0,
        "build_seconds": 0.0,
        "copy_seconds": 0.0,
    }
    phase = time.monotonic()
    last_said = [0.0]

    def account(counts: dict) -> None:
        for key, value in counts.items():
            totals[key] += value
        if time.monotonic() - last_said[0] > 15 or totals["tickets"] == missing:
            last_said[0] = time.monotonic()
            rate = totals["tickets"] / max(time.monotonic() - phase, 1e-9)
            say(f"  tickets {totals['tickets']:,}/{missing:,} ({rate:,.0f}/s), events {totals['events']:,}")

    global _WORKER_WORLD
    try:
        if workers == 0:
            folder = bench_text.Folder()
            for task in tasks:
                rows = _chunk_rows(world, task[0], task[1], folder)
                _write(rows)
                account(rows.counts())
        else:
            report.workers = workers or os.cpu_count() or 1
            _WORKER_WORLD = world
            connections.close_all()
            context = multiprocessing.get_context("fork")
            with context.Pool(report.workers) as pool:
                for counts in pool.imap_unordered(_work, tasks):
                    account(counts)
    finally:
        _WORKER_WORLD = None
        report.phases["copy"] = time.monotonic() - phase
    phase = time.monotonic()
    if defer_indexes:
        say("vacuum and analyse, indexes and constraints again, references checked")
        dangling = finish_deferred(say, vacuum=True, check_keys=world.bypass_keys)
        report.phases["vacuum, indexes, checks"] = time.monotonic() - phase
        if dangling:
            raise LoadError(f"Rows whose references point nowhere, per table: {dangling}")
    else:
        with connection.cursor() as cursor:
            for model in TABLES:
                cursor.execute(f"ANALYZE {_table(model)}")
        report.phases["analyze"] = time.monotonic() - phase
    report.created = totals["tickets"]
    report.rows = {key: totals[key] for key in ("tickets", "events", "holdings", "visits")}
    report.phases["python (all workers)"] = totals["build_seconds"]
    report.phases["COPY wait (all workers)"] = totals["copy_seconds"]
    report.seconds = time.monotonic() - started
    return report


# The dashboards' rollup, in several processes -----------------------------------------------------------


def rollup(first: date, last: date, processes: int | None = None) -> int:
    """`reports.services.rollup_range` over `first`..`last`, the days shared among `processes` processes
    (one per core by default; PostgreSQL only, else in this process). Each day's rows are computed from the
    record and replaced on their own, so the rows are those of one `musanada rollup` over the range."""
    processes = processes or os.cpu_count() or 1
    days = (last - first).days + 1
    if processes <= 1 or days < 14 or connection.vendor != "postgresql":
        return rollup_range(first, last)
    # Whole weeks per process, as the rollup computes them.
    weeks = math.ceil(days / 7)
    per = math.ceil(weeks / processes)
    spans = []
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=7 * per - 1))
        spans.append((start, end))
        start = end + timedelta(days=1)
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(len(spans)) as pool:
        return sum(pool.starmap(rollup_range, spans))
