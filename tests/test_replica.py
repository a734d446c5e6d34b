"""Reads from a real PostgreSQL streaming replica: a primary and its replica started here with Debian's
PostgreSQL tools on free ports, the product migrated and its demo loaded on the primary. Dashboards and
exports read the replica while it keeps up, and the primary when it lags or is down; the pages a user opens
after acting read the primary, always.

Each check runs the product in a process of its own (`musanada shell -c`), as a web node would, with
DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica.
"""

import json

import pytest

from tests.deployment import free_port, replicated_deployment, run, sql, wait_for

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster():
    """A primary and its streaming replica, the product migrated with its demo on the primary."""
    with replicated_deployment() as (ports, env, _base):
        yield {"ports": ports, "env": env}


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
    printed = run({**cluster["env"], **env}, "shell", "-c", code, timeout=120)
    line = next(line for line in printed.splitlines() if line.startswith("ANSWER "))
    return json.loads(line.removeprefix("ANSWER "))


def test_exports_read_the_replica_while_it_keeps_up_and_the_primary_otherwise(cluster):
    ports = cluster["ports"]
    count = "SELECT count(*) FROM tickets_ticket"
    # The replica holds what the primary holds.
    wait_for(lambda: sql(ports["replica"], count, "musanada") == sql(ports["primary"], count, "musanada"))

    # Replay paused: a request filed now is on the primary only.
    sql(ports["replica"], "SELECT pg_wal_replay_pause()")
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
        sql(ports["replica"], "SELECT pg_wal_replay_resume()")

    wait_for(
        lambda: (
            sql(
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
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/musanada"
    answer = _node(cluster, "read", reference, DATABASE_REPLICA_URL=nowhere)
    assert answer["export_status"] == 200 and answer["exported"] is True
    assert answer["ready"]["status"] == "ready"
    assert answer["ready"]["replica"] == {"state": "failed", "lag_seconds": None}
