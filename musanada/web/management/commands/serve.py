"""`musanada serve`: the production web server, gunicorn, serving `musanada.config.wsgi:application`.

Defaults for one machine (docs/operations.md, "Serving in production"): sync workers, 2 × CPUs + 1 of them
(at most MAX_WORKERS), a 60-second request timeout, workers replaced after about a thousand requests,
errors logged to stderr, no access log. The web processes run no jobs: production runs them in
`musanada run-jobs --loop` or Celery, so that a burst of notification mails never competes with requests;
`--with-jobs` brings back the embedded worker in each web process (a one-machine deployment with no other
process to run).
"""

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication

from musanada.core import metrics

# Each sync worker serves one request at a time and keeps one database connection: beyond a dozen on a
# machine, memory and PostgreSQL's connections (100 by default) run out before the requests are served faster.
MAX_WORKERS = 12


def cpu_count() -> int:
    """The CPUs this process may run on (a container's or taskset's share, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    return min(2 * cpu_count() + 1, MAX_WORKERS)


def _worker_exited(server, worker) -> None:
    metrics.process_died(worker.pid)


class Server(BaseApplication):
    """gunicorn with the options given here rather than read from a command line or a gunicorn.conf.py."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__(prog="musanada serve")

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        # Imported in each worker after the fork (no preload): MUSANADA_JOBS_IN_WEB, set by the command before
        # the fork, decides whether that worker starts the embedded jobs worker.
        from musanada.config.wsgi import application

        return application


class Command(BaseCommand):
    help = (
        "Serve Musanada in production with gunicorn: sync workers from the CPU count, timeouts, persistent "
        "database connections; background jobs run elsewhere (run-jobs --loop or Celery) unless --with-jobs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            action="append",
            help="address to listen on, HOST:PORT or unix:PATH; repeatable (MUSANADA_BIND, 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            help=f"web processes (MUSANADA_WEB_WORKERS; default 2 × CPUs + 1, at most {MAX_WORKERS}: "
            f"{default_workers()} here)",
        )
        parser.add_argument(
            "--timeout", type=int, default=60, help="seconds a request may run before its worker is restarted"
        )
        parser.add_argument(
            "--graceful-timeout",
            type=int,
            default=30,
            help="seconds the requests in progress get to finish on a restart or stop",
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=1000,
            help="replace a worker after about this many requests (plus up to 10 %% jitter); 0: never",
        )
        parser.add_argument("--access-log", action="store_true", help="log every request to stdout")
        parser.add_argument(
            "--with-jobs",
            action="store_true",
            help="also run the embedded jobs worker in each web process (the inline backend)",
        )

    def handle(self, *args, **options):
        serve = settings.MUSANADA_SERVE
        workers = options["workers"] or serve["WORKERS"] or default_workers()
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        for name in ("timeout", "graceful_timeout", "max_requests"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative.")
        # Decided here, before gunicorn forks: each worker reads it when it loads musanada.config.wsgi.
        settings.MUSANADA_JOBS_IN_WEB = options["with_jobs"]
        gunicorn_options = {
            "bind": options["bind"] or [serve["BIND"]],
            "workers": workers,
            "worker_class": "sync",
            "timeout": options["timeout"],
            "graceful_timeout": options["graceful_timeout"],
            "max_requests": options["max_requests"],
            "max_requests_jitter": options["max_requests"] // 10,
            "forwarded_allow_ips": ",".join(serve["FORWARDED_ALLOW_IPS"]),
            "accesslog": "-" if options["access_log"] else None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "musanada",
            # gunicorn's control socket sits at one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn): two
            # servers on one machine would contend for it, and nothing here uses it.
            "control_socket_disable": True,
        }
        # Each worker writes its metrics to files there, which a scrape adds up (core/metrics.py); the files
        # of a previous run would be counted again, so the folder starts empty.
        metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.DATA_DIR / "metrics")
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        gunicorn_options["child_exit"] = _worker_exited
        if os.path.isdir("/dev/shm"):
            # The workers' heartbeat files, in memory: a heartbeat never waits on a disk (gunicorn's advice).
            gunicorn_options["worker_tmp_dir"] = "/dev/shm"
        # The workers are forked from this process: none may inherit a database connection opened by a check.
        connections.close_all()
        Server(gunicorn_options).run()
