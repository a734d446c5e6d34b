"""The dashboards' scheduled work, registered with the jobs app."""

from datetime import timedelta

from musanada.jobs.registry import job
from musanada.reports.services import rollup_recent


@job("reports.rollup_recent", every=timedelta(minutes=10))
def rollup(payload: dict) -> None:
    # Idempotent: each run replaces today's and yesterday's rows with a fresh count.
    rollup_recent()
