"""What a dashboard shows, read from the daily aggregates and limited by the access policy.

A user opens the dashboard of a unit only when the policy puts it within their reach (`policy.unit_roots`: a
desk they work and what lies under it, a subtree they supervise or observe, the whole country for a central
desk). Anything else answers *not found*, whether the unit exists or not. Live figures (the backlog, the
oldest tickets) count only the tickets the user may see.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import NotFound
from musanada.knowledge.models import Article, AvoidedRequest
from musanada.org.models import LEVEL_OF_KIND, Category, Level, OrgUnit
from musanada.reports.models import DailyUnitStats, merge, percentile
from musanada.reports.services import JOURNEY, day_bounds, local_today
from musanada.tickets import policy
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import OPEN_STATUSES, Status

LEVELS = [Level.SCHOOL, Level.PROVINCE, Level.ACADEMY, Level.CENTRAL]


def _no_dashboard() -> NotFound:
    return NotFound(_("No dashboard of this unit is within your reach."))


def dashboard_unit(user, code: str = "") -> tuple[OrgUnit, list[OrgUnit]]:
    """The unit `code` if its dashboard is within the user's reach (their first root when empty)."""
    roots = policy.unit_roots(user)
    if not roots:
        raise _no_dashboard()
    if not code:
        return roots[0], roots
    unit = OrgUnit.objects.filter(code=code).first()
    if not policy.unit_in_reach(user, unit, roots):
        raise _no_dashboard()
    return unit, roots


@dataclass
class Period:
    start: date
    end: date
    system: Category | None = None

    @classmethod
    def default(cls) -> "Period":
        today = local_today()
        return cls(today - timedelta(days=29), today)


@dataclass
class LevelFigures:
    level: str
    label: str
    resolved: int = 0
    share: float | None = None
    escalated_out: int = 0
    first_response_p50: int | None = None
    first_response_p90: int | None = None
    resolution_p50: int | None = None
    resolution_p90: int | None = None
    sla_met: int = 0
    sla_missed: int = 0

    @property
    def sla_share(self) -> float | None:
        judged = self.sla_met + self.sla_missed
        return self.sla_met / judged if judged else None


@dataclass
class Dashboard:
    unit: OrgUnit
    period: Period
    filed: int = 0
    resolved: int = 0
    first_response_p50: int | None = None
    first_response_p90: int | None = None
    resolution_p50: int | None = None
    resolution_p90: int | None = None
    rating_average: float | None = None
    ratings: int = 0
    per_day: list = field(default_factory=list)  # (day, filed, resolved)
    per_week: list = field(default_factory=list)  # (monday, filed, resolved)
    levels: list = field(default_factory=list)
    paths: list = field(default_factory=list)  # (from level label, to level label, count)
    systems: list = field(default_factory=list)  # (category, filed)
    backlog: list = field(default_factory=list)  # (level label, {status: count}, total)
    statuses: list = field(default_factory=list)
    oldest: list = field(default_factory=list)
    children: list = field(default_factory=list)
    # Requests not filed because a help article answered them (knowledge.AvoidedRequest).
    avoided: int = 0
    avoided_categories: list = field(default_factory=list)  # (category, count)
    avoided_articles: list = field(default_factory=list)  # (article, count)


def _rows(unit_filter: Q, period: Period):
    rows = DailyUnitStats.objects.filter(unit_filter, day__gte=period.start, day__lte=period.end)
    if period.system is not None:
        rows = rows.filter(system=period.system)
    return rows


