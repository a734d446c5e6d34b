import math
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from musanada.demo import bench_tickets
from musanada.demo.population import generate_population
from musanada.org.models import Membership, OrgUnit, Role, UnitKind, User
from musanada.org.services import membership_grant, refresh_planner_statistics
from musanada.reports.models import DailyUnitStats
from musanada.reports.services import local_today, rollup_range
from musanada.tickets.models import Event, Ticket, TicketHolding

CENTRAL_USER = "bench-central"
ACADEMY_USER = "bench-academy"


def _quantile(values, share):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


class Command(BaseCommand):
    help = (
        "Build (or reuse) a population and N benchmark tickets with bulk inserts, run the dashboards' rollup "
        "then time the country and an academy dashboard (the real views, through Django's test client) and "
        "print each figure with p50/p90/max."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=0)
        parser.add_argument("--staff", type=int, default=0)
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument("--runs", type=int, default=10)
        parser.add_argument("--academy", default="MA-01", help="the academy whose dashboard is timed")
        parser.add_argument("--skip-rollup", action="store_true", help="reuse the aggregates already built")

    def handle(self, *args, **options):
        if not OrgUnit.objects.filter(kind=UnitKind.ACADEMY).exists():
            raise CommandError("Load the national tree first: musanada load-org")
        out = self.stdout.write
        if options["schools"] or options["staff"]:
            started = time.monotonic()
            report = generate_population(schools=options["schools"], staff=options["staff"], password=None)
            out(
                f"population: {report.schools} schools and {report.users} users created, "
                f"{report.skipped_schools} schools existed; {time.monotonic() - started:.1f} s"
            )
        last = [0.0]

        def progress(done, total):
            if time.monotonic() - last[0] > 15 or done == total:
                last[0] = time.monotonic()
                out(f"  tickets {done}/{total}")

        try:
            made = bench_tickets.generate(options["tickets"], progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        out(
            f"tickets: {made.created} created, {made.existing} existed; {made.seconds:.1f} s"
            + (f" ({1000 * made.seconds / made.created:.3f} ms/ticket)" if made.created else "")
        )
        refresh_planner_statistics(Ticket, Event, TicketHolding)
        today = local_today()
        if not options["skip_rollup"]:
            started = time.monotonic()
            rows = rollup_range(today - timedelta(days=366), today)
            out(f"rollup: 367 days, {rows} aggregate rows; {time.monotonic() - started:.1f} s")
            refresh_planner_statistics(DailyUnitStats)
        out(
            f"database: {connection.vendor}; {Ticket.objects.count()} tickets, "
            f"{DailyUnitStats.objects.count()} aggregate rows"
        )
        self._time_dashboards(options, today, out)

    def _time_dashboards(self, options, today, out):
        academy = OrgUnit.objects.filter(code=options["academy"], kind=UnitKind.ACADEMY).first()
        if academy is None:
            raise CommandError(f"No academy {options['academy']}.")
        service = OrgUnit.objects.filter(kind=UnitKind.SERVICE).order_by("code").first()
        central = self._user(CENTRAL_USER, service, Role.AGENT)
        supervisor = self._user(ACADEMY_USER, academy, Role.SUPERVISOR)
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        year = {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()}
        cases = [
            ("country, 30 days", central, reverse("dashboard"), {}),
            ("country, 12 months", central, reverse("dashboard"), year),
            (
                f"academy {academy.code}, 30 days",
                supervisor,
                reverse("dashboard-unit", args=[academy.code]),
                {},
            ),
            (
                f"academy {academy.code}, 12 months",
                supervisor,
                reverse("dashboard-unit", args=[academy.code]),
                year,
            ),
        ]
        runs = max(1, options["runs"])
        out(f"dashboards, {runs} runs each (ms): p50 / p90 / max")
        for label, user, url, params in cases:
            client = Client()
            client.force_login(user)
            timings = []
            for _run in range(runs):
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append(1000 * (time.perf_counter() - started))
                if response.status_code != 200:
                    raise CommandError(f"{label}: HTTP {response.status_code}")
            out(
                f"  {label:<32} {statistics.median(timings):8.1f} / {_quantile(timings, 0.9):8.1f} / "
                f"{max(timings):8.1f}   (first run {timings[0]:.1f})"
            )

    def _user(self, username, unit, role):
        user, _created = User.objects.get_or_create(username=username, defaults={"is_active": True})
        if not Membership.objects.filter(user=user, unit=unit, role=role, is_active=True).exists():
            membership_grant(user, unit, role)
        return user
