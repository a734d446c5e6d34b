"""The benchmark: the COPY loader writes what the services would have written, the ceiling page exists only
under the benchmark's settings, and the load mode measures a live server with wrk."""

import random
import shutil
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from musanada.core.actors import SYSTEM
from musanada.demo import bench_http, bench_load, bench_text
from musanada.demo.population import generate_population
from musanada.org.models import Category, Membership, OrgUnit, Role
from musanada.sla import services as sla_services
from musanada.sla.models import LevelVisit
from musanada.tickets import policy, search, services
from musanada.tickets.models import ReferenceCounter, Ticket, TicketHolding
from musanada.tickets.workflow import EventKind, Status

ON_POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="the COPY loader is PostgreSQL's")
COUNT = 2000


@pytest.fixture
def loaded(db, people):
    """A small population and COUNT tickets filed over the last 60 days, loaded in this transaction."""
    generate_population(schools=24, staff=300, academies=["MA-01", "MA-02"])
    report = bench_load.load(COUNT, days=60, workers=0)
    return report


# The texts -------------------------------------------------------------------------------------------


def test_the_word_columns_of_generated_requests_are_those_the_services_keep():
    rng, folder = random.Random(7), bench_text.Folder()
    codes = [*bench_text.FAMILY_OF, "a-category-added-later"]
    subjects, descriptions, languages = set(), set(), Counter()
    for n in range(3000):
        request = bench_text.request(rng, codes[n % len(codes)])
        reply = bench_text.desk_text(rng, request.lang, "reply")
        note = bench_text.desk_text(rng, request.lang, "note")
        history = [SimpleNamespace(kind=EventKind.REPLY, public=True, body=reply)]
        history.append(SimpleNamespace(kind=EventKind.NOTE, public=False, body=note))
        kept = search.history_words(request.subject, request.description, history)
        assert folder.columns(request, [reply], [note]) == (
            kept["subject_text"],
            kept["search_text"],
            kept["note_text"],
        )
        subjects.add(request.subject)
        descriptions.add(request.description)
        languages[request.lang] += 1
    assert len(subjects) > 300 and len(descriptions) > 2900
    assert 0.4 < languages["fr"] / 3000 < 0.6


# The loader -------------------------------------------------------------------------------------------


@pytest.mark.skipif(ON_POSTGRES, reason="checks the refusal on SQLite")
def test_the_copy_loader_refuses_sqlite_clearly(db):
    with pytest.raises(bench_load.LoadError, match="PostgreSQL"):
        bench_load.load(10, workers=0)


@postgres_only
def test_the_loader_fills_a_year_with_statuses_levels_and_histories(loaded):
    assert loaded.created == COUNT and loaded.rows["tickets"] == COUNT
    tickets = list(Ticket.objects.select_related("desk"))
    assert len(tickets) == COUNT
    statuses = Counter(ticket.status for ticket in tickets)
    assert statuses[Status.CLOSED] > COUNT / 2
    assert all(statuses[status] for status in (Status.NEW, Status.OPEN, Status.RESOLVED))
    levels = Counter(ticket.desk.level for ticket in tickets)
    assert levels["school"] > levels["province"] > levels["academy"] > 0 and levels["central"] > 0
    assert Ticket.objects.values("origin_unit").distinct().count() > 20
    assert TicketHolding.objects.count() == LevelVisit.objects.count() == loaded.rows["holdings"]
    # Rerun with the same count: nothing is added.
    assert bench_load.load(COUNT, workers=0).created == 0


