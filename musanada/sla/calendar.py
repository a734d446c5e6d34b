"""Working time: the business calendar the service-level clocks count in.

Pure: no database, no settings. A `WorkCalendar` says which weekdays are worked, the opening hours of a
working day in local time, and the holidays; the two functions add working time to an instant and measure
the working time between two instants. Instants are aware datetimes; results are in UTC.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A calendar that never opens would make `add_working_seconds` search forever: give up after ten years.
_MAX_DAYS = 3660


@dataclass(frozen=True)
class WorkCalendar:
    # Python weekdays (0 = Monday … 6 = Sunday).
    work_days: frozenset = frozenset({0, 1, 2, 3, 4})
    start: time = time(8, 30)
    end: time = time(16, 30)
    holidays: frozenset = field(default_factory=frozenset)
    zone: ZoneInfo = ZoneInfo("Africa/Casablanca")

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError("A working day must end after it starts.")
        if not self.work_days or not set(self.work_days) <= set(range(7)):
            raise ValueError("Working days are weekdays from 0 (Monday) to 6 (Sunday), at least one.")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.work_days and day not in self.holidays

    def hours_of(self, day: date) -> tuple[datetime, datetime]:
        """The opening and closing instants of `day` (in UTC), whatever the day's UTC offset."""
        opening = datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)
        closing = datetime.combine(day, self.end, tzinfo=self.zone).astimezone(UTC)
        return opening, closing


def parse_hours(text: str) -> tuple[time, time]:
    """ "08:30-16:30" → (08:30, 16:30)."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"Working hours must read HH:MM-HH:MM, not {text!r}.") from None
    return start, end


def _check(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("Working time is counted between aware instants.")
    return instant.astimezone(UTC)


def add_working_seconds(calendar: WorkCalendar, instant: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of working time have passed after `instant`.

    A target that ends exactly at closing time is due at closing time, not at the next opening.
    """
    instant = _check(instant)
    remaining = timedelta(seconds=seconds)
    if remaining <= timedelta(0):
        return instant
    day = instant.astimezone(calendar.zone).date()
    for _ in range(_MAX_DAYS):
        if calendar.is_working_day(day):
            opening, closing = calendar.hours_of(day)
            cursor = max(instant, opening)
            if cursor < closing:
                available = closing - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("The calendar has no working day in the next ten years.")


def add_working_minutes(calendar: WorkCalendar, instant: datetime, minutes: float) -> datetime:
    """The instant at which `minutes` working minutes have passed after `instant`."""
    return add_working_seconds(calendar, instant, minutes * 60)


def working_seconds_between(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    """Working seconds from `start` to `end` (0 when `end` is not after `start`)."""
    start, end = _check(start), _check(end)
    if end <= start:
        return 0
    total = timedelta(0)
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        if calendar.is_working_day(day):
            opening, closing = calendar.hours_of(day)
            overlap = min(end, closing) - max(start, opening)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return int(total.total_seconds())


def working_minutes_between(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    """Whole working minutes from `start` to `end`."""
    return working_seconds_between(calendar, start, end) // 60
