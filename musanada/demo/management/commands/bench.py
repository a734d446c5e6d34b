"""`musanada bench`: build a benchmark database and time the dashboards; `musanada bench load`: drive a
running server over HTTP (musanada/demo/bench_http.py). See docs/performance.md."""

import math
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from musanada.demo import bench_http, bench_load, bench_tickets
from musanada.demo.population import generate_population
from musanada.org.models import Membership, OrgUnit, Role, UnitKind, User
from musanada.org.services import membership_grant, refresh_planner_statistics
from musanada.reports.models import DailyUnitStats
from musanada.reports.services import local_today
from musanada.tickets.models import Event, Ticket, TicketHolding

CENTRAL_USER = "bench-central"
ACADEMY_USER = "bench-academy"


def _quantile(values, share):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


class Command(BaseCommand):
    help = (
        "Build (or reuse) a population and N benchmark tickets (PostgreSQL: COPY, with the history the "
        "services would have written; SQLite: bulk inserts), run the dashboards' rollup, then time the "
        "country and an academy dashboard. `bench load --url URL` drives a running server over HTTP instead "
        "(see docs/performance.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=0)
        parser.add_argument("--staff", type=int, default=0)
        parser.add_argument(
            "--tickets",
            type=int,
            default=10_000,
            help="have at least this many tickets (PostgreSQL: tickets of any kind; SQLite: BNCH- tickets)",
        )
        parser.add_argument(
            "--days", type=int, default=365, help="the tickets are filed over these last days"
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="loading processes (PostgreSQL; default one per core)"
        )
        parser.add_argument("--runs", type=int, default=10, help="renders of each dashboard timed (0: none)")
        parser.add_argument("--academy", default="MA-01", help="the academy whose dashboard is timed")
        parser.add_argument("--skip-rollup", action="store_true", help="reuse the aggregates already built")
        modes = parser.add_subparsers(dest="mode", title="modes", metavar="load")
        load = modes.add_parser(
            "load",
            help="drive a running server over HTTP with wrk and report each operation (docs/performance.md)",
        )
        load.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
        load.add_argument("--clients", type=int, default=8, help="concurrent connections (8)")
        load.add_argument("--seconds", type=int, default=20, help="measured seconds per operation (20)")
        load.add_argument("--warmup", type=int, default=5, help="unmeasured seconds before each one (5)")
        load.add_argument("--desk", default="MEN-MASSAR", help="the central agent's desk (MEN-MASSAR)")
        load.add_argument("--category", default="massar-grades", help="category of the filed requests")
        load.add_argument("--school", default=None, help="the teacher's and head's school (first one found)")
        load.add_argument(
            "--only",
            default="",
            help="comma-separated operations: ceiling,inbox,api_list,ticket,search,dashboard,file,escalate",
        )
        load.add_argument("--no-drain", action="store_true", help="do not time the jobs the writes queued")
        load.add_argument(
            "--settle-idle",
            type=float,
            default=0.8,
            help="between runs, wait until this share of the CPU is idle (0.8), at most --settle-max seconds",
        )
        load.add_argument("--settle-max", type=float, default=20.0)

    def handle(self, *args, **options):
        if options.get("mode") == "load":
            return self._load_mode(options)
        if not OrgUnit.objects.filter(kind=UnitKind.ACADEMY).exists():
            raise CommandError("Load the national tree first: musanada load-org")
        out = self.stdout.write
        total = time.monotonic()
        if options["schools"] or options["staff"]:
            started = time.monotonic()
            report = generate_population(schools=options["schools"], staff=options["staff"], password=None)
            out(
                f"population: {report.schools} schools and {report.users} users created, "
                f"{report.skipped_schools} schools existed; {time.monotonic() - started:.1f} s"
            )
        if connection.vendor == "postgresql":
            self._copy_load(options, out)
        else:
            self._bulk_load(options, out)
        out(f"load done in {time.monotonic() - total:.1f} s (population and tickets)")
        today = local_today()
        if not options["skip_rollup"]:
            started = time.monotonic()
            processes = options["workers"] if connection.vendor == "postgresql" else 1
            rows = bench_load.rollup(today - timedelta(days=366), today, processes)
            out(
                f"rollup: 367 days, {rows} aggregate rows; {time.monotonic() - started:.1f} s"
                + (f" ({processes or 'one per core'} processes)" if connection.vendor == "postgresql" else "")
            )
            refresh_planner_statistics(DailyUnitStats)
        out(
            f"database: {connection.vendor}; {Ticket.objects.count()} tickets, "
            f"{DailyUnitStats.objects.count()} aggregate rows"
        )
        if options["runs"] > 0:
            self._time_dashboards(options, today, out)

    def _copy_load(self, options, out):
        try:
            made = bench_load.load(
                options["tickets"], days=options["days"], workers=options["workers"], progress=out
            )
        except bench_load.LoadError as error:
            raise CommandError(str(error)) from error
        out(
            f"tickets: {made.created:,} loaded with COPY, {made.existing:,} existed; {made.seconds:.1f} s"
            + (f" ({1000 * made.seconds / made.created:.3f} ms/ticket)" if made.created else "")
        )
        if made.created:
            rows = ", ".join(f"{name} {count:,}" for name, count in made.rows.items())
            phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in made.phases.items())
            out(f"  rows: {rows}")
            out(f"  phases: {phases}; {made.workers or 'no'} worker processes")

    def _bulk_load(self, options, out):
        last = [0.0]

        def progress(done, total):
            if time.monotonic() - last[0] > 15 or done == total:
                last[0] = time.monotonic()
                out(f"  tickets {done}/{total}")

        try:
            made = bench_tickets.generate(options["tickets"], days=options["days"], progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        out(
            f"tickets: {made.created} created with bulk inserts, {made.existing} existed; "
            f"{made.seconds:.1f} s"
            + (f" ({1000 * made.seconds / made.created:.3f} ms/ticket)" if made.created else "")
        )
        refresh_planner_statistics(Ticket, Event, TicketHolding)

    def _load_mode(self, options):
        only = [name.strip() for name in options["only"].split(",") if name.strip()]
        unknown = set(only) - {
            "ceiling",
            "inbox",
            "api_list",
            "ticket",
            "search",
            "dashboard",
            "file",
            "escalate",
        }
        if unknown:
            raise CommandError(f"Unknown operation: {', '.join(sorted(unknown))}.")
        for name in ("clients", "seconds"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        if options["warmup"] < 0:
            raise CommandError("--warmup cannot be negative.")
        try:
            report = bench_http.run(
                options["url"],
                clients=options["clients"],
                seconds=options["seconds"],
                warmup=options["warmup"],
                desk=options["desk"],
                category=options["category"],
                school=options["school"],
                only=only or None,
                drain=not options["no_drain"],
                settle_idle=options["settle_idle"],
                settle_max=options["settle_max"],
                progress=self.stdout.write,
            )
        except bench_http.LoadModeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write("")
        self.stdout.write(bench_http.format_report(report))

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
