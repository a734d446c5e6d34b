"""The lists read through indexes at a size where it matters: PostgreSQL's own plans, asked with EXPLAIN.

A generated population (a few hundred schools and their people) and tens of thousands of tickets spread over
a year, as the benchmark generates them; then, for each list the issue names — a central desk's inbox, the
API list of a desk, a teacher's "my requests", an academy supervisor's "open in my units" — every query the
production code sends for the page is explained, and none may read the tickets or the holdings table in
full (a sequential scan), while each reads the tickets through an index.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from musanada.demo import bench_tickets
from musanada.demo.population import generate_population
from musanada.org.models import Membership, OrgUnit, Role, User
from musanada.org.services import membership_grant, refresh_planner_statistics
from musanada.tickets import selectors
from musanada.tickets.models import Event, Ticket, TicketHolding

pytestmark = [pytest.mark.postgres]

TICKETS = 30_000
SCANNED = ("tickets_ticket", "tickets_ticketholding")


@pytest.fixture
def national(transactional_db):
    """A population and a year of tickets, committed (so that ANALYZE and the planner see them as the
    benchmark's database would); the transactional test empties the database afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's: set DATABASE_URL=postgres://...")
    generate_population(schools=400, staff=4000)
    bench_tickets.generate(TICKETS, days=365)
    refresh_planner_statistics(Ticket, TicketHolding, Event, OrgUnit, Membership, User)


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def _explained(captured) -> list[tuple[str, list[dict]]]:
    """Each ticket query the code sent, with the nodes of PostgreSQL's plan for it."""
    explained = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if '"tickets_ticket"' not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            explained.append((sql, list(_plan_nodes(plan[0]["Plan"]))))
    return explained


def assert_index_scans(captured):
    explained = _explained(captured)
    assert explained, "the page sent no ticket query"
    for sql, nodes in explained:
        full = [n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in SCANNED]
        assert not full, f"sequential scan of {full[0]['Relation Name']} for:\n{sql}"
        on_tickets = [
            n
            for n in nodes
            if n.get("Relation Name") == "tickets_ticket"
            or n.get("Index Name", "").startswith(("ticket_", "tickets_ticket"))
        ]
        assert any("Index" in n["Node Type"] for n in on_tickets), f"no index on tickets for:\n{sql}"


def _page(user, **query):
    with CaptureQueriesContext(connection) as captured:
        selectors.TicketQuery(**query).page(user)
    return captured


def test_the_lists_the_issue_names_read_through_indexes(national):
    # The largest desk's inbox (its default tab), and its list in the API (narrowed to the desk).
    agent = User.objects.get(username="g-men-massar-1")
    desk = OrgUnit.objects.get(code="MEN-MASSAR")
    assert Ticket.objects.filter(desk=desk).count() > 1000
    inbox = _page(agent, tab=selectors.default_tab(agent))
    assert_index_scans(inbox)
    # The open tickets in the list's order, read from one range of the partial index, not gathered and sorted.
    nodes = [node for _sql, nodes in _explained(inbox) for node in nodes]
    assert "ticket_desk_open" in {node.get("Index Name") for node in nodes}
    assert_index_scans(_page(agent, desk=desk))
    # Every way the agent sees tickets, merged: still one index per branch.
    assert_index_scans(_page(agent, tab=selectors.Tab.ALL))

    # A keyword search over all the agent may see: the words and the desk's access key in one GIN index,
    # not the whole history walked by activity.
    searched = _page(agent, tab=selectors.Tab.ALL, query="imprimante")
    assert_index_scans(searched)
    indexes = {node.get("Index Name") for _sql, nodes in _explained(searched) for node in nodes}
    assert "ticket_search_access" in indexes
    # Never the walk of the whole history hoping to meet matches soon (all of it for a word the desk lacks).
    assert "ticket_recent" not in indexes

    # A teacher's own requests.
    teacher = (
        User.objects.filter(username__startswith="g-", requests__isnull=False)
        .exclude(memberships__role__in=[Role.AGENT, Role.SUPERVISOR])
        .first()
    )
    assert_index_scans(_page(teacher, tab=selectors.Tab.REQUESTS))
    assert_index_scans(_page(teacher, tab=selectors.Tab.ALL))

    # An academy supervisor's open tickets in their units.
    supervisor = User.objects.filter(username__startswith="g-").exclude(memberships__role=Role.AGENT).first()
    membership_grant(supervisor, OrgUnit.objects.get(code="MA-01"), Role.SUPERVISOR)
    assert Ticket.objects.filter(origin_unit__path__startswith="/MEN/MA-01/").count() > 1000
    assert_index_scans(_page(supervisor, tab=selectors.Tab.SUBTREE))
