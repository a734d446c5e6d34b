import contextlib
import signal

from django.core.management.base import BaseCommand

from musanada.jobs.runner import run_due_jobs, schedule_periodic
from musanada.jobs.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the due background jobs and queue the periodic ones, once or (--loop) until stopped: "
        "a worker without Celery."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running until interrupted")
        parser.add_argument(
            "--interval", type=float, default=None, help="seconds between polls (MUSANADA_JOBS_POLL_SECONDS)"
        )

    def handle(self, *args, loop=False, interval=None, **options):
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
