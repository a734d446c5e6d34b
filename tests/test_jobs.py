"""Background jobs: queued with the action that needs them, run once, retried, kept when they keep failing."""

import io
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from musanada.jobs import runner
from musanada.jobs.models import Job, JobStatus
from musanada.jobs.registry import job, periodic_jobs
from musanada.jobs.runner import (
    ROUND_LIMIT,
    STALLED_ERROR,
    enqueue,
    enqueue_many,
    enqueue_periodic,
    queue_depth,
    run_due_jobs,
    run_job,
    schedule_periodic,
    tick,
)
from musanada.jobs.worker import Worker, start_embedded_worker, stop_embedded_worker
from musanada.tickets import services
from musanada.tickets.models import Event
from musanada.tickets.workflow import EventKind, Status
from tests.helpers import file_request

RECORDED: list[dict] = []
SMTP = {"up": True}
RUNS = {"count": 0}
RAN = threading.Event()


class WorkerKilled(BaseException):
    """What a worker process being killed mid-job looks like from inside: not an ordinary failure."""


@job("tests.record")
def record(payload):
    RECORDED.append(payload)
    RAN.set()


@job("tests.send_mail")
def send_mail(payload):
    if not SMTP["up"]:
        raise ConnectionRefusedError("SMTP server at 127.0.0.1:2525 refused the connection")
    RECORDED.append(payload)


@job("tests.then_record")
def then_record(payload):
    """A job that queues another, as a job reacting to an action may."""
    enqueue("tests.record", payload)


@job("tests.slow")
def slow(payload):
    RUNS["count"] += 1
    time.sleep(0.3)


@job("tests.dies_once")
def dies_once(payload):
    RUNS["count"] += 1
    if RUNS["count"] == 1:
        raise WorkerKilled


@pytest.fixture(autouse=True)
def _fresh_state():
    RECORDED.clear()
    SMTP["up"] = True
    RUNS["count"] = 0
    RAN.clear()


def test_a_job_queued_by_an_action_that_rolls_back_never_exists(people):
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket = file_request(people["teacher"])
        enqueue("tests.record", {"ticket": ticket.reference})
        raise RuntimeError("the action failed after queueing its mail")

    assert not Job.objects.exists()
    assert run_due_jobs() == 0
    assert RECORDED == []


def test_a_committed_job_is_handed_to_the_backend_and_runs_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as handed_over:
        queued = enqueue("tests.record", {"ticket": "MSN-2026-000001"})
    assert len(handed_over) == 1

    assert run_due_jobs() == 1
    assert run_due_jobs() == 0
    assert run_job(queued.pk) is False
    assert RECORDED == [{"ticket": "MSN-2026-000001"}]
    queued.refresh_from_db()
    assert queued.status == JobStatus.DONE and queued.attempts == 1 and queued.finished_at is not None


def test_a_job_with_a_key_is_queued_once(db):
    first = enqueue("tests.record", {"notification": 7}, key="notification:7")
    second = enqueue("tests.record", {"notification": 7}, key="notification:7")
    assert second.pk == first.pk
    assert run_due_jobs() == 1
    assert RECORDED == [{"notification": 7}]


def test_a_delayed_job_waits_for_its_time(db, clock):
    enqueue("tests.record", {"reminder": 1}, delay=timedelta(minutes=10))
    assert run_due_jobs() == 0
    clock.advance(minutes=10)
    assert run_due_jobs() == 1


