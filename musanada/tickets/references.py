"""Ticket references: `MSN-YYYY-NNNNNN`, numbered per calendar year (Africa/Casablanca).

On PostgreSQL each year has its own sequence: `nextval` takes no row lock, so filings across the country never
wait for each other (a counter row would make every filing wait for the one before it to commit). A number
taken by a filing that then fails is not reused: references can have gaps, never duplicates.
On SQLite, which lets one writer in at a time anyway, the year's `ReferenceCounter` row is the counter.
The counter row also records numbers given outside the services (the benchmark's bulk loader): `advance`.
"""

from django.db import connection
from django.db.models import F
from django.utils import timezone

from musanada.tickets.models import ReferenceCounter

PREFIX = "MSN"


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:06d}"


def _sequence(year: int) -> str:
    return f"tickets_reference_{year}"


def _create_sequence(cursor, year: int) -> None:
    # Two first filings of a year at once: the advisory lock lets one create the sequence, the other then
    # finds it. It starts after the numbers the counter row already gave.
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_sequence(year)])
    last = ReferenceCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0
    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_sequence(year)} START WITH {int(last) + 1}")


def next_reference(now) -> str:
    """A new reference for a ticket filed at `now`, unique for ever."""
    year = timezone.localtime(now).year
    return format_reference(year, next_reference_number(year))


def next_reference_number(year: int) -> int:
    """The next number of `year`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One statement: NULL (nextval is strict) until the year's sequence exists.
            cursor.execute("SELECT nextval(to_regclass(%s))", [_sequence(year)])
            number = cursor.fetchone()[0]
            if number is None:
                _create_sequence(cursor, year)
                cursor.execute("SELECT nextval(%s)", [_sequence(year)])
                number = cursor.fetchone()[0]
            return number
    ReferenceCounter.objects.bulk_create([ReferenceCounter(year=year, last=0)], ignore_conflicts=True)
    # The UPDATE takes the row lock first, so two filings at once get two numbers.
    ReferenceCounter.objects.filter(year=year).update(last=F("last") + 1)
    return ReferenceCounter.objects.values_list("last", flat=True).get(year=year)


def reserve(year: int, count: int) -> int:
    """Take `count` consecutive numbers of `year` at once and return the first: for a bulk load, which runs
    while nobody files (the benchmark's loader locks the ticket table)."""
    if connection.vendor == "postgresql":
        first = int(next_reference_number(year))
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(%s, %s)", [_sequence(year), first + count - 1])
        advance(year, first + count - 1)
        return first
    ReferenceCounter.objects.bulk_create([ReferenceCounter(year=year, last=0)], ignore_conflicts=True)
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def advance(year: int, last: int) -> None:
    """Make sure no reference of `year` numbered `last` or below is given again (after a bulk load)."""
    ReferenceCounter.objects.bulk_create([ReferenceCounter(year=year, last=0)], ignore_conflicts=True)
    ReferenceCounter.objects.filter(year=year, last__lt=last).update(last=last)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [_sequence(year)])
            if cursor.fetchone()[0] is not None:
                name = _sequence(year)
                highest = f"GREATEST(%s, (SELECT last_value FROM {name}))"
                cursor.execute(f"SELECT setval('{name}', {highest})", [last])
