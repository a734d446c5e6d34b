from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from musanada.reports.services import local_today, rollup_range


class Command(BaseCommand):
    help = "Recompute the dashboards' daily aggregates for a range of days (default: the last 30)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        try:
            end = date.fromisoformat(options["end"]) if options["end"] else local_today()
            start = date.fromisoformat(options["start"]) if options["start"] else end - timedelta(days=29)
        except ValueError as error:
            raise CommandError(f"Dates are written YYYY-MM-DD: {error}") from error
        if start > end:
            raise CommandError("--from must not come after --to.")
        rows = rollup_range(start, end)
        self.stdout.write(f"{rows} aggregate rows for {start} … {end}")