def test_a_failing_job_is_retried_with_back_off_then_kept_as_failed_until_an_administrator_retries_it(
    client, people, settings, clock
):
    settings.MUSANADA_JOBS_MAX_ATTEMPTS = 3
    SMTP["up"] = False
    mail = enqueue("tests.send_mail", {"to": "head@example.ma"})

    assert run_due_jobs() == 1
    mail.refresh_from_db()
    assert mail.status == JobStatus.QUEUED and mail.attempts == 1
    assert mail.run_after == clock.now + timedelta(seconds=30)
    assert "SMTP server at 127.0.0.1:2525 refused the connection" in mail.last_error

    clock.advance(seconds=29)
    assert run_due_jobs() == 0
    clock.advance(seconds=1)
    assert run_due_jobs() == 1
    mail.refresh_from_db()
    assert mail.attempts == 2 and mail.run_after == clock.now + timedelta(seconds=60)

    clock.advance(seconds=60)
    assert run_due_jobs() == 1
    mail.refresh_from_db()
    assert mail.status == JobStatus.FAILED and mail.attempts == 3
    assert "refused the connection" in mail.last_error

    clock.advance(days=30)
    assert run_due_jobs() == 0
    assert Job.objects.get(pk=mail.pk).status == JobStatus.FAILED
    assert RECORDED == []

    client.force_login(people["admin"])
    listing = client.get("/admin/jobs/job/", {"status__exact": "failed", "name": "tests.send_mail"})
    assert listing.status_code == 200 and b"tests.send_mail" in listing.content
    detail = client.get(f"/admin/jobs/job/{mail.pk}/change/")
    assert b"refused the connection" in detail.content

    SMTP["up"] = True
    answer = client.post("/admin/jobs/job/", {"action": "retry", "_selected_action": [mail.pk]})
    assert answer.status_code == 302
    mail.refresh_from_db()
    assert mail.status == JobStatus.QUEUED and mail.attempts == 0

    assert run_due_jobs() == 1
    mail.refresh_from_db()
    assert mail.status == JobStatus.DONE
    assert RECORDED == [{"to": "head@example.ma"}]


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(db, settings, clock):
    settings.MUSANADA_JOBS_LEASE_SECONDS = 600
    queued = enqueue("tests.dies_once")
    with pytest.raises(WorkerKilled):
        run_due_jobs()
    assert Job.objects.get(pk=queued.pk).status == JobStatus.RUNNING

    clock.advance(seconds=599)
    assert run_due_jobs() == 0
    clock.advance(seconds=1)
    assert run_due_jobs() == 1
    queued.refresh_from_db()
    assert queued.status == JobStatus.DONE and queued.attempts == 2 and RUNS["count"] == 2


