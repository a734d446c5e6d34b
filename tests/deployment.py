"""The product run as deployed, for the tests that need real processes: a PostgreSQL primary and its
streaming replica started with Debian's PostgreSQL tools on free ports, the product migrated with its demo
on them, and `musanada` commands and web nodes (`musanada serve`) in processes of their own.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
START_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def musanada(*args: str) -> list[str]:
    """The command line of a `musanada` command, with the interpreter of the tests."""
    return [sys.executable, "-m", "musanada", *args]


def checked(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run(env: dict, *args: str, timeout: int = 300) -> str:
    """Run `musanada ARGS` with `env` and return what it printed; a failure fails the test with its output."""
    return checked(
        subprocess.run(musanada(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    )


def _as_postgres(*command: str, **options) -> subprocess.CompletedProcess:
    """PostgreSQL's tools refuse to run as root: run them as the postgres account when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, **options)


def sql(port: int, statement: str, database: str = "musanada") -> str:
    """What psql prints for `statement` on the server at `port` (unaligned, tuples only)."""
    return checked(
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-tAc", statement],
            capture_output=True,
            text=True,
            timeout=60,
        )
    ).strip()


def wait_for(condition, seconds: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.2)


def _require_server_tools() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("started once, in the suite's PostgreSQL run (DATABASE_URL=postgres://...)")
    missing = [tool for tool in ("initdb", "pg_ctl", "pg_basebackup") if not (PG_BIN / tool).exists()]
    if missing or shutil.which("psql") is None:
        reason = f"PostgreSQL's server tools are not installed ({', '.join(missing) or 'psql'})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _pg_ctl(data: Path, *args: str) -> subprocess.CompletedProcess:
    return _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), *args)


@contextmanager
def replicated_deployment(**settings: str):
    """A primary and its streaming replica, and the environment of a Musanada deployment on them (`settings`
    added), migrated, its static files collected and its demo loaded. Yields (ports, env, base folder)."""
    _require_server_tools()
    # Not under pytest's folder, which only its owner may enter: the servers run as postgres.
    base = Path(tempfile.mkdtemp(prefix="musanada-deployment-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    primary, replica = base / "primary", base / "replica"
    ports = {"primary": free_port(), "replica": free_port()}
    checked(_as_postgres(str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust"))
    config = (
        f"port = {ports['primary']}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
        "wal_level = replica\nmax_wal_senders = 4\nfsync = off\nmax_connections = 100\n"
    )
    checked(_as_postgres("sh", "-c", f"cat >> {primary}/postgresql.conf", input=config))
    started = []
    try:
        checked(_pg_ctl(primary, "-l", f"{base}/primary.log", "-w", "start"))
        started.append(primary)
        basebackup = [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(ports["primary"])]
        checked(_as_postgres(*basebackup, "-U", "postgres", "-D", str(replica), "-R", "-X", "stream"))
        checked(_pg_ctl(replica, "-l", f"{base}/replica.log", "-o", f"-p {ports['replica']}", "-w", "start"))
        started.append(replica)
        assert sql(ports["replica"], "SELECT pg_is_in_recovery()", "postgres") == "t"
        sql(ports["primary"], "CREATE DATABASE musanada", "postgres")
        env = {
            **{
                name: value
                for name, value in os.environ.items()
                if not name.startswith(("MUSANADA_", "CACHE_"))
            },
            "MUSANADA_DATA_DIR": str(base / "data"),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{ports['primary']}/musanada",
            "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{ports['replica']}/musanada",
            "SECRET_KEY": "test-only-not-secret",
            "DEBUG": "0",
            "MUSANADA_JOBS_BACKEND": "inline",
            "MUSANADA_JOBS_IN_WEB": "0",
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            **settings,
        }
        run(env, "migrate", "--noinput", "-v0")
        run(env, "collectstatic", "--noinput", "-v0")
        run(env, "demo", "--schools", "2", "--staff", "20")
        yield ports, env, base
    finally:
        for data in reversed(started):
            _pg_ctl(data, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class WebNode:
    """`musanada serve` in its own process group (so that it can be killed whole, as a host that dies)."""

    def __init__(self, env: dict, *args: str, log_folder: Path):
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = log_folder / f"serve-{os.getpid()}-{time.monotonic_ns()}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                musanada("serve", "--bind", self.base.removeprefix("http://"), *args),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert self.process.poll() is None, f"musanada serve stopped:\n{self.output()}"
            try:
                if get(self.base + "/health")[0] == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"musanada serve did not answer:\n{self.output()}"
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """Stop it as systemd would (SIGTERM: gunicorn lets the requests in progress finish)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self) -> None:
        """The host dies: every process of the node at once, no request finished."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
