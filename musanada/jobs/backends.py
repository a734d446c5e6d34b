"""Handing a committed job to a worker. Losing this hand-off delays a job, never loses it: the rows are
polled (embedded worker, `musanada run-jobs`) or swept (Celery beat's "run due jobs")."""

import logging

from django.conf import settings

logger = logging.getLogger("musanada.jobs")

BACKENDS = ("inline", "celery")


def dispatch(job_id: int) -> None:
    """Called after the commit that queued (or requeued) the job."""
    if settings.MUSANADA_JOBS_BACKEND == "celery":
        from musanada.jobs.celery import run_job_task

        try:
            run_job_task.delay(job_id)
        except Exception:
            logger.warning("could not send job #%s to Celery; the sweep will run it", job_id, exc_info=True)
    else:
        from musanada.jobs.worker import wake_embedded_worker

        wake_embedded_worker()
