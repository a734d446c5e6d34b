"""The product as the ministry deploys it (docs/deploy.md), on this machine: a PostgreSQL primary and its
streaming replica, Redis as broker and shared cache, a Celery worker and the scheduler, and two web nodes
(`musanada serve`, each its own process group on its own address). Then: the memo's walk with every step on
the other node than the one before; a burst of filings spread over both nodes with one node killed in the
middle of it, whose clients retry on the other with the same Idempotency-Key (nothing lost, nothing filed
twice); the jobs the actions queued run by the worker; the dashboards read from the replica; and the
primary's data found whole on the replica.

Runs once, in the suite's PostgreSQL run; it needs Debian's PostgreSQL server tools and a Redis at
127.0.0.1:6379 (CI installs and starts both).
"""

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.deployment import ROOT, WebNode, checked, get, replicated_deployment, run, sql, wait_for

pytestmark = pytest.mark.postgres

# Redis databases of their own, emptied first: other tests use 0 and 1.
BROKER_DB, CACHE_DB = 13, 14
PEOPLE = ("teacher", "head", "province", "region", "central")
BURST = 60
CLIENTS = 6


def _redis_or_skip() -> None:
    done = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True, text=True
    )
    if done.returncode != 0 or "PONG" not in done.stdout:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required in CI at 127.0.0.1:6379")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379; start redis-server")
    for number in (BROKER_DB, CACHE_DB):
        checked(subprocess.run(["redis-cli", "-n", str(number), "flushdb"], capture_output=True, text=True))


@pytest.fixture(scope="module")
def deployment():
    _redis_or_skip()
    settings = {
        "MUSANADA_JOBS_BACKEND": "celery",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{BROKER_DB}",
        "CACHE_URL": f"redis://127.0.0.1:6379/{CACHE_DB}",
        "MUSANADA_JOBS_POLL_SECONDS": "1",
        "MUSANADA_API_RATE": "100000/minute",
        "MUSANADA_WEB_WORKERS": "3",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # The pause of the replica's replay below must not make it "lagging" however long the last change
        # replayed is ago (the lag is counted from it).
        "MUSANADA_REPLICA_MAX_LAG_SECONDS": "3600",
        # Plain HTTP between the test and the nodes: cookies not marked Secure.
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }
    with replicated_deployment(**settings) as (ports, env, base):
        tokens = {
            name: run(env, "create-token", name, "--name", "deployment test").strip() for name in PEOPLE
        }
        celery = [sys.executable, "-m", "celery", "-A", "musanada.jobs.celery"]
        logs = {name: (base / f"{name}.log").open("wb") for name in ("worker", "beat")}
        jobs = [
            subprocess.Popen(
                [*celery, "worker", "--concurrency", "2", "--loglevel", "INFO"],
                cwd=ROOT,
                env=env,
                stdout=logs["worker"],
                stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [*celery, "beat", "--loglevel", "INFO", "--schedule", str(base / "beat-schedule")],
                cwd=ROOT,
                env=env,
                stdout=logs["beat"],
                stderr=subprocess.STDOUT,
            ),
        ]
        nodes = [WebNode(env, log_folder=base) for _ in range(2)]
        try:
            yield {"ports": ports, "env": env, "tokens": tokens, "nodes": nodes, "base": base}
        finally:
            for node in nodes:
                node.stop()
            for process in jobs:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
            for log in logs.values():
                log.close()


