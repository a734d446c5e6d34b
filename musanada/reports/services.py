"""The rollup: turns one day of tickets, events and level visits into `DailyUnitStats` rows.

Idempotent: a day is recomputed from the record and its rows replaced in one transaction, so the periodic
job can run it as often as it likes (today and yesterday every ten minutes) and `musanada rollup` can rebuild
any range after a change of rules.
"""

import json
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db import connection, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from musanada.org.models import LEVEL_OF_KIND, OrgUnit
from musanada.reports.models import BUCKETS, DailyUnitStats, bucket_of
from musanada.tickets.models import Event, Ticket
from musanada.tickets.workflow import EventKind

JOURNEY = ""
_HIST = len(BUCKETS) + 1


def level_visit_model():
    """The SLA app's LevelVisit when that app is installed, else None: the figures it feeds stay empty."""
    try:
        return apps.get_model("sla", "LevelVisit")
    except LookupError:
        return None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A calendar day in the project's time zone (Africa/Casablanca), as aware instants."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)
    return start, end


def local_today() -> date:
    return timezone.localdate(timezone.now())


class _Cell:
    __slots__ = (
        "filed",
        "resolved",
        "escalated_out",
        "escalated_to",
        "fr_sum",
        "fr_count",
        "fr_hist",
        "res_sum",
        "res_count",
        "res_hist",
        "sla_met",
        "sla_missed",
        "ratings_sum",
        "ratings_count",
    )

    def __init__(self):
        self.filed = self.resolved = self.escalated_out = 0
        self.escalated_to = None
        self.fr_sum = self.fr_count = self.res_sum = self.res_count = 0
        # Allocated on first use: most cells of a school and a day hold one or two facts.
        self.fr_hist = None
        self.res_hist = None
        self.sla_met = self.sla_missed = self.ratings_sum = self.ratings_count = 0

    def first_response(self, seconds: float) -> None:
        seconds = max(0, int(seconds))
        self.fr_sum += seconds
        self.fr_count += 1
        if self.fr_hist is None:
            self.fr_hist = [0] * _HIST
        self.fr_hist[bucket_of(seconds)] += 1

    def resolution(self, seconds: float) -> None:
        seconds = max(0, int(seconds))
        self.res_sum += seconds
        self.res_count += 1
        if self.res_hist is None:
            self.res_hist = [0] * _HIST
        self.res_hist[bucket_of(seconds)] += 1

    def escalation(self, target: str | None) -> None:
        self.escalated_out += 1
        if target:
            if self.escalated_to is None:
                self.escalated_to = defaultdict(int)
            self.escalated_to[target] += 1

    def add(self, other: "_Cell") -> None:
        # Spelled out: this runs once per cell and unit above it, millions of times for a national year.
        self.filed += other.filed
        self.resolved += other.resolved
        self.escalated_out += other.escalated_out
        self.fr_sum += other.fr_sum
        self.fr_count += other.fr_count
        self.res_sum += other.res_sum
        self.res_count += other.res_count
        self.sla_met += other.sla_met
        self.sla_missed += other.sla_missed
        self.ratings_sum += other.ratings_sum
        self.ratings_count += other.ratings_count
        if other.escalated_to:
            if self.escalated_to is None:
                self.escalated_to = defaultdict(int)
            for level, count in other.escalated_to.items():
                self.escalated_to[level] += count
        if other.fr_hist is not None:
            if self.fr_hist is None:
                self.fr_hist = list(other.fr_hist)
            else:
                self.fr_hist = [a + b for a, b in zip(self.fr_hist, other.fr_hist, strict=True)]
        if other.res_hist is not None:
            if self.res_hist is None:
                self.res_hist = list(other.res_hist)
            else:
                self.res_hist = [a + b for a, b in zip(self.res_hist, other.res_hist, strict=True)]


class _Ancestry:
    """Each unit's parent and depth, from the materialised paths (one query)."""

    def __init__(self):
        rows = list(OrgUnit.objects.values_list("pk", "parent_id", "depth", "kind"))
        self.kind = {pk: kind for pk, _parent, _depth, kind in rows}
        self.parent = {pk: parent for pk, parent, _depth, _kind in rows}
        self.depth = {pk: depth for pk, _parent, depth, _kind in rows}

    def level(self, desk_id) -> str:
        return LEVEL_OF_KIND[self.kind[desk_id]]


