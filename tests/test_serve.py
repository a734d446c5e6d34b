"""`musanada serve`: the production web server, run as a deployment runs it, in its own process.

A fresh data folder with its SQLite database (migrated) and its static files (collected), as after a
deployment; gunicorn serves it on a free port. Its web processes run no jobs: a job queued before it started
is still queued after it served, until `musanada run-jobs` runs it. With --with-jobs, they do.
"""

import json
import os
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.deployment import ROOT, WebNode, get, musanada


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A deployed data folder: the environment of its processes and the path of its database."""
    data = tmp_path_factory.mktemp("serve")
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("MUSANADA_", "CACHE_"))},
        "MUSANADA_DATA_DIR": str(data),
        "DATABASE_URL": "",
        "SECRET_KEY": "test-only-not-secret",
        "DEBUG": "0",
        "MUSANADA_JOBS_BACKEND": "inline",
        # An embedded worker, were one running, would look at the queue every second.
        "MUSANADA_JOBS_POLL_SECONDS": "1",
    }
    steps = [
        subprocess.Popen(musanada(*step), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for step in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"])
    ]
    for step in steps:
        output, _ = step.communicate(timeout=120)
        assert step.returncode == 0, output.decode()
    return {"env": env, "db": data / "musanada.sqlite3"}


def _queue_a_job(site) -> int:
    """Queue a job through the product, from a process of its own (as an action of another process would)."""
    code = "from musanada.jobs.runner import enqueue; print('job', enqueue('jobs.purge_done').pk)"
    done = subprocess.run(
        musanada("shell", "-c", code), cwd=ROOT, env=site["env"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return int(re.search(r"^job (\d+)$", done.stdout, flags=re.M).group(1))


def _jobs(site) -> dict[int, tuple[str, str, str | None]]:
    with sqlite3.connect(site["db"]) as db:
        return {
            pk: (name, status, key)
            for pk, name, status, key in db.execute("SELECT id, name, status, key FROM jobs_job")
        }


@pytest.fixture
def serve(site):
    servers = []

    def start(*args: str, env: dict | None = None) -> WebNode:
        servers.append(WebNode({**site["env"], **(env or {})}, *args, log_folder=Path(site["db"]).parent))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_serve_answers_through_gunicorn_and_its_web_processes_leave_the_jobs_to_run_jobs(site, serve):
    before = _jobs(site)
    queued = _queue_a_job(site)
    server = serve("--workers", "2")

    status, headers, body = get(server.base + "/health")
    assert status == 200 and body == b'{"status": "ok"}'
    status, headers, body = get(server.base + "/login/")
    assert status == 200 and "text/html" in headers["Content-Type"]
    # The page's stylesheet is the collected one, with its hashed name, served by WhiteNoise through gunicorn.
    stylesheet = re.search(rb'"(/static/musanada/musanada\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, body[:2000]
    status, headers, _css = get(server.base + stylesheet.group(1).decode())
    assert status == 200 and headers["Cache-Control"] == "max-age=315360000, public, immutable"

    # Twice the poll of an embedded worker, which would also have run the job at once when it started.
    time.sleep(2)
    after = _jobs(site)
    assert {pk: job for pk, job in after.items() if before.get(pk) != job} == {
        queued: ("jobs.purge_done", "queued", None)
    }, "a web process ran or queued a job"
    assert "jobs worker" not in server.output()
    assert server.stop() == 0, server.output()

    drained = subprocess.run(
        musanada("run-jobs", "--until-empty"), cwd=ROOT, env=site["env"], capture_output=True, text=True
    )
    assert drained.returncode == 0, drained.stderr
    assert re.match(
        r"jobs run: 1 in [\d.]+ s \(due at the start: 1\); left: 0 due, 0 waiting, 0 running", drained.stdout
    ), drained.stdout
    assert _jobs(site)[queued][1] == "done"


def test_serve_with_jobs_runs_the_embedded_worker_in_each_web_process(site, serve):
    queued = _queue_a_job(site)
    server = serve("--workers", "1", "--with-jobs")

    deadline = time.monotonic() + 10
    while _jobs(site)[queued][1] != "done":
        assert time.monotonic() < deadline, f"the queued job did not run:\n{server.output()}"
        time.sleep(0.2)
    # Its first round also queued (and ran) each periodic job for its slot.
    periodic = {name for name, _status, key in _jobs(site).values() if key and key.startswith("periodic:")}
    assert "sla.sweep" in periodic and "reports.rollup_recent" in periodic
    assert "embedded jobs worker started" in server.output()
    assert server.stop() == 0, server.output()


def _count(metrics: str, name: str, **labels) -> float:
    """The sum of a metric's samples that carry `labels`."""
    total = 0.0
    for line in metrics.splitlines():
        match = re.match(rf"{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            total += float(match.group(2))
    return total


def test_served_metrics_add_up_every_worker_and_logs_are_json_lines_with_the_request_id(site, serve):
    token = "scrape-token-for-tests"
    server = serve("--workers", "2", env={"MUSANADA_METRICS_TOKEN": token, "MUSANADA_LOG_FORMAT": "json"})
    # Enough requests that both workers answer some (gunicorn hands each connection to whichever is free).
    for _ in range(20):
        assert get(server.base + "/login/")[0] == 200
    status, headers, _body = get(server.base + "/no-such-page/", {"X-Request-ID": "edge-0123456789"})
    assert status == 404 and headers["X-Request-ID"] == "edge-0123456789"

    assert get(server.base + "/metrics", {})[0] == 401
    status, headers, body = get(server.base + "/metrics", {"Authorization": f"Bearer {token}"})
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    metrics = body.decode()
    assert _count(metrics, "musanada_http_responses_total", view="login", method="GET", status="200") == 20
    assert _count(metrics, "musanada_http_request_duration_seconds_count", view="login", method="GET") == 20
    assert _count(metrics, "musanada_jobs", state="due") >= 0 and "musanada_sla_breaches_24h" in metrics
    assert server.stop() == 0, server.output()

    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    not_found = [
        line for line in lines if line["logger"] == "django.request" and "no-such-page" in line["message"]
    ]
    assert (
        not_found and not_found[0]["request_id"] == "edge-0123456789" and not_found[0]["level"] == "WARNING"
    )