@postgres_only
def test_each_loaded_ticket_agrees_with_its_history(loaded):
    for ticket in Ticket.objects.prefetch_related("events", "holdings", "level_visits"):
        events = sorted(ticket.events.all(), key=lambda event: (event.created_at, event.id))
        kinds = [event.kind for event in events]
        assert kinds[0] == EventKind.FILED and events[0].created_at == ticket.filed_at
        holdings = sorted(ticket.holdings.all(), key=lambda holding: holding.since)
        # The desk is where the history says: the first desk, then each referral's target.
        path = [events[0].data["desk"]] + [
            e.data["to"]["code"] for e in events if e.kind == EventKind.ESCALATED
        ]
        assert [holding.desk.code for holding in holdings] == path
        assert ticket.desk.code == path[-1]
        visits = sorted(ticket.level_visits.all(), key=lambda visit: visit.arrived_at)
        assert [visit.desk_id for visit in visits] == [holding.desk_id for holding in holdings]
        assert (
            (ticket.status == Status.CLOSED) == (EventKind.CLOSED in kinds) == (ticket.closed_at is not None)
        )
        assert (ticket.resolved_at is not None) == (EventKind.RESOLVED in kinds)
        if ticket.status in (Status.NEW, Status.OPEN, Status.WAITING):
            assert visits[-1].left_at is None and ticket.due_at == visits[-1].resolution_due_at
        else:
            assert all(visit.left_at for visit in visits) and ticket.due_at is None
        kept = search.history_words(ticket.subject, ticket.description, events)
        assert (ticket.subject_text, ticket.search_text, ticket.note_text) == (
            kept["subject_text"],
            kept["search_text"],
            kept["note_text"],
        )
        actions = [
            e
            for e in events
            if e.kind not in (EventKind.FILED, EventKind.SLA_AT_RISK, EventKind.SLA_BREACHED)
        ]
        assert ticket.version == 1 + len(actions) - kinds.count(EventKind.REQUALIFIED)
        assert ticket.updated_at == max(e.created_at for e in [events[0], *actions])
        assert ticket.updated_at <= timezone.now()


@postgres_only
def test_desks_requesters_and_no_one_else_see_loaded_tickets(loaded, people):
    rng = random.Random(3)
    tickets = rng.sample(list(Ticket.objects.select_related("requester", "origin_unit")), 60)
    for ticket in tickets:
        assert policy.visible_tickets(ticket.requester).filter(pk=ticket.pk).exists()
        for holding in TicketHolding.objects.filter(ticket=ticket).select_related("desk"):
            for agent in policy.desk_agents(holding.desk):
                assert policy.visible_tickets(agent).filter(pk=ticket.pk).exists()
                assert policy.reads_internal(agent, ticket)
        # An agent of a province the ticket never passed through sees nothing of it (agents read what their
        # desks hold or held, not what lies under them).
        held = set(TicketHolding.objects.filter(ticket=ticket).values_list("desk_id", flat=True))
        for province in OrgUnit.objects.filter(kind="province").exclude(pk__in=held).order_by("code")[:3]:
            for stranger in policy.desk_agents(province):
                assert not policy.visible_tickets(stranger).filter(pk=ticket.pk).exists()


@postgres_only
def test_a_loaded_ticket_page_renders_for_its_desk_and_its_requester(loaded):
    ticket = Ticket.objects.filter(status=Status.CLOSED, desk__kind="service").first()
    for user in (policy.desk_agents(ticket.desk).first(), ticket.requester):
        client = Client()
        client.force_login(user)
        response = client.get(f"/t/{ticket.reference}/")
        assert response.status_code == 200
        assert ticket.subject.replace("'", "&#x27;") in response.content.decode()


@postgres_only
def test_loaded_tickets_go_on_through_the_services(loaded):
    at_school = Ticket.objects.filter(status=Status.NEW, desk__kind="school").first()
    head = policy.desk_agents(at_school.desk).first()
    services.ticket_escalate(head, at_school, note="Vérifié à l'école, à traiter par la province.")
    at_school.refresh_from_db()
    assert at_school.desk == at_school.origin_unit.parent and at_school.status == Status.NEW
    # The province can return what a school referred to it: the guard reads the loaded referral events.
    referred = (
        Ticket.objects.filter(status__in=(Status.NEW, Status.OPEN), desk__kind="province")
        .filter(events__kind=EventKind.ESCALATED)
        .first()
    )
    if referred is not None:
        agent = policy.desk_agents(referred.desk).first()
        services.ticket_return(agent, referred, instructions="Merci de vérifier l'inscription sur place.")
        referred.refresh_from_db()
        assert referred.desk.kind == "school"
    open_ticket = Ticket.objects.filter(status=Status.OPEN).exclude(desk__kind="school").first()
    assert open_ticket is not None
    services.ticket_resolve(policy.desk_agents(open_ticket.desk).first(), open_ticket, resolution="Corrigé.")
    resolved = Ticket.objects.filter(status=Status.RESOLVED).exclude(pk=open_ticket.pk).first()
    services.ticket_close(resolved.requester, resolved)
    assert Ticket.objects.get(pk=resolved.pk).status == Status.CLOSED


