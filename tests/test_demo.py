"""`musanada demo`: what `make run` sets up for a newcomer, idempotent, with tickets everywhere."""

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

import musanada
from musanada.demo.people import DEMO_PASSWORD
from musanada.org.models import Membership, OrgUnit, User
from musanada.tickets import policy
from musanada.tickets.models import Event, Ticket, TicketHolding
from musanada.tickets.workflow import EventKind, Status

LEVELS = {"school", "province", "academy", "central"}


def demo() -> str:
    out = StringIO()
    # A small population: the generator's own tests cover the sizes.
    call_command("demo", schools=20, staff=80, stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (OrgUnit, User, Membership, Ticket, Event, TicketHolding)
    }


@pytest.fixture
def demo_output(db):
    return demo()


def test_demo_runs_twice_without_duplicating_anything(demo_output):
    first = counts()

    second_output = demo()

    assert counts() == first
    assert "demo tickets: already there" in second_output
    assert first["Ticket"] >= 20


def test_demo_leaves_tickets_in_every_status_at_every_level(demo_output):
    seen = {(ticket.desk.level, ticket.status) for ticket in Ticket.objects.select_related("desk")}

    assert seen == {(level, status) for level in LEVELS for status in Status.values}


def test_teacher_has_a_request_waiting_on_her_one_to_confirm_and_one_at_central(demo_output, people):
    mine = Ticket.objects.filter(requester=people["teacher"]).select_related("desk")

    assert mine.filter(status=Status.WAITING).exists()
    resolved = mine.get(status=Status.RESOLVED)
    assert set(policy.available_actions(people["teacher"], resolved)) >= {"close", "reopen", "rate"}
    at_central = [ticket for ticket in mine if ticket.desk.level == "central"]
    assert len(at_central) == 1
    assert at_central[0].events.filter(kind=EventKind.ESCALATED).count() == 3
    assert mine.filter(status=Status.CLOSED, rating__isnull=False).exists()
    assert mine.filter(events__kind=EventKind.REOPENED).exists()


def test_head_has_requests_of_his_own_at_the_levels_above(demo_output, people):
    levels = {
        ticket.desk.level for ticket in Ticket.objects.filter(requester=people["head"]).select_related("desk")
    }

    assert levels == {"province", "academy", "central"}


def test_demo_tickets_in_another_academy_stay_out_of_sight_of_tangier(demo_output, people):
    oriental = Ticket.objects.filter(origin_unit__path__startswith="/MEN/MA-02/MA-02-01/")

    assert oriental.filter(requester=people["outsider_teacher"]).exists()
    assert oriental.filter(requester=people["outsider_head"]).exists()
    for username in ("teacher", "head", "province", "region", "observer", "central"):
        assert not policy.visible_tickets(people[username]).filter(pk__in=oriental).exists(), username
    assert policy.visible_tickets(people["outsider"]).filter(pk__in=oriental).exists()
    assert (
        not policy.visible_tickets(people["outsider"])
        .filter(origin_unit__path__startswith="/MEN/MA-01/")
        .exists()
    )


def test_every_demo_ticket_has_the_history_of_its_state(demo_output):
    for ticket in Ticket.objects.prefetch_related("events"):
        kinds = [event.kind for event in ticket.events.all()]
        assert kinds[0] == EventKind.FILED
        if ticket.status == Status.WAITING:
            assert kinds[-1] == EventKind.INFO_REQUESTED
        if ticket.status == Status.CLOSED:
            assert EventKind.CLOSED in kinds and EventKind.RESOLVED in kinds


def test_demo_prints_the_address_the_password_and_whom_to_log_in_as(demo_output):
    assert "http://127.0.0.1:8000/" in demo_output
    assert DEMO_PASSWORD in demo_output
    for username in ("teacher", "head", "province", "region", "central", "observer", "outsider", "admin"):
        assert f"  {username} " in demo_output
    assert "أستاذة" in demo_output and "teacher at school 01001A" in demo_output


def test_demo_populates_the_academies_around_the_demo_people(demo_output):
    generated = OrgUnit.objects.filter(kind="school", memberships__user__username__startswith="g-").distinct()

    assert generated.count() == 20
    assert all(school.path.startswith(("/MEN/MA-01/", "/MEN/MA-02/")) for school in generated)
    assert User.objects.filter(username="g-ma-01-1").exists()


def test_no_domain_module_imports_the_demo_app():
    # The demo builds on the domain, never the other way round: a deployment could drop the demo app.
    root = Path(musanada.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.is_relative_to(root / "demo"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name == "musanada.demo" or name.startswith("musanada.demo.") for name in names):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