def _system():
    # The information system: a topic's parent, or the category itself when it is a system.
    return Coalesce("category__parent_id", "category_id")


_ZONE = timezone.get_default_timezone()


def _local_day(moment) -> date:
    return moment.astimezone(_ZONE).date()


def compute(first: date, last: date, ancestry: _Ancestry | None = None) -> dict:
    """The cells of the days `first`..`last` by (day, origin unit, level, system), in one pass per source.

    Each fact counts on the local day it happened: filing, first response, resolution, escalation.
    """
    ancestry = ancestry or _Ancestry()
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    cells: dict = defaultdict(_Cell)

    filed = (
        Ticket.objects.filter(filed_at__gte=start, filed_at__lt=end)
        .annotate(system=_system())
        .values_list("origin_unit_id", "system", "filed_at")
    )
    for origin, system, filed_at in filed.iterator(chunk_size=5000):
        cells[(_local_day(filed_at), origin, JOURNEY, system)].filed += 1

    responded = (
        Ticket.objects.filter(first_response_at__gte=start, first_response_at__lt=end)
        .annotate(system=_system())
        .values_list("origin_unit_id", "system", "filed_at", "first_response_at")
    )
    for origin, system, filed_at, responded_at in responded.iterator(chunk_size=5000):
        cell = cells[(_local_day(responded_at), origin, JOURNEY, system)]
        cell.first_response((responded_at - filed_at).total_seconds())

    resolved = (
        Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(system=_system())
        .values_list("origin_unit_id", "system", "desk_id", "filed_at", "resolved_at", "rating")
    )
    for origin, system, desk_id, filed_at, resolved_at, rating in resolved.iterator(chunk_size=5000):
        day = _local_day(resolved_at)
        seconds = (resolved_at - filed_at).total_seconds()
        cell = cells[(day, origin, ancestry.level(desk_id), system)]
        cell.resolved += 1
        cell.resolution(seconds)
        journey = cells[(day, origin, JOURNEY, system)]
        journey.resolved += 1
        journey.resolution(seconds)
        if rating is not None:
            journey.ratings_sum += rating
            journey.ratings_count += 1

    escalated = (
        Event.objects.filter(kind=EventKind.ESCALATED, created_at__gte=start, created_at__lt=end)
        .annotate(system=Coalesce("ticket__category__parent_id", "ticket__category_id"))
        .values_list("ticket__origin_unit_id", "system", "created_at", "data")
    )
    for origin, system, created_at, data in escalated.iterator(chunk_size=5000):
        source = (data.get("from") or {}).get("level")
        if source:
            target = (data.get("to") or {}).get("level")
            cells[(_local_day(created_at), origin, source, system)].escalation(target)

    visit_model = level_visit_model()
    if visit_model is not None:
        _visit_facts(visit_model, start, end, cells)
    return cells


def _visit_facts(visit_model, start, end, cells) -> None:
    """Per-level first response and service-level compliance, from the SLA app's level visits."""
    system = Coalesce("ticket__category__parent_id", "ticket__category_id")
    responded = (
        visit_model.objects.filter(first_response_at__gte=start, first_response_at__lt=end)
        .annotate(system=system)
        .values_list("ticket__origin_unit_id", "level", "system", "arrived_at", "first_response_at")
    )
    for origin, level, system_id, arrived_at, responded_at in responded.iterator(chunk_size=5000):
        cell = cells[(_local_day(responded_at), origin, level, system_id)]
        cell.first_response((responded_at - arrived_at).total_seconds())
    # A visit is judged when it ends (resolved, escalated, returned, transferred), on the day it ends.
    ended = (
        visit_model.objects.filter(left_at__gte=start, left_at__lt=end)
        .annotate(system=system)
        .values_list(
            "ticket__origin_unit_id", "level", "system", "left_at", "response_breached", "resolution_breached"
        )
    )
    for origin, level, system_id, left_at, response_breached, resolution_breached in ended.iterator(
        chunk_size=5000
    ):
        cell = cells[(_local_day(left_at), origin, level, system_id)]
        if response_breached or resolution_breached:
            cell.sla_missed += 1
        else:
            cell.sla_met += 1


