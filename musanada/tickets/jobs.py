"""The tickets' scheduled work, registered with the jobs app."""

from datetime import timedelta

from musanada.jobs.registry import job
from musanada.tickets.incidents import RESOLVE_JOB, resolve_following_requests
from musanada.tickets.services import close_resolved_tickets


@job("tickets.close_resolved", every=timedelta(days=1))
def close_resolved(payload: dict) -> None:
    close_resolved_tickets()


@job(RESOLVE_JOB)
def resolve_incident_requests(payload: dict) -> None:
    resolve_following_requests(int(payload["incident"]))
