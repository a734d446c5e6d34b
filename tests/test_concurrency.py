"""Two people acting on the same ticket at the same moment: one wins, the other is told, nothing is lost.

The races run real threads against PostgreSQL (the production database): SQLite serialises writers, so there
the same guarantee is checked with a stale version instead.
"""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from musanada.core.errors import Conflict
from musanada.org.models import Role
from musanada.org.services import membership_grant
from musanada.tickets import services
from musanada.tickets.models import Attachment, Event, Ticket
from musanada.tickets.workflow import EventKind, Status
from tests.helpers import file_request

ROUNDS = 10
# The tickets of these races are a school head's requests (tests.helpers.file_request(people["head"])): they
# land on the MA-01-01 provincial desk, where the agents race.
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrent transactions need PostgreSQL (set DATABASE_URL=postgres://...)",
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def two_agents(people, units, django_user_model):
    colleague = django_user_model.objects.create_user(username="province_b", password="x-unused-password")
    membership_grant(colleague, units["MA-01-01"], Role.AGENT)
    return people["province"], colleague


ACTIONS = {
    "escalate": (
        lambda agent, ticket: services.ticket_escalate(agent, ticket, note=f"Tenté par {agent.username}."),
        EventKind.ESCALATED,
    ),
    "resolve": (
        lambda agent, ticket: services.ticket_resolve(agent, ticket, resolution=f"Réglé ({agent.username})."),
        EventKind.RESOLVED,
    ),
    "take": (lambda agent, ticket: services.ticket_take(agent, ticket), EventKind.ASSIGNED),
}


def race(calls):
    """Run the calls in threads released together; returns each call's result or exception, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # the outcome, whatever it is, is what the test looks at
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.postgres
@on_postgres
@pytest.mark.parametrize("action", list(ACTIONS))
def test_two_agents_acting_at_once_one_wins_and_the_other_gets_a_conflict(
    transactional_db, people, two_agents, action
):
    act, event_kind = ACTIONS[action]
    for _round in range(ROUNDS):
        ticket = file_request(people["head"])
        # Both agents opened the same page: each holds the ticket at version 1.
        copies = [Ticket.objects.get(pk=ticket.pk) for _ in two_agents]
        outcomes = race(
            [
                lambda agent=agent, copy=copy: act(agent, copy)
                for agent, copy in zip(two_agents, copies, strict=True)
            ]
        )
        winners = [o for o in outcomes if isinstance(o, Ticket)]
        losers = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert str(losers[0]).strip()
        saved = Ticket.objects.get(pk=ticket.pk)
        assert saved.version == 2
        assert Event.objects.filter(ticket=ticket, kind=event_kind).count() == 1
        assert Event.objects.filter(ticket=ticket).exclude(kind=EventKind.FILED).count() == (
            2 if action == "escalate" else 1  # requalified + escalated
        )


@pytest.mark.postgres
@on_postgres
def test_the_requester_confirming_while_the_job_closes_leaves_one_close(transactional_db, people, clock):
    now = clock.now
    ago = now - timedelta(days=settings.MUSANADA["AUTO_CLOSE_DAYS"], hours=1)
    for _round in range(ROUNDS):
        ticket = file_request(people["head"])
        # Resolved long enough ago for the job, yet still within the requester's reach.
        clock.now = ago
        services.ticket_resolve(people["province"], ticket, resolution="Réglé.")
        clock.now = now
        # The requester confirms from the page they opened while the nightly job closes it.
        page = Ticket.objects.get(pk=ticket.pk)
        outcomes = race(
            [
                lambda page=page: services.ticket_close(people["head"], page),
                services.close_resolved_tickets,
            ]
        )
        requester_outcome, job_outcome = outcomes
        # Whoever came second is told (the requester) or skips the ticket (the job): one close, never two.
        assert isinstance(requester_outcome, Ticket | Conflict), outcomes
        assert job_outcome == (0 if isinstance(requester_outcome, Ticket) else 1), outcomes
        saved = Ticket.objects.get(pk=ticket.pk)
        assert saved.status == Status.CLOSED
        assert Event.objects.filter(ticket=ticket, kind=EventKind.CLOSED).count() == 1


@pytest.mark.postgres
@on_postgres
def test_requests_filed_at_the_same_moment_get_distinct_references(
    transactional_db, people, units, categories
):
    filers = 8
    outcomes = race(
        [lambda: file_request(people["head"], units["01001A"], categories["massar"]) for _ in range(filers)]
    )
    assert all(isinstance(o, Ticket) for o in outcomes), outcomes
    references = sorted(o.reference for o in outcomes)
    assert len(set(references)) == filers
    numbers = sorted(int(ref.rsplit("-", 1)[1]) for ref in references)
    assert numbers == list(range(numbers[0], numbers[0] + filers))
    assert Ticket.objects.count() == filers
    assert Event.objects.filter(kind=EventKind.FILED).count() == filers


# The same guarantee without threads: works on every database. ----------------------------------------------


def state(ticket):
    row = Ticket.objects.get(pk=ticket.pk)
    root = Path(settings.MEDIA_ROOT)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return (
        row.version,
        row.status,
        row.desk_id,
        row.assignee_id,
        row.resolved_at,
        Event.objects.filter(ticket=ticket).count(),
        Attachment.objects.filter(ticket=ticket).count(),
        files,
    )


@pytest.mark.parametrize("action", list(ACTIONS))
def test_an_agent_acting_on_a_page_someone_else_changed_gets_a_conflict(people, two_agents, action):
    act, event_kind = ACTIONS[action]
    ticket = file_request(people["head"])
    first, second = two_agents
    mine, theirs = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)
    act(first, mine)
    before = state(ticket)
    with pytest.raises(Conflict) as refused:
        act(second, theirs)
    assert refused.value.code == "conflict" and str(refused.value).strip()
    assert state(ticket) == before
    assert Event.objects.filter(ticket=ticket, kind=event_kind).count() == 1


@pytest.mark.parametrize("offset", [-1, +1])
def test_an_explicit_version_other_than_the_current_one_is_refused(people, offset):
    ticket = file_request(people["head"])
    services.ticket_take(people["province"], ticket)
    assert ticket.version == 2
    before = state(ticket)
    with pytest.raises(Conflict):
        services.ticket_resolve(
            people["province"], ticket, resolution="Réglé.", version=ticket.version + offset
        )
    assert state(ticket) == before


def test_a_stale_reply_with_a_file_leaves_no_file_behind(people):
    ticket = file_request(people["head"])
    services.ticket_take(people["province"], ticket)
    before = state(ticket)
    upload = SimpleUploadedFile("capture.png", PNG, content_type="image/png")
    with pytest.raises(Conflict):
        services.ticket_reply(people["head"], ticket, body="Toujours en panne.", files=[upload], version=1)
    assert state(ticket) == before


def test_the_current_version_is_accepted(people):
    ticket = file_request(people["head"])
    services.ticket_take(people["province"], ticket, version=1)
    services.ticket_resolve(people["province"], ticket, resolution="Réglé.", version=2)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