@postgres_only
def test_a_new_filing_gets_a_reference_after_the_loaded_ones(loaded, people):
    year = timezone.localtime().year
    loaded_numbers = [
        int(reference.rsplit("-", 1)[1])
        for reference in Ticket.objects.filter(reference__startswith=f"MSN-{year}-").values_list(
            "reference", flat=True
        )
    ]
    assert ReferenceCounter.objects.get(year=year).last == max(loaded_numbers)
    filed = services.ticket_file(
        people["teacher"],
        unit=OrgUnit.objects.get(code="01001A"),
        category=Category.objects.get(code="massar-grades"),
        subject="Notes",
        description="Impossible de saisir les notes.",
    )
    assert int(filed.reference.rsplit("-", 1)[1]) == max(loaded_numbers) + 1


@postgres_only
def test_the_sla_sweep_finds_nothing_left_to_do_after_a_load(loaded):
    result = sla_services.sweep()
    assert (result.at_risk, result.breached, result.escalated) == (0, 0, 0)


# Replaying loaded histories through the services gives the same rows ---------------------------------


def _replay(loaded_ticket, clock):
    """File and act on a new ticket through the services, at the instants of the loaded ticket's events,
    the SLA sweep running at the instants of its service-level events; returns the new ticket."""
    events = list(loaded_ticket.events.order_by("created_at", "id").select_related("actor"))
    filed = events[0]
    clock.now = filed.created_at
    ticket = services.ticket_file(
        loaded_ticket.requester,
        unit=loaded_ticket.origin_unit,
        category=Category.objects.get(code=filed.data["category"]),
        subject=filed.data["subject"],
        description=filed.body,
        priority=filed.data["priority"],
        channel=filed.data["channel"],
    )
    note, raised = None, None
    for event in events[1:]:
        clock.now = event.created_at
        kind, actor = event.kind, event.actor
        if kind == EventKind.ASSIGNED:
            services.ticket_take(actor, ticket)
        elif kind == EventKind.REPLY:
            services.ticket_reply(actor, ticket, body=event.body)
        elif kind == EventKind.INFO_REQUESTED:
            services.ticket_request_info(actor, ticket, body=event.body)
        elif kind == EventKind.REQUALIFIED:
            note, raised = event.body, (event.data["changes"].get("priority") or [None, None])[1]
        elif kind == EventKind.ESCALATED:
            services.ticket_escalate(actor, ticket, note=note, priority=raised)
        elif kind == EventKind.RESOLVED:
            services.ticket_resolve(actor, ticket, resolution=event.body)
        elif kind == EventKind.CLOSED:
            services.ticket_close(SYSTEM if event.by_system else actor, ticket)
        elif kind == EventKind.RATED:
            services.ticket_rate(actor, ticket, score=event.data["score"], comment=event.body)
        elif kind in (EventKind.SLA_AT_RISK, EventKind.SLA_BREACHED):
            sla_services.sweep(now=event.created_at)
        else:
            raise AssertionError(f"the loader wrote an event the replay does not know: {kind}")
    return Ticket.objects.get(pk=ticket.pk)


def _history(ticket):
    events = [
        (e.kind, e.actor_id, e.by_system, e.created_at, e.public, e.body, e.data)
        for e in ticket.events.order_by("created_at", "id")
    ]
    holdings = sorted((h.desk_id, h.since) for h in ticket.holdings.all())
    visit_fields = [
        "desk_id", "level", "arrived_at", "left_at", "first_response_at", "resolved_at", "response_due_at",
        "resolution_due_at", "paused_seconds", "paused_since", "response_breached", "resolution_breached",
        "outcome", "response_risk_at", "resolution_risk_at", "at_risk_notified_at", "auto_escalated_at",
    ]  # fmt: skip
    visits = [
        tuple(getattr(v, name) for name in visit_fields) for v in ticket.level_visits.order_by("arrived_at")
    ]
    return events, holdings, visits


