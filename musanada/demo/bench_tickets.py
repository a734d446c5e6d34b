"""Bulk tickets for the benchmark: a year of history written straight into the tables, fast.

Not through the services: a million tickets walked one action at a time would take hours. Rows are built
in memory in the shape the services write (ticket, its events with the same codes and data, the holdings of
every desk it passed, and the SLA app's level visits when that app is installed) and inserted with
`bulk_create`. Good for measuring reads; never for checking the workflow, which only the services enforce.
Subjects and descriptions are the realistic French and Arabic requests of `bench_text`.

This is the portable path, for SQLite and small sets; on PostgreSQL `musanada bench` loads with COPY
(`bench_load`), with the whole history the services would have written.
"""

import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from musanada.demo import bench_text
from musanada.org.models import Category, Membership, OrgUnit, Role, UnitKind
from musanada.reports.services import level_visit_model
from musanada.tickets import policy, search
from musanada.tickets.models import Event, Ticket, TicketHolding
from musanada.tickets.workflow import EventKind, Priority, Status

PREFIX = "BNCH"
SCHOOL, PROVINCE, ACADEMY, CENTRAL = "school", "province", "academy", "central"
LEVELS = (SCHOOL, PROVINCE, ACADEMY, CENTRAL)
# Where a ticket's journey ends: most are solved at the school, as the memo wants.
END_LEVEL = {SCHOOL: 58, PROVINCE: 24, ACADEMY: 11, CENTRAL: 7}
PRIORITIES = {Priority.LOW: 2, Priority.NORMAL: 12, Priority.HIGH: 3, Priority.URGENT: 1}
# Mean hours to a first response and to the end of a stay, per level (exponential draws around them).
RESPONSE_HOURS = {SCHOOL: 6, PROVINCE: 10, ACADEMY: 16, CENTRAL: 24}
STAY_HOURS = {SCHOOL: 30, PROVINCE: 48, ACADEMY: 72, CENTRAL: 96}
# The service-level targets the generated visits are judged against (hours).
RESPONSE_TARGET = {SCHOOL: 8, PROVINCE: 16, ACADEMY: 24, CENTRAL: 32}
RESOLUTION_TARGET = {SCHOOL: 40, PROVINCE: 72, ACADEMY: 96, CENTRAL: 120}
BATCH = 5000


@dataclass
class BenchTickets:
    created: int = 0
    existing: int = 0
    seconds: float = 0.0


class _Place:
    __slots__ = ("school", "province", "academy")

    def __init__(self, school, province, academy):
        self.school, self.province, self.academy = school, province, academy


def _places() -> list[_Place]:
    units = {
        pk: (parent, kind) for pk, parent, kind in OrgUnit.objects.values_list("pk", "parent_id", "kind")
    }
    places = []
    for pk, (parent, kind) in units.items():
        if kind == UnitKind.SCHOOL and parent in units:
            academy = units[parent][0]
            if academy in units and units[academy][1] == UnitKind.ACADEMY:
                places.append(_Place(pk, parent, academy))
    return sorted(places, key=lambda place: place.school)


def _people():
    requesters, agents = {}, {}
    rows = Membership.objects.filter(is_active=True, role__in=(Role.STAFF, Role.AGENT, Role.SUPERVISOR))
    for user_id, unit_id, role in rows.values_list("user_id", "unit_id", "role").iterator(chunk_size=20000):
        if role == Role.STAFF:
            bucket = requesters.setdefault(unit_id, [])
            if len(bucket) < 8:
                bucket.append(user_id)
        else:
            agents.setdefault(unit_id, user_id)
    return requesters, agents


