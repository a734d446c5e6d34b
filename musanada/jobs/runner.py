"""Queueing and running jobs: the database row is the queue, so it works the same on every backend.

After the commit that queues a job, the job is handed to a worker: with Celery, a message naming the row;
with the embedded worker (worker.py), the `job_queued` event it waits on. Losing the hand-off delays a job,
never loses it: workers also poll the rows (embedded worker, `musanada run-jobs`, Celery beat's tick).

A job is claimed with one conditional UPDATE (queued or lease-expired, and due → running): on PostgreSQL the
second of two concurrent UPDATEs re-reads the row after the first commits and no longer matches it; on SQLite
writers are serialised. So two workers never run one claim twice. The attempt number is the claim's fencing
token: a worker whose lease ran out and was taken over cannot overwrite the newer run's outcome.
"""

import logging
import threading
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from musanada.core.logs import current_request_id, request_id_bound
from musanada.jobs import registry
from musanada.jobs.models import Job, JobStatus

logger = logging.getLogger("musanada.jobs")

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
ERROR_MAX_CHARS = 10_000
# How many jobs one round of a worker runs at most (`run_due_jobs`); a worker whose round ran this many goes
# straight on to the next round instead of waiting for its poll.
ROUND_LIMIT = 500
# Queued jobs, and running ones whose worker's lease ran out (it died or hangs) while attempts remain.
_CLAIMABLE = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, attempts__lt=F("max_attempts"))
STALLED_ERROR = "The worker running this job stopped before it finished (its lease expired)."

# Set after each commit that queues a job: a worker thread of this process (worker.py) waits on it between
# two polls, so that the job runs at once.
job_queued = threading.Event()


def backoff(failures: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(failures - 1, 0), BACKOFF_MAX_SECONDS))


def _hand_off(job_id: int) -> None:
    if settings.MUSANADA_JOBS_BACKEND == "celery":
        # Imported only with this backend, so that the embedded default never loads Celery.
        from musanada.jobs.celery import RUN_TASK, app

        try:
            app.send_task(RUN_TASK, args=(job_id,))
        except Exception:
            logger.warning("could not send job #%s to Celery; the tick will run it", job_id, exc_info=True)
    else:
        job_queued.set()


def _hand_off_on_commit(job_id: int) -> None:
    # robust: a broker that is down must not turn the committed action into an error page.
    transaction.on_commit(lambda: _hand_off(job_id), robust=True)


def _new_job(name, payload, key, delay=None, max_attempts=None) -> Job:
    registry.handler(name)  # an unknown name fails in the action that queues it, not later in a worker
    now = timezone.now()
    return Job(
        name=name,
        payload=dict(payload or {}),
        key=key,
        max_attempts=max_attempts or settings.MUSANADA_JOBS_MAX_ATTEMPTS,
        run_after=now + (delay or timedelta(0)),
        created_at=now,
        updated_at=now,
        request_id=current_request_id() if current_request_id() != "-" else "",
    )


def _enqueue(name, payload, key, delay, max_attempts) -> tuple[Job, bool]:
    job = _new_job(name, payload, key, delay, max_attempts)
    if key is None:
        job.save()
    else:
        existing = Job.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job.save()
        except IntegrityError:
            return Job.objects.get(key=key), False
    if not delay:
        # A delayed job is found by the next poll after its time.
        _hand_off_on_commit(job.pk)
    return job, True


def enqueue(name: str, payload: dict | None = None, *, key=None, delay=None, max_attempts=None) -> Job:
    """Queue the job `name` with `payload` (a JSON object), inside the caller's transaction.

    The job exists only if the caller's transaction commits, and is handed to the backend after the commit.
    With `key`, at most one job ever exists for that key: a second enqueue returns the first job.
    `delay` (a timedelta) postpones it.
    """
    return _enqueue(name, payload, key, delay, max_attempts)[0]


def enqueue_many(name: str, items) -> list[Job]:
    """Queue one job `name` per (payload, key) of `items` in one insert, inside the caller's transaction.

    Meant for keys that are new by construction (the id of a row the same transaction just created), such as
    one mail per notification of an action. Should a key exist after all, the existing job is kept and
    returned: the caller's action is never undone by a duplicate.
    """
    items = list(items)
    if not items:
        return []
    # One statement, no savepoint around it: a key that exists after all keeps its job (only its key is
    # "updated", to itself), whose id comes back like the new ones'. Handing an existing job off again is
    # harmless: a worker runs a job only if it is still queued and due.
    created = Job.objects.bulk_create(
        [_new_job(name, payload, key) for payload, key in items],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["key"],
    )
    for queued in created:
        _hand_off_on_commit(queued.pk)
    return created


