"""Daily aggregates the dashboards read instead of scanning the tickets on each page view.

One row per (day, unit, level, information system). A ticket counts in the row of its origin unit *and* of
every unit above it (school, province, academy, the central directorate), so that a dashboard of any unit
reads only its own rows, and the comparison of its children reads theirs, whatever the size of the subtree.
`level` is the level of the desk where the fact happened; "" is the whole journey (filing, ratings).

Medians and percentiles cannot be summed from day to day: each row keeps a histogram of durations over the
fixed buckets of `BUCKETS` (seconds), from which percentiles are read (see `percentile`).
"""

from django.db import models

from musanada.org.models import Category, OrgUnit

MINUTE, HOUR, DAY = 60, 3600, 86400
# Upper bounds of the buckets: a duration falls in the first bucket whose bound is >= it; the last is open.
BUCKETS = (
    5 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    4 * HOUR,
    8 * HOUR,
    12 * HOUR,
    DAY,
    36 * HOUR,
    2 * DAY,
    3 * DAY,
    4 * DAY,
    5 * DAY,
    7 * DAY,
    10 * DAY,
    14 * DAY,
    21 * DAY,
    30 * DAY,
    45 * DAY,
    60 * DAY,
    90 * DAY,
    180 * DAY,
    365 * DAY,
)


def bucket_of(seconds: float) -> int:
    for index, bound in enumerate(BUCKETS):
        if seconds <= bound:
            return index
    return len(BUCKETS)


def bucket_bound(index: int) -> int | None:
    """The upper bound of a bucket in seconds; None for the open last bucket."""
    return BUCKETS[index] if index < len(BUCKETS) else None


def merge(total: list, histogram: list) -> list:
    if len(total) < len(histogram):
        total = total + [0] * (len(histogram) - len(total))
    for index, count in enumerate(histogram):
        total[index] += count
    return total


def percentile(histogram: list, share: float) -> int | None:
    """The upper bound of the bucket holding the `share` quantile (nearest rank), in seconds.

    Exact to the bucket: the true value lies between the previous bound and the one returned.
    """
    count = sum(histogram)
    if not count:
        return None
    rank = max(1, -(-int(share * count * 1000) // 1000))
    seen = 0
    for index, value in enumerate(histogram):
        seen += value
        if seen >= rank:
            return bucket_bound(index) if index < len(BUCKETS) else BUCKETS[-1]
    return BUCKETS[-1]


class DailyUnitStats(models.Model):
    day = models.DateField()
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=16, blank=True)
    system = models.ForeignKey(Category, null=True, on_delete=models.CASCADE, related_name="+")
    filed = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    escalated_out = models.PositiveIntegerField(default=0)
    # {"province": 3, ...}: tickets that left this level that day, by the level they went to.
    escalated_to = models.JSONField(default=dict)
    first_response_seconds_sum = models.BigIntegerField(default=0)
    first_response_count = models.PositiveIntegerField(default=0)
    first_response_hist = models.JSONField(default=list)
    resolution_seconds_sum = models.BigIntegerField(default=0)
    resolution_count = models.PositiveIntegerField(default=0)
    resolution_hist = models.JSONField(default=list)
    sla_met = models.PositiveIntegerField(default=0)
    sla_missed = models.PositiveIntegerField(default=0)
    ratings_sum = models.PositiveIntegerField(default=0)
    ratings_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["unit", "day"], name="dailystats_unit_day")]
        constraints = [
            models.UniqueConstraint(fields=["day", "unit", "level", "system"], name="dailystats_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.level or '*'} {self.system_id}"