def call(node: WebNode, token: str, path: str, body: dict | None = None, **headers) -> tuple[int, dict]:
    """One API request to `node` (a POST with `body`, else a GET): its status and JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{node.base}/api/v1{path}",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_memo_walk_goes_from_node_to_node_and_the_worker_runs_its_jobs(deployment):
    tokens, nodes = deployment["tokens"], deployment["nodes"]
    turn = iter(nodes * 10)

    def step(who: str, path: str, body: dict | None = None) -> dict:
        status, answer = call(next(turn), tokens[who], path, body)
        assert status in (200, 201), (who, path, status, answer)
        return answer

    reference = step(
        "teacher",
        "/tickets",
        {"category": "massar", "subject": "تعذر إدخال النقط", "description": "صفحة فارغة."},
    )["reference"]
    version = step(
        "head", f"/tickets/{reference}/take", {"version": step("head", f"/tickets/{reference}")["version"]}
    )["version"]
    step(
        "head",
        f"/tickets/{reference}/escalate",
        {"version": version, "note": "أعدت التشغيل", "category": "massar-grades"},
    )
    for who, desk in (("province", "MA-01"), ("region", "MEN-MASSAR")):
        version = step(who, f"/tickets/{reference}")["version"]
        assert (
            step(who, f"/tickets/{reference}/escalate", {"version": version, "note": "يتطلب المستوى الأعلى"})[
                "desk"
            ]["code"]
            == desk
        )
    assert (
        step("central", f"/tickets/{reference}/resolve", {"resolution": "تم التصحيح."})["status"]
        == "resolved"
    )
    version = step("teacher", f"/tickets/{reference}")["version"]
    assert step("teacher", f"/tickets/{reference}/close", {"version": version})["status"] == "closed"

    # The notifications the walk queued are run by the Celery worker, none by the web nodes.
    primary = deployment["ports"]["primary"]
    wait_for(
        lambda: (
            sql(
                primary,
                "SELECT count(*) FROM jobs_job WHERE status IN ('queued', 'running') AND run_after <= now()",
            )
            == "0"
        ),
        seconds=60,
        what="the worker draining the jobs",
    )
    assert int(sql(primary, "SELECT count(*) FROM jobs_job WHERE status = 'done'")) > 0
    assert sql(primary, "SELECT count(*) FROM jobs_job WHERE status = 'failed'") == "0"


def test_a_burst_over_both_nodes_loses_nothing_and_files_nothing_twice_when_one_dies(deployment):
    tokens, nodes = deployment["tokens"], deployment["nodes"]
    keys = [f"burst-{n:03d}" for n in range(BURST)]
    filed: dict[str, str] = {}
    retried: list[str] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        for key in keys[index::CLIENTS]:
            for attempt in range(6):
                node = nodes[(index + attempt) % 2]
                try:
                    status, answer = call(
                        node,
                        tokens["teacher"],
                        "/tickets",
                        {"category": "massar", "subject": f"Rafale {key}", "description": "Charge répartie."},
                        **{"Idempotency-Key": key},
                    )
                except OSError:
                    status, answer = None, {}
                if status in (200, 201):
                    with lock:
                        filed[key] = answer["reference"]
                    break
                with lock:
                    retried.append(key)
            else:
                raise AssertionError(f"{key} was never filed")

    def killer() -> None:
        # One node dies, all its processes at once, once a third of the burst is filed.
        wait_for(lambda: len(filed) >= BURST // 3, seconds=120, what="a third of the burst")
        nodes[1].kill()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=killer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert nodes[1].process.poll() is not None, "the node was not killed during the burst"

    assert retried, "no client met the dead node: it was killed too late to test anything"
    assert sorted(filed) == keys, "a request was lost"
    assert len(set(filed.values())) == BURST
    primary = deployment["ports"]["primary"]
    assert sql(primary, "SELECT count(*) FROM tickets_ticket WHERE subject LIKE 'Rafale burst-%'") == str(
        BURST
    )
    assert sql(
        primary, "SELECT count(DISTINCT subject) FROM tickets_ticket WHERE subject LIKE 'Rafale burst-%'"
    ) == str(BURST)
    # The surviving node still answers; the killed one is started again for the next test.
    assert get(nodes[0].base + "/ready")[0] == 200
    nodes[1] = WebNode(deployment["env"], log_folder=deployment["base"])


def _sign_in(node: WebNode, username: str, password: str = "Musanada-2026!"):
    """Sign in on `node` through the sign-in form, as a browser: the answer's status, and the browser."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = browser.open(node.base + "/login/").read().decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
    try:
        answer = browser.open(
            urllib.request.Request(node.base + "/login/", data=urllib.parse.urlencode(form).encode())
        )
    except urllib.error.HTTPError as refused:
        return refused.code, browser
    return answer.status, browser


def test_the_replica_serves_the_dashboards_and_holds_what_the_primary_holds(deployment):
    ports, nodes, tokens = deployment["ports"], deployment["nodes"], deployment["tokens"]
    _status, supervisor = _sign_in(nodes[0], "supervisor")
    dashboard = supervisor.open(nodes[0].base + "/reports/")
    assert dashboard.status == 200 and dashboard.url.endswith("/reports/")
    ready = json.loads(get(nodes[1].base + "/ready")[2])
    assert ready["status"] == "ready" and ready["replica"]["state"] == "ok"

    # With the replica's replay paused, a request filed now is on the primary only: the academy's export,
    # read from the replica, does not list it yet; its ticket page, read from the primary, shows it.
    sql(ports["replica"], "SELECT pg_wal_replay_pause()", "postgres")
    try:
        status, answer = call(
            nodes[1],
            tokens["teacher"],
            "/tickets",
            {"category": "massar", "subject": "Pendant la pause", "description": "—"},
        )
        assert status == 201
        reference = answer["reference"]
        export = supervisor.open(nodes[0].base + "/reports/tickets.csv?tab=all").read().decode("utf-8-sig")
        assert "MSN-" in export and reference not in export
        assert call(nodes[0], tokens["head"], f"/tickets/{reference}")[0] == 200
    finally:
        sql(ports["replica"], "SELECT pg_wal_replay_resume()", "postgres")
    wait_for(
        lambda: (
            reference
            in supervisor.open(nodes[0].base + "/reports/tickets.csv?tab=all").read().decode("utf-8-sig")
        ),
        what="the export listing the request once the replica replayed it",
    )

    # Once it has replayed everything, the replica holds the primary's tickets, events and holdings.
    queries = (
        "SELECT md5(string_agg(reference || status || version, ',' ORDER BY id)) FROM tickets_ticket",
        "SELECT md5(string_agg(ticket_id || kind || body, ',' ORDER BY id)) FROM tickets_event",
        "SELECT count(*) FROM tickets_ticketholding",
    )
    # The scheduler's jobs may write meanwhile: the replica agrees once it has replayed up to then.
    wait_for(
        lambda: all(sql(ports["replica"], query) == sql(ports["primary"], query) for query in queries),
        what="the replica holding the primary's tickets, events and holdings",
    )


def test_failed_sign_ins_count_together_on_every_node(deployment):
    # Five failures for one username from one address lock it (MUSANADA_LOGIN_FAILURES): spread over the
    # two nodes, they still count as five, as the attempts are kept in the shared database and cache.
    nodes = deployment["nodes"]
    for attempt in range(4):
        status, _browser = _sign_in(nodes[attempt % 2], "province", "not-the-password")
        assert status == 200
    # The fifth, on the first node, locks the username: even the right password is refused, on both.
    assert _sign_in(nodes[0], "province", "not-the-password")[0] == 429
    assert _sign_in(nodes[1], "province")[0] == 429
    assert _sign_in(nodes[0], "province")[0] == 429