def test_a_job_that_kills_its_worker_on_its_last_attempt_is_failed_not_left_running(db, settings, clock):
    settings.MUSANADA_JOBS_LEASE_SECONDS = 600
    queued = enqueue("tests.dies_once", max_attempts=1)
    with pytest.raises(WorkerKilled):
        run_due_jobs()

    clock.advance(seconds=600)
    assert run_due_jobs() == 0
    queued.refresh_from_db()
    assert queued.status == JobStatus.FAILED and queued.last_error == STALLED_ERROR


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises all writers, so two workers cannot race on it: the race runs on PostgreSQL",
)
def test_two_workers_racing_for_one_job_run_it_once(transactional_db):
    queued = enqueue("tests.slow")
    start = threading.Barrier(6)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(run_job(queued.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == [False] * 5 + [True]
    assert RUNS["count"] == 1
    assert Job.objects.get(pk=queued.pk).status == JobStatus.DONE


def test_a_periodic_slot_runs_once_however_many_schedulers_queue_it(people, clock):
    clock.now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    ticket = file_request(people["teacher"])
    services.ticket_resolve(people["head"], ticket, resolution="Videz le cache du navigateur.")
    clock.advance(days=8)

    schedule_periodic()
    schedule_periodic()
    enqueue_periodic("tickets.close_resolved")  # a third scheduler (another process's worker, a Celery tick)
    assert Job.objects.filter(name="tickets.close_resolved").count() == 1

    run_due_jobs()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    closing = Event.objects.get(ticket=ticket, kind=EventKind.CLOSED)
    assert closing.by_system and closing.actor is None

    clock.advance(hours=13, minutes=59)  # 23:59 UTC, the same daily slot
    schedule_periodic()
    assert Job.objects.filter(name="tickets.close_resolved").count() == 1
    clock.advance(minutes=1)  # midnight UTC: the next slot
    schedule_periodic()
    assert Job.objects.filter(name="tickets.close_resolved").count() == 2


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises all writers, so two workers cannot race on it: the race runs on PostgreSQL",
)
def test_workers_scheduling_at_the_same_moment_queue_each_periodic_slot_once(transactional_db):
    now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    start = threading.Barrier(4)
    queued = []

    def worker():
        try:
            start.wait()
            queued.append(schedule_periodic(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sum(queued) == len(periodic_jobs())
    keys = list(Job.objects.values_list("key", flat=True))
    assert sorted(keys) == sorted(periodic.key(now) for periodic in periodic_jobs())


def test_an_idle_round_of_a_worker_costs_three_small_queries(db):
    tick()  # the first round queues and runs the periodic jobs of the current slots
    with CaptureQueriesContext(connection) as queries:
        assert tick() == 0
    # Are the current slots queued? Any job whose worker died on its last attempt? Which jobs are due?
    assert len(queries) == 3, [query["sql"] for query in queries]


def test_a_worker_sleeps_between_idle_rounds_and_goes_straight_on_after_a_full_one(monkeypatch):
    rounds = []
    results = iter([ROUND_LIMIT, ROUND_LIMIT, ROUND_LIMIT])

    def a_round():
        # Stands for runner.tick: how many jobs the round ran, here three full rounds and then none.
        rounds.append(time.monotonic())
        return next(results, 0)

    monkeypatch.setattr(runner, "tick", a_round)

    # Three full rounds (a burst of mails) follow each other without the 30-second poll between them.
    worker = Worker(poll_seconds=30).start()
    try:
        assert worker.idle.wait(10)
        assert len(rounds) == 4
        # Idle, it waits for its poll: no round in the meantime.
        time.sleep(0.5)
        assert len(rounds) == 4
    finally:
        worker.stop()
    assert not worker.alive

    rounds.clear()
    worker = Worker(poll_seconds=0.2).start()
    time.sleep(1.1)
    worker.stop()
    assert 4 <= len(rounds) <= 7, rounds


def test_run_jobs_until_empty_drains_what_is_due_and_what_it_queues_and_reports_what_is_left(db, clock):
    SMTP["up"] = False
    enqueue_many("tests.record", [({"n": n}, None) for n in range(ROUND_LIMIT + 20)])
    enqueue("tests.then_record", {"n": "queued by a job"})
    enqueue("tests.send_mail", {"to": "head@example.ma"})
    enqueue("tests.record", {"n": "later"}, delay=timedelta(hours=1))
    assert queue_depth() == {"due": ROUND_LIMIT + 22, "waiting": 1, "running": 0, "failed": 0}

    output = io.StringIO()
    call_command("run-jobs", "--until-empty", stdout=output)

    # More than one round: every due job, the one queued by a job, and the failing mail's first attempt.
    assert re.match(
        rf"jobs run: {ROUND_LIMIT + 23} in [\d.]+ s \(due at the start: {ROUND_LIMIT + 22}\); "
        r"left: 0 due, 2 waiting, 0 running",
        output.getvalue(),
    ), output.getvalue()
    assert {"n": "queued by a job"} in RECORDED and {"n": "later"} not in RECORDED
    assert Job.objects.get(name="tests.send_mail").status == JobStatus.QUEUED
    assert not Job.objects.filter(key__startswith="periodic:").exists(), "it queues no periodic job"


def test_the_embedded_worker_runs_a_job_right_after_commit(transactional_db, settings):
    # A long poll: the job must run because the commit woke the worker, not because it polled.
    settings.MUSANADA_JOBS_POLL_SECONDS = 300
    worker = start_embedded_worker()
    try:
        assert worker is not None and worker.alive
        # Its first tick queues and runs the periodic jobs; SQLite's in-memory test database cannot have two
        # threads writing at once, so the test writes only once the worker sleeps.
        assert worker.idle.wait(20)
        with transaction.atomic():
            queued = enqueue("tests.record", {"ticket": "MSN-2026-000002"})
            assert not RAN.wait(0.5), "a job must not run before its transaction commits"
        assert RAN.wait(10)
    finally:
        stop_embedded_worker()
    assert not worker.alive
    assert RECORDED == [{"ticket": "MSN-2026-000002"}]
    assert Job.objects.get(pk=queued.pk).status == JobStatus.DONE


def test_the_embedded_worker_does_not_start_with_the_celery_backend(settings):
    settings.MUSANADA_JOBS_BACKEND = "celery"
    assert start_embedded_worker() is None


def test_a_real_celery_worker_runs_a_committed_job_through_redis(
    redis_broker, transactional_db, settings, people
):
    from celery.contrib.testing.worker import start_worker

    from musanada.jobs.celery import app

    settings.MUSANADA_JOBS_BACKEND = "celery"
    settings.MUSANADA = {**settings.MUSANADA, "AUTO_CLOSE_DAYS": 0}
    # A queue of this test's own, so that another test run on the same Redis cannot take its messages (the
    # notification mails of the actions below included).
    queue = f"musanada-test-{uuid.uuid4().hex}"
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        ticket = file_request(people["teacher"])
        services.ticket_resolve(people["head"], ticket, resolution="Videz le cache du navigateur.")
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            with transaction.atomic():
                queued = enqueue("tickets.close_resolved")
            deadline = time.monotonic() + 20
            while Job.objects.get(pk=queued.pk).status != JobStatus.DONE and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.task_default_queue = default_queue

    assert Job.objects.get(pk=queued.pk).status == JobStatus.DONE
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_queueing_many_keeps_a_job_whose_key_exists_and_adds_the_others_in_one_statement(db):
    existing = enqueue("tests.record", {"n": 1}, key="record:1")
    with CaptureQueriesContext(connection) as statements:
        jobs = enqueue_many("tests.record", [({"n": 1}, "record:1"), ({"n": 2}, "record:2")])
    assert len(statements.captured_queries) == 1
    assert jobs[0].pk == existing.pk and Job.objects.get(pk=existing.pk).payload == {"n": 1}
    assert Job.objects.filter(key="record:2").count() == 1 and jobs[1].pk != existing.pk
