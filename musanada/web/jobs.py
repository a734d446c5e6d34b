"""The web app's background jobs (registered at start-up by the jobs app)."""

from musanada.jobs.registry import job
from musanada.web import auth


@job(auth.RESET_JOB)
def send_password_reset(payload: dict) -> None:
    auth.send_password_reset(payload)