def _draw(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate(count: int, *, seed: int = 2026, days: int = 365, progress=None) -> BenchTickets:
    """Have `count` benchmark tickets (prefix BNCH) filed over the last `days` days; reruns add what lacks."""
    started = time.monotonic()
    report = BenchTickets(existing=Ticket.objects.filter(reference__startswith=PREFIX + "-").count())
    missing = count - report.existing
    if missing <= 0:
        report.seconds = time.monotonic() - started
        return report
    places = _places()
    if not places:
        raise ValueError("No school in the tree: run load-org and generate --schools first.")
    requesters, agents = _people()
    topics = list(
        Category.objects.filter(parent__isnull=False, is_active=True).values_list("pk", "owner_id", "code")
    )
    visit_model = level_visit_model()
    # Every unit by id, path only: what the tickets' access keys are computed from.
    units = {pk: OrgUnit(pk=pk, path=path) for pk, path in OrgUnit.objects.values_list("pk", "path")}
    rng = random.Random(seed + report.existing)
    now = timezone.now()
    number = report.existing
    while missing > 0:
        size = min(BATCH, missing)
        _batch(size, number, rng, now, days, places, requesters, agents, topics, visit_model, units)
        number += size
        missing -= size
        report.created += size
        if progress:
            progress(report.created, count - report.existing)
    report.seconds = time.monotonic() - started
    return report


def _batch(size, first_number, rng, now, days, places, requesters, agents, topics, visit_model, units):
    tickets, journeys = [], []
    unit_ids = {unit.path: pk for pk, unit in units.items()}
    for offset in range(size):
        place = rng.choice(places)
        category_id, owner_id, category_code = rng.choice(topics)
        request = bench_text.request(rng, category_code)
        requester = rng.choice(requesters.get(place.school) or [agents.get(place.school)])
        if requester is None:
            requester = next(iter(agents.values()))
        filed_at = now - timedelta(seconds=rng.uniform(600, days * 86400))
        desks = {SCHOOL: place.school, PROVINCE: place.province, ACADEMY: place.academy, CENTRAL: owner_id}
        end_level = _draw(rng, END_LEVEL)
        steps, clock = [], filed_at
        status = Status.CLOSED
        for level in LEVELS:
            arrived = clock
            response = arrived + timedelta(hours=rng.expovariate(1 / RESPONSE_HOURS[level]))
            left = response + timedelta(hours=rng.expovariate(1 / STAY_HOURS[level]))
            final = level == end_level
            if response >= now:
                steps.append((level, arrived, None, None, False))
                status = Status.NEW
                break
            if left >= now:
                steps.append((level, arrived, response, None, False))
                status = rng.choice((Status.OPEN, Status.OPEN, Status.WAITING))
                break
            steps.append((level, arrived, response, left, final))
            clock = left
            if final:
                status = Status.CLOSED if left + timedelta(days=7) < now else Status.RESOLVED
                break
        last_level = steps[-1][0]
        resolved_at = steps[-1][3] if steps[-1][4] else None
        rating = None
        if status == Status.CLOSED and rng.random() < 0.4:
            rating = _draw(rng, {1: 1, 2: 1, 3: 3, 4: 6, 5: 7})
        number = first_number + offset + 1
        reference = f"{PREFIX}-{filed_at.year}-{number:08d}"
        updated = max(step[3] or step[2] or step[1] for step in steps)
        tickets.append(
            Ticket(
                reference=reference,
                requester_id=requester,
                origin_unit_id=place.school,
                desk_id=desks[last_level],
                status=status,
                priority=_draw(rng, PRIORITIES),
                category_id=category_id,
                subject=request.subject,
                description=request.description,
                **search.ticket_words(request.subject, request.description),
                access_keys=policy.access_keys(
                    [units[desks[step[0]]] for step in steps], units[place.school], unit_ids=unit_ids
                ),
                rating=rating,
                filed_at=filed_at,
                updated_at=updated,
                first_response_at=steps[0][2] if steps[0][2] else None,
                resolved_at=resolved_at,
                closed_at=resolved_at + timedelta(days=7) if status == Status.CLOSED else None,
            )
        )
        journeys.append((steps, desks, requester, status, rating))
    with transaction.atomic():
        Ticket.objects.bulk_create(tickets, batch_size=BATCH)
        if tickets[0].pk is None:
            ids = dict(
                Ticket.objects.filter(reference__in=[t.reference for t in tickets]).values_list(
                    "reference", "id"
                )
            )
            for ticket in tickets:
                ticket.pk = ticket.id = ids[ticket.reference]
        events, holdings, visits = [], [], []
        for ticket, (steps, desks, requester, status, rating) in zip(tickets, journeys, strict=True):
            _rows(
                ticket, steps, desks, requester, status, rating, agents, events, holdings, visits, visit_model
            )
        Event.objects.bulk_create(events, batch_size=BATCH)
        TicketHolding.objects.bulk_create(holdings, batch_size=BATCH)
        if visit_model is not None:
            visit_model.objects.bulk_create(visits, batch_size=BATCH)


def _event(ticket, kind, at, actor=None, public=True, data=None):
    return Event(
        ticket_id=ticket.pk,
        kind=kind,
        actor_id=actor,
        by_system=actor is None,
        created_at=at,
        public=public,
        data=data or {},
    )


def _rows(ticket, steps, desks, requester, status, rating, agents, events, holdings, visits, visit_model):
    first_desk = desks[steps[0][0]]
    events.append(
        _event(
            ticket,
            EventKind.FILED,
            ticket.filed_at,
            requester,
            data={"desk": first_desk, "priority": "normal"},
        )
    )
    for index, (level, arrived, response, left, final) in enumerate(steps):
        desk = desks[level]
        agent = agents.get(desk)
        holdings.append(TicketHolding(ticket_id=ticket.pk, desk_id=desk, since=arrived))
        if response is not None:
            events.append(_event(ticket, EventKind.REPLY, response, agent, data={"party": "desk"}))
        outcome = None
        if left is not None and final:
            outcome = "resolved"
            events.append(_event(ticket, EventKind.RESOLVED, left, agent, data={"desk": {"level": level}}))
        elif left is not None:
            outcome = "escalated"
            target = steps[index + 1][0] if index + 1 < len(steps) else LEVELS[LEVELS.index(level) + 1]
            events.append(
                _event(
                    ticket,
                    EventKind.ESCALATED,
                    left,
                    agent,
                    data={"from": {"code": str(desk), "level": level}, "to": {"code": "", "level": target}},
                )
            )
        if visit_model is not None:
            response_due = arrived + timedelta(hours=RESPONSE_TARGET[level])
            resolution_due = arrived + timedelta(hours=RESOLUTION_TARGET[level])
            visits.append(
                visit_model(
                    ticket_id=ticket.pk,
                    desk_id=desk,
                    level=level,
                    arrived_at=arrived,
                    left_at=left,
                    first_response_at=response,
                    resolved_at=left if outcome == "resolved" else None,
                    response_due_at=response_due,
                    resolution_due_at=resolution_due,
                    response_breached=response is not None and response > response_due,
                    resolution_breached=outcome == "resolved" and left > resolution_due,
                    outcome=outcome,
                )
            )
    if status == Status.CLOSED:
        events.append(_event(ticket, EventKind.CLOSED, ticket.closed_at, None, data={"automatic": True}))
        if rating is not None:
            events.append(
                _event(ticket, EventKind.RATED, ticket.closed_at, requester, data={"score": rating})
            )
