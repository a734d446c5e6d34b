"""Dashboards: their figures equal what the tickets say, and nobody sees a unit beyond their reach."""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from musanada.org.models import Level, OrgUnit
from musanada.reports import selectors
from musanada.reports.charts import bar_chart, line_chart
from musanada.reports.models import BUCKETS, DailyUnitStats, bucket_bound, bucket_of, percentile
from musanada.reports.services import rollup_range, rollup_recent
from musanada.tickets import services
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import OPEN_STATUSES
from tests.helpers import file_request

CASABLANCA = ZoneInfo("Africa/Casablanca")
START = datetime(2026, 3, 2, 9, 0, tzinfo=CASABLANCA)  # a Monday


@pytest.fixture
def population(clock, people, categories):
    """Tickets of two provinces of one academy and of another academy, taken through every level.

    Filed over five days; resolved at each level after different delays, escalated, or left open.
    """
    made = []
    for i in range(16):
        clock.now = START + timedelta(days=i % 5, hours=i % 7)
        category = "massar-grades" if i % 2 else "accounts"
        ticket = file_request(people["teacher"], category=categories[category])
        made.append(ticket)
        clock.advance(minutes=20 * (i + 1))
        kind = i % 4
        if kind == 0:
            services.ticket_reply(people["head"], ticket, body="نعمل على ذلك.")
            clock.advance(hours=i + 1)
            services.ticket_resolve(people["head"], ticket, resolution="تم.")
        elif kind == 1:
            services.ticket_reply(people["head"], ticket, body="سأحيله.")
            services.ticket_escalate(people["head"], ticket, note="جربت إعادة التعيين.")
            clock.advance(hours=3 * i)
            ticket.refresh_from_db()
            services.ticket_resolve(people["province"], ticket, resolution="تم في المديرية.")
        elif kind == 2:
            services.ticket_escalate(people["head"], ticket, note="جربت.")
            clock.advance(hours=2)
            ticket.refresh_from_db()
            services.ticket_escalate(people["province"], ticket, note="جربت في المديرية.")
            clock.advance(days=1)
            ticket.refresh_from_db()
            services.ticket_reply(people["region"], ticket, body="تم الاطلاع.")
            clock.advance(hours=5)
            services.ticket_resolve(people["region"], ticket, resolution="تم في الأكاديمية.")
    for i in range(3):
        clock.now = START + timedelta(days=i, hours=2)
        made.append(file_request(people["head2"]))
        made.append(file_request(people["province2"]))
        other = file_request(people["outsider_teacher"], category=categories["accounts"])
        made.append(other)
        if i == 0:
            clock.advance(hours=4)
            services.ticket_resolve(people["outsider_head"], other, resolution="تم.")
    clock.now = START + timedelta(days=8)
    rollup_range(START.date(), START.date() + timedelta(days=8))
    return [Ticket.objects.get(pk=ticket.pk) for ticket in made]


def _period(**changes):
    return selectors.Period(START.date(), START.date() + timedelta(days=8), **changes)


def _nearest_rank(values, share):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _expected_bound(values, share):
    return bucket_bound(bucket_of(int(_nearest_rank(values, share))))


def _under(tickets, unit):
    return [ticket for ticket in tickets if ticket.origin_unit.path.startswith(unit.path)]


def test_academy_dashboard_figures_match_the_tickets(population, people, units):
    academy = units["MA-01"]
    tickets = _under(population, academy)
    board = selectors.dashboard(people["supervisor"], academy, _period())

    resolved = [t for t in tickets if t.resolved_at]
    responded = [t for t in tickets if t.first_response_at]
    assert board.filed == len(tickets)
    assert board.resolved == len(resolved)
    resolution = [(t.resolved_at - t.filed_at).total_seconds() for t in resolved]
    response = [(t.first_response_at - t.filed_at).total_seconds() for t in responded]
    assert board.resolution_p50 == _expected_bound(resolution, 0.5)
    assert board.resolution_p90 == _expected_bound(resolution, 0.9)
    assert board.first_response_p50 == _expected_bound(response, 0.5)
    assert board.first_response_p90 == _expected_bound(response, 0.9)

    by_level = {figures.level: figures for figures in board.levels}
    for level in ("school", "province", "academy", "central"):
        at_level = [t for t in resolved if t.desk.level == level]
        assert by_level[level].resolved == len(at_level)
        assert by_level[level].share == pytest.approx(len(at_level) / len(resolved))
    # Every fourth ticket went school → province → academy; every fourth but one stopped at the province.
    assert by_level["school"].escalated_out == 8
    assert by_level["province"].escalated_out == 4
    school, province, academy = Level.SCHOOL.label, Level.PROVINCE.label, Level.ACADEMY.label
    assert {(str(a), str(b)): n for a, b, n in board.paths} == {
        (str(school), str(province)): 8,
        (str(province), str(academy)): 4,
    }