TICKET_FIELDS = [
    "requester_id", "origin_unit_id", "desk_id", "assignee_id", "status", "priority", "category_id",
    "subject", "description", "channel", "rating", "filed_at", "updated_at", "first_response_at",
    "resolved_at", "closed_at", "due_at", "version", "access_keys",
]  # fmt: skip


def _shapes(tickets):
    """A few tickets of each kind of history: every status, every final level, taken, waiting, followed up,
    requalified with a higher priority, filed by a head, with service-level events."""
    heads = set(Membership.objects.filter(role=Role.AGENT).values_list("user_id", flat=True))
    chosen, seen = [], Counter()
    for ticket in tickets:
        events = list(ticket.events.all())
        keys = {
            ("status", ticket.status),
            ("level", ticket.desk.level),
            ("head", ticket.requester_id in heads),
            *(("kind", event.kind) for event in events),
            *(("raised",) for event in events if "priority" in event.data.get("changes", {})),
            *(("follow-up",) for event in events if event.data.get("party") == "requester"),
        }
        if any(seen[key] < 2 for key in keys):
            chosen.append(ticket)
            seen.update(keys)
    return chosen


@postgres_only
def test_replaying_loaded_histories_through_the_services_writes_the_same_rows(loaded, clock):
    candidates = Ticket.objects.select_related("desk", "requester", "origin_unit").prefetch_related("events")
    tickets = _shapes(candidates.order_by("id"))
    assert len(tickets) >= 15
    for loaded_ticket in tickets:
        loaded_history = _history(loaded_ticket)
        replayed = _replay(loaded_ticket, clock)
        for name in TICKET_FIELDS:
            assert getattr(replayed, name) == getattr(loaded_ticket, name), (loaded_ticket.reference, name)
        assert replayed.search_text.rsplit(" ", 1)[0] == loaded_ticket.search_text.rsplit(" ", 1)[0]
        for part, mine, theirs in zip(
            ("events", "holdings", "visits"), loaded_history, _history(replayed), strict=True
        ):
            assert mine == theirs, (loaded_ticket.reference, part)


# The ceiling page ---------------------------------------------------------------------------------------


def test_the_ceiling_page_does_not_exist_in_the_product(client):
    assert client.get("/ceiling/").status_code == 404


@override_settings(ROOT_URLCONF="musanada.demo.benchurls")
def test_the_ceiling_page_goes_through_the_middleware_without_the_database(
    db, client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/ceiling/")
    assert response.status_code == 200
    assert response.content.count(b"<tr>") == 26  # the header and 25 rows
    assert response["X-Frame-Options"] == "DENY"  # the product's middleware ran
    # The product's pages are all there too.
    assert client.get("/login/").status_code == 200


# The load mode --------------------------------------------------------------------------------------------


@postgres_only
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_the_load_mode_measures_a_live_server_and_reports_each_operation(live_server, settings, people):
    settings.ROOT_URLCONF = "musanada.demo.benchurls"
    settings.MUSANADA_API_RATE = "1000000/second"
    generate_population(schools=6, staff=60, academies=["MA-01"])
    bench_load.load(600, days=60, workers=0)
    assert TicketHolding.objects.filter(desk__code="MEN-MASSAR").exists()
    report = bench_http.run(
        live_server.url, clients=2, seconds=1, warmup=0, settle_idle=0, settle_max=0, school="01001A"
    )
    names = [run.name for run in report.runs]
    assert names == ["ceiling", "inbox", "api_list", "ticket", "search", "dashboard", "file", "escalate"]
    for run in report.runs:
        assert run.requests > 0 and run.rps > 0 and run.p50 <= run.p95 <= run.p99
        assert run.ok == run.requests, (run.name, run.codes)
    assert report.jobs_queued is not None and "jobs run" in report.jobs_drain
    text = bench_http.format_report(report)
    assert "req/s" in text and "1.000" in text and "jobs queued by the write runs" in text
    # The run's tokens are revoked and the central agent's password is unusable again.
    assert not people["teacher"].api_tokens.filter(revoked_at__isnull=True).exists()
    central = bench_http.User.objects.get(username=bench_http.CENTRAL_USERNAME)
    assert not central.has_usable_password()