def run_job(job_id: int) -> bool:
    """Run one job if it is due and nobody else holds it; returns whether this call ran it."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.MUSANADA_JOBS_LEASE_SECONDS)
    claimed = Job.objects.filter(_CLAIMABLE, pk=job_id, run_after__lte=now).update(
        status=JobStatus.RUNNING, attempts=F("attempts") + 1, run_after=lease, started_at=now, updated_at=now
    )
    if not claimed:
        return False
    job = Job.objects.get(pk=job_id)
    # The job's lines, its failure's included, carry the id of the request that queued it, or its own.
    with request_id_bound(job.request_id or f"job-{job.pk}"):
        try:
            # Inside a caller's transaction (tests, a command) a failing handler must not poison it.
            if connection.in_atomic_block:
                with transaction.atomic():
                    registry.handler(job.name)(dict(job.payload))
            else:
                registry.handler(job.name)(dict(job.payload))
        except Exception as error:
            _failed(job, error)
        else:
            done = timezone.now()
            Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
                status=JobStatus.DONE, finished_at=done, updated_at=done
            )
    return True


def _failed(job: Job, error: Exception) -> None:
    now = timezone.now()
    trace = "".join(traceback.format_exception(error))[-ERROR_MAX_CHARS:]
    final = job.attempts >= job.max_attempts
    if final:
        changes = {"status": JobStatus.FAILED, "run_after": now, "finished_at": now}
        logger.error("job %s #%s failed for good (attempt %s): %s", job.name, job.pk, job.attempts, error)
    else:
        changes = {"status": JobStatus.QUEUED, "run_after": now + backoff(job.attempts)}
        logger.warning("job %s #%s failed (attempt %s), to retry: %s", job.name, job.pk, job.attempts, error)
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
        last_error=trace, updated_at=now, **changes
    )


def run_due_jobs(limit: int = ROUND_LIMIT) -> int:
    """Run the due jobs, including those that due jobs queue, up to `limit` runs; returns how many ran."""
    now = timezone.now()
    # A job that took its worker down on its last attempt would otherwise stay "running" for ever.
    Job.objects.filter(status=JobStatus.RUNNING, run_after__lte=now, attempts__gte=F("max_attempts")).update(
        status=JobStatus.FAILED, last_error=STALLED_ERROR, finished_at=now, updated_at=now
    )
    ran = 0
    while ran < limit:
        due = list(
            Job.objects.filter(_CLAIMABLE, run_after__lte=timezone.now())
            .order_by("run_after", "pk")
            .values_list("pk", flat=True)[: min(100, limit - ran)]
        )
        batch = sum(run_job(pk) for pk in due)
        ran += batch
        if not batch:
            break
    return ran


def enqueue_periodic(name: str, now=None) -> bool:
    """Queue the periodic job `name` for the time slot in progress, unless it already is; True if queued."""
    periodic = registry.periodic(name)
    return _enqueue(name, {}, periodic.key(now or timezone.now()), None, None)[1]


def schedule_periodic(now=None) -> int:
    """Queue every periodic job whose current slot has no job yet; returns how many were queued.

    One query when every current slot is already queued, which is what an idle worker finds at almost every
    poll. A slot is queued once however many workers schedule it at once: its key is unique (`_enqueue`).
    """
    now = now or timezone.now()
    slots = {periodic.key(now): periodic for periodic in registry.periodic_jobs()}
    queued = set(Job.objects.filter(key__in=list(slots)).values_list("key", flat=True))
    return sum(enqueue_periodic(periodic.name, now) for key, periodic in slots.items() if key not in queued)


def tick() -> int:
    """A worker's round: queue the periodic jobs whose slot has come, then run the due jobs (how many ran)."""
    schedule_periodic()
    return run_due_jobs()


def queue_depth() -> dict[str, int]:
    """The queue as it stands: jobs `due` now (what a worker would run at once, a lapsed lease included),
    `waiting` for a later time (retries, delayed jobs), `running` under a live lease, and `failed` for good
    (what `run-jobs`, the metrics and the status page report)."""
    now = timezone.now()
    return {
        "due": Job.objects.filter(_CLAIMABLE, run_after__lte=now).count(),
        "waiting": Job.objects.filter(status=JobStatus.QUEUED, run_after__gt=now).count(),
        "running": Job.objects.filter(status=JobStatus.RUNNING, run_after__gt=now).count(),
        "failed": Job.objects.filter(status=JobStatus.FAILED).count(),
    }


def run_until_empty() -> int:
    """Run the due jobs, and the jobs they queue, until none is due; returns how many ran.

    Queues no periodic job: it drains the queue as it stands (a benchmark times how long a worker takes to
    work off what its writes queued). Jobs waiting for a retry or a delay stay for later.
    """
    ran = 0
    while True:
        batch = run_due_jobs()
        ran += batch
        # A round that ran nothing may have lost every claim to another worker: stop only on an empty queue.
        if not batch and not Job.objects.filter(_CLAIMABLE, run_after__lte=timezone.now()).exists():
            return ran


def requeue(jobs) -> int:
    """Give failed or waiting jobs a fresh set of attempts, to run now; returns how many were requeued."""
    now = timezone.now()
    ids = list(jobs.filter(status__in=(JobStatus.FAILED, JobStatus.QUEUED)).values_list("pk", flat=True))
    with transaction.atomic():
        count = Job.objects.filter(pk__in=ids, status__in=(JobStatus.FAILED, JobStatus.QUEUED)).update(
            status=JobStatus.QUEUED, attempts=0, run_after=now, finished_at=None, updated_at=now
        )
        for pk in ids:
            _hand_off_on_commit(pk)
    return count
