"""The Celery application of the production backend (MUSANADA_JOBS_BACKEND=celery).

    celery -A musanada.jobs.celery worker --loglevel INFO
    celery -A musanada.jobs.celery beat --loglevel INFO

There is one task that runs a job by its id, sent after the commit that queued it. Retries are not Celery's:
the job's row carries its schedule, and beat's "run due jobs" sweep runs the retries, the delayed jobs and
any job whose message was lost (a broker down at commit time). Beat also queues each periodic job of the
registry for its time slot; the slot key makes a second scheduler (or a restarted beat) harmless.
"""

import os
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musanada.config.settings")

import django  # noqa: E402
from celery import Celery  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:
    django.setup()

from django.conf import settings  # noqa: E402

from musanada.jobs import registry, runner  # noqa: E402

RUN_TASK = "musanada.jobs.run"
SWEEP_TASK = "musanada.jobs.run_due"
PERIODIC_TASK = "musanada.jobs.enqueue_periodic"


def beat_schedule() -> dict:
    sweep = timedelta(seconds=settings.MUSANADA_JOBS_POLL_SECONDS)
    schedule = {"run due jobs": {"task": SWEEP_TASK, "schedule": sweep}}
    for periodic in registry.periodic_jobs():
        # Beat ticks at least every minute and each tick queues the slot in progress if it has no job yet:
        # no slot is skipped when beat drifts or restarts, and none runs twice.
        tick = min(periodic.every, timedelta(minutes=1))
        schedule[periodic.name] = {"task": PERIODIC_TASK, "schedule": tick, "args": (periodic.name,)}
    return schedule


app = Celery("musanada")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    broker_connection_retry_on_startup=True,
    # A request that commits while the broker is down must not hang: the sweep sends the job later.
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
    beat_schedule=beat_schedule(),
)


@app.task(name=RUN_TASK)
def run_job_task(job_id: int) -> bool:
    return runner.run_job(job_id)


@app.task(name=SWEEP_TASK)
def run_due_task() -> int:
    return runner.run_due_jobs()


@app.task(name=PERIODIC_TASK)
def enqueue_periodic_task(name: str) -> bool:
    return runner.enqueue_periodic(name)
