"""The jobs worker: a thread inside a serving process (the embedded, "inline" backend), or the whole of a
`musanada run-jobs --loop` process (`Worker.run`), the way production runs it, away from the requests.

Where the embedded one starts, and why only there: `musanada/config/wsgi.py` calls `start_embedded_worker()`
after building the WSGI application when MUSANADA_JOBS_IN_WEB is on (the default, which `make run` relies
on; `musanada serve` turns it off unless --with-jobs). That module is imported by WSGI servers (gunicorn,
uWSGI…) and by `runserver` in the process that serves requests: with the autoreloader, only its child
process (RUN_MAIN=true) builds the handler, the watching parent never does, so there is one worker per
serving process. Nothing else imports that module: `migrate` and other commands, the test client and
pytest-django's live server build their handlers directly, so they never start a worker (a test that wants
one starts and stops it itself). A server that forks after loading the application (gunicorn --preload)
loses the thread in its children; `os.register_at_fork` starts a fresh one in each child.

With several serving processes there are several workers: harmless, since a job is claimed atomically and
a periodic slot is queued once. The thread wakes when a job is queued in its own process (after commit,
`runner.job_queued`) and otherwise every MUSANADA_JOBS_POLL_SECONDS, to run retries, delayed jobs, jobs
queued by other processes (web processes, commands, the mail intake) and the periodic jobs. Since the jobs
are rows, a process that stops loses nothing: the next worker runs what is left (a job cut off mid-run is
taken over after its lease).
"""

import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from musanada.jobs import runner

logger = logging.getLogger("musanada.jobs")


class Worker:
    """Run due and periodic jobs until stopped: in a thread (`start`) or in the caller's (`run`)."""

    def __init__(self, poll_seconds: float | None = None):
        self.poll_seconds = poll_seconds or settings.MUSANADA_JOBS_POLL_SECONDS
        self._stopping = threading.Event()
        # Set while the worker waits for work, between two ticks.
        self.idle = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                # Cleared before the tick: a job queued during it sets the flag again and is not missed.
                runner.job_queued.clear()
                self.idle.clear()
                ran = 0
                try:
                    ran = runner.tick()
                except Exception:
                    # The database may be restarting: try again at the next poll.
                    logger.exception("the jobs worker could not run the due jobs")
                finally:
                    close_old_connections()
                if ran >= runner.ROUND_LIMIT:
                    # A full round: more jobs are likely due (a burst of mails), so no pause before the next.
                    continue
                self.idle.set()
                # Sleeps until a job is queued in this process or the poll is due: no busy loop, and an idle
                # round costs three small queries (schedule_periodic, run_due_jobs).
                runner.job_queued.wait(self.poll_seconds)
        finally:
            connections.close_all()

    def start(self) -> "Worker":
        self._thread = threading.Thread(target=self.run, name="musanada-jobs", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        runner.job_queued.set()  # ends the wait at once
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


_worker: Worker | None = None
_lock = threading.Lock()


def start_embedded_worker() -> Worker | None:
    """Start this process's worker if the inline backend is in use (idempotent); see the module's text."""
    global _worker
    if settings.MUSANADA_JOBS_BACKEND != "inline":
        return None
    with _lock:
        if _worker is None or not _worker.alive:
            _worker = Worker().start()
            logger.info("embedded jobs worker started in process %s", os.getpid())
        return _worker


def stop_embedded_worker() -> None:
    global _worker
    with _lock:
        if _worker is not None:
            _worker.stop()
            _worker = None


def _after_fork_in_child() -> None:
    global _worker, _lock
    _lock = threading.Lock()
    if _worker is not None:
        _worker = None
        start_embedded_worker()


os.register_at_fork(after_in_child=_after_fork_in_child)
