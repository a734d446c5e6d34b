import contextlib
import signal
import time

from django.core.management.base import BaseCommand, CommandError

from musanada.jobs.runner import queue_depth, run_due_jobs, run_until_empty, schedule_periodic
from musanada.jobs.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the due background jobs and queue the periodic ones, once or (--loop) until stopped: "
        "a worker without Celery. --until-empty drains the queue and says how long it took."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--loop", action="store_true", help="keep running until interrupted")
        mode.add_argument(
            "--until-empty",
            action="store_true",
            help="run the due jobs, and the jobs they queue, until none is due, then print how many ran and "
            "the time taken; queues no periodic job",
        )
        parser.add_argument(
            "--interval", type=float, default=None, help="seconds between polls (MUSANADA_JOBS_POLL_SECONDS)"
        )

    def handle(self, *args, loop=False, until_empty=False, interval=None, **options):
        if interval is not None and interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        if until_empty:
            due = queue_depth()["due"]
            started = time.monotonic()
            ran = run_until_empty()
            elapsed = time.monotonic() - started
            left = queue_depth()
            self.stdout.write(
                f"jobs run: {ran} in {elapsed:.2f} s (due at the start: {due}); "
                f"left: {left['due']} due, {left['waiting']} waiting, {left['running']} running"
            )
            return
        if not loop:
            queued = schedule_periodic()
            ran = run_due_jobs()
            self.stdout.write(f"{queued} periodic jobs queued, {ran} jobs run")
            return
        worker = Worker(poll_seconds=interval)
        # SIGTERM (systemd, containers) finishes the job in progress, then stops.
        signal.signal(signal.SIGTERM, lambda *_: worker.stop(timeout=0))
        self.stdout.write(f"running jobs every {worker.poll_seconds} s; Ctrl-C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            worker.run()
