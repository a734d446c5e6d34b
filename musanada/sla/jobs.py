"""The service-level sweep, registered with the jobs app: every five minutes, as the SYSTEM actor."""

from datetime import timedelta

from musanada.jobs.registry import job
from musanada.sla.services import sweep


@job("sla.sweep", every=timedelta(minutes=5))
def sla_sweep(payload: dict) -> None:
    sweep()