def dashboard(user, unit: OrgUnit, period: Period) -> Dashboard:
    """Every figure of `unit`'s dashboard over `period`. The caller checked the unit with `dashboard_unit`.

    A fixed number of queries: the unit's rows, the systems, the children's sums, the live backlog, the
    oldest open tickets (through the policy).
    """
    board = Dashboard(unit, period)
    levels = {level: LevelFigures(level, Level(level).label) for level in LEVELS}
    days: dict = defaultdict(lambda: [0, 0])
    journey_fr, journey_res = [], []
    level_fr, level_res = defaultdict(list), defaultdict(list)
    paths: dict = defaultdict(int)
    systems: dict = defaultdict(int)
    rating_sum = 0
    columns = (
        "day",
        "level",
        "system_id",
        "filed",
        "resolved",
        "escalated_out",
        "escalated_to",
        "first_response_hist",
        "resolution_hist",
        "sla_met",
        "sla_missed",
        "ratings_sum",
        "ratings_count",
    )
    for row in _rows(Q(unit=unit), period).values_list(*columns).iterator(chunk_size=5000):
        (
            day,
            level,
            system_id,
            filed,
            resolved,
            escalated_out,
            escalated_to,
            fr_hist,
            res_hist,
            sla_met,
            sla_missed,
            ratings_sum,
            ratings_count,
        ) = row
        if level == JOURNEY:
            days[day][0] += filed
            days[day][1] += resolved
            board.filed += filed
            board.resolved += resolved
            systems[system_id] += filed
            journey_fr = merge(journey_fr, fr_hist)
            journey_res = merge(journey_res, res_hist)
            rating_sum += ratings_sum
            board.ratings += ratings_count
            continue
        figures = levels.get(level)
        if figures is None:
            continue
        figures.resolved += resolved
        figures.escalated_out += escalated_out
        figures.sla_met += sla_met
        figures.sla_missed += sla_missed
        level_fr[level] = merge(level_fr[level], fr_hist)
        level_res[level] = merge(level_res[level], res_hist)
        for target, count in escalated_to.items():
            paths[(level, target)] += count

    board.first_response_p50 = percentile(journey_fr, 0.5)
    board.first_response_p90 = percentile(journey_fr, 0.9)
    board.resolution_p50 = percentile(journey_res, 0.5)
    board.resolution_p90 = percentile(journey_res, 0.9)
    board.rating_average = rating_sum / board.ratings if board.ratings else None
    total_resolved = sum(figures.resolved for figures in levels.values())
    for level, figures in levels.items():
        figures.share = figures.resolved / total_resolved if total_resolved else None
        figures.first_response_p50 = percentile(level_fr[level], 0.5)
        figures.first_response_p90 = percentile(level_fr[level], 0.9)
        figures.resolution_p50 = percentile(level_res[level], 0.5)
        figures.resolution_p90 = percentile(level_res[level], 0.9)
    board.levels = list(levels.values())
    board.paths = [
        (Level(source).label, Level(target).label, count)
        for (source, target), count in sorted(paths.items(), key=lambda item: -item[1])
        if source in Level.values and target in Level.values
    ]
    day = period.start
    while day <= period.end:
        board.per_day.append((day, *days.get(day, (0, 0))))
        day += timedelta(days=1)
    weeks: dict = defaultdict(lambda: [0, 0])
    for day, filed, resolved in board.per_day:
        monday = day - timedelta(days=day.weekday())
        weeks[monday][0] += filed
        weeks[monday][1] += resolved
    board.per_week = [(monday, *weeks[monday]) for monday in sorted(weeks)]
    names = Category.objects.in_bulk([pk for pk in systems if pk is not None])
    board.systems = sorted(
        ((names[pk], count) for pk, count in systems.items() if pk in names and count),
        key=lambda item: -item[1],
    )[:10]
    _backlog(user, board)
    _avoided(board)
    board.children = children_table(unit, period)
    return board


def _avoided(board: Dashboard) -> None:
    """The requests that help articles avoided in the unit's subtree over the period: how many, by
    category, and the articles that avoided most. Counted live (three grouped queries on the period)."""
    start, _end = day_bounds(board.period.start)
    _start, end = day_bounds(board.period.end)
    rows = AvoidedRequest.objects.filter(created_at__gte=start, created_at__lt=end)
    if board.unit.parent_id is not None:
        rows = rows.filter(unit__path__startswith=board.unit.path)
    system = board.period.system
    if system is not None:
        rows = rows.filter(Q(category=system) | Q(category__parent=system))
    board.avoided = rows.count()
    if not board.avoided:
        return
    by_category = rows.values("category").annotate(n=Count("pk")).order_by("-n")[:10]
    names = Category.objects.select_related("parent").in_bulk(
        [row["category"] for row in by_category if row["category"]]
    )
    board.avoided_categories = [
        (names[row["category"]], row["n"]) for row in by_category if row["category"] in names
    ]
    by_article = rows.values("article").annotate(n=Count("pk")).order_by("-n")[:10]
    articles = Article.objects.select_related("published").in_bulk([row["article"] for row in by_article])
    board.avoided_articles = [(articles[row["article"]], row["n"]) for row in by_article]


