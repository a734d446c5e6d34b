"""Reads from a real PostgreSQL streaming replica: a primary and its replica started here with Debian's
PostgreSQL tools on free ports, the product migrated and its demo loaded on the primary. Dashboards and
exports read the replica while it keeps up, and the primary when it lags or is down; the pages a user opens
after acting read the primary, always.

Each check runs the product in a process of its own (`musanada shell -c`), as a web node would, with
DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command: str, **options) -> subprocess.CompletedProcess:
    """PostgreSQL's tools refuse to run as root: run them as the postgres account when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, **options)


def _checked(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _sql(port: int, statement: str, database: str = "postgres") -> str:
    return _checked(
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-tAc", statement],
            capture_output=True,
            text=True,
            timeout=60,
        )
    ).strip()


@pytest.fixture(scope="module")
def cluster():
    """A primary and its streaming replica, the product migrated with its demo on the primary."""
    if connection.vendor != "postgresql":
        pytest.skip("started once, in the suite's PostgreSQL run (DATABASE_URL=postgres://...)")
    missing = [tool for tool in ("initdb", "pg_ctl", "pg_basebackup") if not (PG_BIN / tool).exists()]
    if missing or shutil.which("psql") is None:
        reason = f"PostgreSQL's server tools are not installed ({', '.join(missing) or 'psql'})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    # Not under pytest's folder, which only its owner may enter: the servers run as postgres.
    base = Path(tempfile.mkdtemp(prefix="musanada-replication-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    primary, replica = base / "primary", base / "replica"
    ports = {"primary": _free_port(), "replica": _free_port()}
    _checked(_as_postgres(str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust"))
    settings = (
        f"port = {ports['primary']}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
        "wal_level = replica\nmax_wal_senders = 4\nfsync = off\n"
    )
    _checked(_as_postgres("sh", "-c", f"cat >> {primary}/postgresql.conf", input=settings))
    started = []
    try:
        _checked(
            _as_postgres(
                str(PG_BIN / "pg_ctl"), "-D", str(primary), "-l", f"{base}/primary.log", "-w", "start"
            )
        )
        started.append(primary)
        _checked(
            _as_postgres(
                str(PG_BIN / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(ports["primary"]),
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
            )
        )
        options = f"-p {ports['replica']}"
        _checked(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(replica),
                "-l",
                f"{base}/replica.log",
                "-o",
                options,
                "-w",
                "start",
            )
        )
        started.append(replica)
        assert _sql(ports["replica"], "SELECT pg_is_in_recovery()") == "t"
        _sql(ports["primary"], "CREATE DATABASE musanada")
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
            "ALLOWED_HOSTS": "testserver",
        }
        steps = (
            ["migrate", "--noinput", "-v0"],
            ["collectstatic", "--noinput", "-v0"],
            ["demo", "--schools", "2", "--staff", "20"],
        )
        for step in steps:
            _checked(
                subprocess.run(
                    [sys.executable, "-m", "musanada", *step],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
            )
        yield {"ports": ports, "env": env}
    finally:
        for data in reversed(started):
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


# What a web node does, run in its own process: prints one JSON line.
NODE = """
import json
from django.test import Client
from musanada.org.models import User
from musanada.tickets.models import Ticket
from tests.helpers import file_request

head = User.objects.get(username="head")
client = Client()
client.force_login(head)
answer = {}
if ACTION == "file":
    ticket = file_request(User.objects.get(username="teacher"), subject="Après la pause du replica")
    answer["reference"] = ticket.reference
else:
    export = client.get("/reports/tickets.csv", {"tab": "all"})
    answer["export_status"] = export.status_code
    answer["exported"] = REFERENCE in b"".join(export.streaming_content).decode("utf-8-sig")
    page = client.get(f"/t/{REFERENCE}/")
    answer["page_status"] = page.status_code
    answer["dashboard_status"] = client.get("/reports/").status_code
    answer["ready"] = client.get("/ready").json()
print("ANSWER " + json.dumps(answer))
"""


def _node(cluster, action: str, reference: str = "", **env) -> dict:
    code = NODE.replace("ACTION", repr(action)).replace("REFERENCE", repr(reference))
    done = subprocess.run(
        [sys.executable, "-m", "musanada", "shell", "-c", code],
        cwd=ROOT,
        env={**cluster["env"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    _checked(done)
    line = next(line for line in done.stdout.splitlines() if line.startswith("ANSWER "))
    return json.loads(line.removeprefix("ANSWER "))


def _wait(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.2)


def test_exports_read_the_replica_while_it_keeps_up_and_the_primary_otherwise(cluster):
    ports = cluster["ports"]
    count = "SELECT count(*) FROM tickets_ticket"
    # The replica holds what the primary holds.
    _wait(lambda: _sql(ports["replica"], count, "musanada") == _sql(ports["primary"], count, "musanada"))

    # Replay paused: a request filed now is on the primary only.
    _sql(ports["replica"], "SELECT pg_wal_replay_pause()")
    try:
        reference = _node(cluster, "file")["reference"]
        # Allowed to lag as long as it takes (the last replayed change may be minutes old: the demo's).
        behind = _node(cluster, "read", reference, MUSANADA_REPLICA_MAX_LAG_SECONDS="3600")
        # The export read the replica (without the new request); the ticket page, the primary.
        assert behind["export_status"] == 200 and behind["exported"] is False
        assert behind["page_status"] == 200 and behind["dashboard_status"] == 200
        assert behind["ready"]["status"] == "ready" and behind["ready"]["replica"]["state"] == "ok"
        assert behind["ready"]["replica"]["lag_seconds"] >= 0

        # Lagging beyond what is allowed: the export reads the primary, and readiness says so.
        strict = _node(cluster, "read", reference, MUSANADA_REPLICA_MAX_LAG_SECONDS="0")
        assert strict["exported"] is True
        assert strict["ready"]["status"] == "ready" and strict["ready"]["replica"]["state"] == "lagging"
    finally:
        _sql(ports["replica"], "SELECT pg_wal_replay_resume()")

    _wait(
        lambda: (
            _sql(
                ports["replica"],
                f"SELECT count(*) FROM tickets_ticket WHERE reference = '{reference}'",
                "musanada",
            )
            == "1"
        )
    )
    caught_up = _node(cluster, "read", reference)
    assert caught_up["exported"] is True and caught_up["ready"]["replica"] == {
        "state": "ok",
        "lag_seconds": 0.0,
    }


def test_a_replica_that_does_not_answer_leaves_the_exports_on_the_primary(cluster):
    reference = _node(cluster, "file")["reference"]
    nowhere = f"postgres://postgres@127.0.0.1:{_free_port()}/musanada"
    answer = _node(cluster, "read", reference, DATABASE_REPLICA_URL=nowhere)
    assert answer["export_status"] == 200 and answer["exported"] is True
    assert answer["ready"]["status"] == "ready"
    assert answer["ready"]["replica"] == {"state": "failed", "lag_seconds": None}