def expand(cells: dict, ancestry: _Ancestry) -> dict:
    """Adds each origin unit's cell to every unit above it: (day, unit, level, system) → cell.

    Level by level from the deepest: a school's cell goes into its province's, the province's total into the
    academy's, and so on, so each cell is added once rather than once per unit above it.
    """
    by_depth: dict = defaultdict(dict)
    for key, cell in cells.items():
        by_depth[ancestry.depth.get(key[1], 0)][key] = cell
    totals: dict = {}
    # Parents' depths may hold no origin cell yet: walk every depth, not only those present at the start.
    for depth in range(max(by_depth, default=-1), -1, -1):
        for key, cell in by_depth.get(depth, {}).items():
            totals[key] = cell
            parent = ancestry.parent.get(key[1])
            if parent is None:
                continue
            parent_key = (key[0], parent, key[2], key[3])
            above = by_depth[ancestry.depth[parent]]
            target = above.get(parent_key)
            if target is None:
                target = above[parent_key] = _Cell()
            target.add(cell)
    return totals


def _trimmed(histogram: list | None) -> list:
    if not histogram:
        return []
    end = len(histogram)
    while end and not histogram[end - 1]:
        end -= 1
    return histogram[:end]


_COLUMNS = (
    "day", "unit_id", "level", "system_id", "filed", "resolved", "escalated_out", "escalated_to",
    "first_response_seconds_sum", "first_response_count", "first_response_hist", "resolution_seconds_sum",
    "resolution_count", "resolution_hist", "sla_met", "sla_missed", "ratings_sum", "ratings_count",
)  # fmt: skip


def _values(key, cell: _Cell) -> tuple:
    day, unit_id, level, system = key
    return (
        day, unit_id, level, system, cell.filed, cell.resolved, cell.escalated_out,
        dict(cell.escalated_to or {}), cell.fr_sum, cell.fr_count, _trimmed(cell.fr_hist), cell.res_sum,
        cell.res_count, _trimmed(cell.res_hist), cell.sla_met, cell.sla_missed, cell.ratings_sum,
        cell.ratings_count,
    )  # fmt: skip


def _insert(rows: list[tuple]) -> None:
    """PostgreSQL gets COPY (a national year is millions of rows); other databases `bulk_create`."""
    if connection.vendor == "postgresql":
        table = DailyUnitStats._meta.db_table
        json_columns = {7, 10, 13}
        sql = f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(value) if i in json_columns else value for i, value in enumerate(row)]
                )
        return
    DailyUnitStats.objects.bulk_create(
        [DailyUnitStats(**dict(zip(_COLUMNS, row, strict=True))) for row in rows], batch_size=2000
    )


# Days computed together: one pass over each source per window, and a bounded number of cells in memory.
WINDOW_DAYS = 7


def rollup_range(first: date, last: date, progress=None) -> int:
    """Recompute every day from `first` to `last` included; returns the number of rows written."""
    ancestry = _Ancestry()
    written = 0
    window_start = first
    while window_start <= last:
        window_end = min(last, window_start + timedelta(days=WINDOW_DAYS - 1))
        totals = expand(compute(window_start, window_end, ancestry), ancestry)
        rows = [_values(key, cell) for key, cell in totals.items() if window_start <= key[0] <= window_end]
        with transaction.atomic():
            DailyUnitStats.objects.filter(day__gte=window_start, day__lte=window_end).delete()
            _insert(rows)
        written += len(rows)
        if progress:
            progress(window_end, len(rows))
        window_start = window_end + timedelta(days=1)
    return written


def rollup_recent() -> int:
    """Today and yesterday: what the periodic job keeps fresh (late events land in yesterday's rows too)."""
    today = local_today()
    return rollup_range(today - timedelta(days=1), today)