def _subtree(unit: OrgUnit, prefix: str = "") -> Q:
    # The root of the tree covers everything: no filter, so PostgreSQL need not join the units.
    if unit.parent_id is None:
        return Q()
    return Q(**{f"{prefix}origin_unit__path__startswith": unit.path})


def _backlog(user, board: Dashboard) -> None:
    """Open tickets by level and status, and the oldest ones: live, and only those the user may see."""
    open_tickets = Ticket.objects.filter(
        policy.current_scope(user), _subtree(board.unit), status__in=OPEN_STATUSES
    )
    if board.period.system is not None:
        system = board.period.system
        open_tickets = open_tickets.filter(Q(category=system) | Q(category__parent=system))
    counts = open_tickets.values("desk__kind", "status").annotate(n=Count("pk"))
    table: dict = {level: dict.fromkeys(OPEN_STATUSES, 0) for level in LEVELS}
    for row in counts:
        table[LEVEL_OF_KIND[row["desk__kind"]]][row["status"]] += row["n"]
    board.statuses = [Status(status).label for status in OPEN_STATUSES]
    board.backlog = [
        (Level(level).label, [table[level][status] for status in OPEN_STATUSES], sum(table[level].values()))
        for level in LEVELS
    ]
    board.oldest = list(open_tickets.select_related("desk", "category").order_by("filed_at", "pk")[:10])


@dataclass
class ChildRow:
    unit: OrgUnit
    filed: int
    resolved: int
    escalated_out: int
    first_response_average: float | None
    resolution_average: float | None
    sla_share: float | None
    rating_average: float | None


CHILD_SORTS = (
    "name",
    "filed",
    "resolved",
    "escalated_out",
    "first_response_average",
    "resolution_average",
    "sla_share",
    "rating_average",
)


def children_table(unit: OrgUnit, period: Period) -> list[ChildRow]:
    """The units one level below, side by side (averages: a median per child would cost a histogram each)."""
    children = {child.pk: child for child in OrgUnit.objects.filter(parent=unit, is_active=True)}
    if not children:
        return []
    sums = (
        _rows(Q(unit__parent=unit), period)
        .values("unit_id", "level")
        .annotate(
            filed=Sum("filed"),
            resolved=Sum("resolved"),
            escalated_out=Sum("escalated_out"),
            fr_sum=Sum("first_response_seconds_sum"),
            fr_count=Sum("first_response_count"),
            res_sum=Sum("resolution_seconds_sum"),
            res_count=Sum("resolution_count"),
            met=Sum("sla_met"),
            missed=Sum("sla_missed"),
            r_sum=Sum("ratings_sum"),
            r_count=Sum("ratings_count"),
        )
    )
    totals: dict = defaultdict(lambda: defaultdict(int))
    for row in sums:
        target = totals[row["unit_id"]]
        if row["level"] == JOURNEY:
            for name in (
                "filed",
                "resolved",
                "fr_sum",
                "fr_count",
                "res_sum",
                "res_count",
                "r_sum",
                "r_count",
            ):
                target[name] += row[name] or 0
        else:
            for name in ("escalated_out", "met", "missed"):
                target[name] += row[name] or 0
    result = []
    for pk, child in children.items():
        t = totals.get(pk, {})
        judged = t.get("met", 0) + t.get("missed", 0)
        result.append(
            ChildRow(
                child,
                t.get("filed", 0),
                t.get("resolved", 0),
                t.get("escalated_out", 0),
                t["fr_sum"] / t["fr_count"] if t.get("fr_count") else None,
                t["res_sum"] / t["res_count"] if t.get("res_count") else None,
                t.get("met", 0) / judged if judged else None,
                t["r_sum"] / t["r_count"] if t.get("r_count") else None,
            )
        )
    return result


def sort_children(rows: list[ChildRow], key: str, descending: bool) -> list[ChildRow]:
    if key not in CHILD_SORTS or key == "name":
        return sorted(rows, key=lambda row: row.unit.code, reverse=descending)
    # Rows without a figure go last whatever the direction.
    present = [row for row in rows if getattr(row, key) is not None]
    absent = [row for row in rows if getattr(row, key) is None]
    return sorted(present, key=lambda row: getattr(row, key), reverse=descending) + absent