def test_backlog_and_oldest_open_tickets_are_those_still_open_in_the_subtree(population, people, units):
    province = units["MA-01-01"]
    board = selectors.dashboard(people["observer"], province, _period())
    still_open = [t for t in _under(population, province) if t.status in OPEN_STATUSES]
    assert sum(total for _label, _counts, total in board.backlog) == len(still_open)
    assert {t.reference for t in board.oldest} == {
        t.reference for t in sorted(still_open, key=lambda t: t.filed_at)[:10]
    }


def test_category_filter_counts_only_that_information_system(population, people, units, categories):
    academy = units["MA-01"]
    system = categories["massar"]
    board = selectors.dashboard(people["supervisor"], academy, _period(system=system))
    expected = [
        t
        for t in _under(population, academy)
        if t.category_id == system.pk or t.category.parent_id == system.pk
    ]
    assert board.filed == len(expected)


def test_country_dashboard_of_a_central_agent_counts_every_academy(population, people, units):
    unit, roots = selectors.dashboard_unit(people["central"])
    assert unit.parent_id is None
    board = selectors.dashboard(people["central"], unit, _period())
    assert board.filed == len(population)
    academies = {row.unit.code: row.filed for row in board.children}
    assert academies["MA-01"] == len(_under(population, units["MA-01"]))
    assert academies["MA-02"] == 3


def test_children_side_by_side_compare_the_provinces_of_an_academy(population, people, units, client):
    client.force_login(people["supervisor"])
    response = client.get(
        reverse("dashboard-unit", args=["MA-01"]),
        {"sort": "-filed", "start": "2026-03-02", "end": "2026-03-10"},
    )
    assert response.status_code == 200
    rows = response.context["children"]
    filed = [row.filed for row, _link in rows]
    assert filed == sorted(filed)
    by_code = {row.unit.code: (row.filed, link) for row, link in rows}
    assert by_code["MA-01-01"][0] == len(_under(population, units["MA-01-01"]))
    assert by_code["MA-01-03"][0] == 3
    assert by_code["MA-01-01"][1].startswith(reverse("dashboard-unit", args=["MA-01-01"]))
    assert "<svg" in response.content.decode()


def test_provincial_observer_dashboard_never_shows_another_province(population, people, client):
    client.force_login(people["observer"])
    response = client.get(reverse("dashboard"), {"start": "2026-03-02", "end": "2026-03-10"})
    assert response.status_code == 200
    board = response.context["board"]
    assert board.unit.code == "MA-01-01"
    assert board.filed == len([t for t in population if t.origin_unit.path.startswith(board.unit.path)])
    page = response.content.decode()
    for ticket in population:
        if not ticket.origin_unit.path.startswith(board.unit.path):
            assert ticket.reference not in page


@pytest.mark.parametrize(
    "username, code",
    [
        ("observer", "MA-01-03"),  # a sibling province
        ("observer", "MA-01"),  # the academy above
        ("supervisor", "MA-02"),  # another academy
        ("head", "01002B"),  # a neighbouring school
        ("outsider", "MA-01-01"),
        ("teacher", "01001A"),  # a requester has no dashboard at all
        ("observer", "NO-SUCH-UNIT"),
    ],
)
def test_a_user_cannot_open_the_dashboard_of_a_unit_outside_their_reach(people, client, username, code):
    client.force_login(people[username])
    assert client.get(reverse("dashboard-unit", args=[code])).status_code == 404
    assert client.get(reverse("dashboard-export", args=[code, "csv"])).status_code == 404


