"""The Celery application of the production backend (MUSANADA_JOBS_BACKEND=celery).

    celery -A musanada.jobs.celery worker --loglevel INFO
    celery -A musanada.jobs.celery beat --loglevel INFO

Celery carries the jobs; the `Job` rows stay the queue (runner.py). After the commit that queues a job, the
web process sends the task "run the job of this row" (tasks.py). Beat sends one "tick" every
MUSANADA_JOBS_POLL_SECONDS, which does what the embedded worker does at each poll: queue the periodic jobs
whose slot has come, and run the due jobs (retries, delayed jobs, any job whose message was lost while the
broker was down). Retries are not Celery's: each job's row carries its own schedule.

This module needs only the settings: web processes import it to send, without loading the tasks. In a
worker, Celery's Django fix-up sets Django up before it imports the tasks (`include`).
"""

import os
from datetime import timedelta

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musanada.config.settings")

from django.conf import settings  # noqa: E402

RUN_TASK = "musanada.jobs.run"
TICK_TASK = "musanada.jobs.tick"

app = Celery("musanada", include=["musanada.jobs.tasks"])
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    broker_connection_retry_on_startup=True,
    # A request that commits while the broker is down must not hang: the tick runs the job later.
    broker_connection_timeout=2,
    task_publish_retry_policy={
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1.0,
    },
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    timezone="UTC",
    beat_schedule={
        "tick": {"task": TICK_TASK, "schedule": timedelta(seconds=settings.MUSANADA_JOBS_POLL_SECONDS)},
    },
)