def test_a_school_head_opens_their_school_dashboard_and_the_nav_shows_the_link(people, client):
    client.force_login(people["head"])
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["board"].unit.code == "01001A"
    assert reverse("dashboard") in response.content.decode()


def test_a_requester_sees_no_dashboards_link(people, client):
    client.force_login(people["teacher"])
    assert f'href="{reverse("dashboard")}"' not in client.get(reverse("home")).content.decode()


def test_a_reversed_period_is_refused_with_a_message_and_the_default_shown(people, client):
    client.force_login(people["supervisor"])
    response = client.get(reverse("dashboard"), {"start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def test_rollup_is_idempotent_and_the_periodic_job_refreshes_today(population, clock, people, units):
    day = START.date()
    before = sorted(
        DailyUnitStats.objects.filter(day=day).values_list("unit_id", "level", "system_id", "filed")
    )
    rollup_range(day, day)
    after = sorted(
        DailyUnitStats.objects.filter(day=day).values_list("unit_id", "level", "system_id", "filed")
    )
    assert before == after
    clock.now = START + timedelta(days=8, hours=1)
    file_request(people["teacher"])
    rollup_recent()
    today = DailyUnitStats.objects.filter(day=clock.now.date(), unit=units["01001A"], level="")
    assert sum(today.values_list("filed", flat=True)) == 1


def test_percentiles_come_from_the_bucket_holding_the_rank():
    histogram = [0] * (len(BUCKETS) + 1)
    for seconds in (60, 120, 7200, 7300, 90000):
        histogram[bucket_of(seconds)] += 1
    assert percentile(histogram, 0.5) == bucket_bound(bucket_of(7200))
    assert percentile(histogram, 0.9) == bucket_bound(bucket_of(90000))
    assert percentile([], 0.5) is None


def test_charts_mirror_the_time_axis_in_right_to_left_and_escape_labels():
    rtl = line_chart("t", ["a", "b"], [("s", [1, 2])], rtl=True)
    ltr = line_chart("t", ["a", "b"], [("s", [1, 2])], rtl=False)
    first_x = lambda svg: float(svg.split('points="')[1].split(",")[0])  # noqa: E731
    assert first_x(rtl) > first_x(ltr)
    assert "&lt;script&gt;" in bar_chart("t", [("<script>", 3)], rtl=True)


def test_bench_generator_population_gives_the_same_figures_as_its_rows(people):
    from musanada.demo import bench_tickets as generator
    from musanada.reports.services import level_visit_model

    made = generator.generate(300, days=40)
    assert made.created == 300
    today = timezone.localdate()
    period = selectors.Period(today - timedelta(days=45), today)
    rollup_range(period.start, period.end)
    country = OrgUnit.objects.get(parent__isnull=True)
    board = selectors.dashboard(people["central"], country, period)
    tickets = list(Ticket.objects.filter(reference__startswith="BNCH-").select_related("desk"))
    assert board.filed == len(tickets)
    resolved = [t for t in tickets if t.resolved_at]
    assert board.resolved == len(resolved)
    durations = [(t.resolved_at - t.filed_at).total_seconds() for t in resolved]
    assert board.resolution_p50 == _expected_bound(durations, 0.5)
    assert board.resolution_p90 == _expected_bound(durations, 0.9)
    by_level = {figures.level: figures for figures in board.levels}
    for level in ("school", "province", "academy", "central"):
        assert by_level[level].resolved == len([t for t in resolved if t.desk.level == level])
    visits = level_visit_model()
    if visits is not None:
        ended = visits.objects.filter(ticket__reference__startswith="BNCH-", left_at__isnull=False)
        for level in ("school", "province", "academy", "central"):
            at_level = ended.filter(level=level)
            missed = at_level.filter(Q(response_breached=True) | Q(resolution_breached=True)).count()
            assert by_level[level].sla_missed == missed
            assert by_level[level].sla_met == at_level.count() - missed
        escalated = ended.filter(outcome="escalated").count()
        assert sum(count for _a, _b, count in board.paths) == escalated
    # Generated again with the same count: nothing is added.
    assert generator.generate(300).created == 0
