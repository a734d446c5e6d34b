"""Every rule of the workflow table, walked through the services that production runs.

For each level a ticket can be at and each status it can be in, a real ticket is brought there through the
services (filed by the teacher, referred up by each desk, taken, put on hold, resolved, closed). Then every
action is tried by the requester, the agent of the holding desk and the system, each in a savepoint that is
rolled back: the service accepts it exactly when the page and the API offer it (`policy.available_actions`),
an accepted action leads to the status the design names, and a refused one changes nothing.
"""

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from musanada.core.actors import SYSTEM
from musanada.core.errors import DomainError, ErrorCode
from musanada.org.models import Membership, OrgUnit, Role
from musanada.tickets import actions, incidents, policy, services
from musanada.tickets.models import Event, Ticket
from musanada.tickets.workflow import Action, Status

NEW, OPEN, WAITING, RESOLVED, CLOSED = Status.NEW, Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED
BELOW_CENTRAL = {"school", "province", "academy"}
ABOVE_SCHOOL = {"province", "academy", "central"}
ALL_LEVELS = BELOW_CENTRAL | ABOVE_SCHOOL

# The design's rules, written out independently of the table: (action, who) → (from, to or None, levels).
DESIGN = {
    (Action.TAKE, "desk"): ({NEW, OPEN}, OPEN, ALL_LEVELS),
    (Action.ASSIGN, "desk"): ({NEW, OPEN, WAITING}, None, ALL_LEVELS),
    (Action.REPLY, "desk"): ({NEW, OPEN}, OPEN, ALL_LEVELS),
    (Action.REPLY, "requester"): ({NEW, OPEN}, None, ALL_LEVELS),
    (Action.NOTE, "desk"): ({NEW, OPEN, WAITING, RESOLVED}, None, ALL_LEVELS),
    (Action.REQUEST_INFO, "desk"): ({NEW, OPEN}, WAITING, ALL_LEVELS),
    (Action.PROVIDE_INFO, "requester"): ({WAITING}, OPEN, ALL_LEVELS),
    (Action.ESCALATE, "desk"): ({NEW, OPEN}, NEW, BELOW_CENTRAL),
    (Action.ESCALATE, "system"): ({NEW, OPEN}, NEW, BELOW_CENTRAL),
    # Only what a lower desk referred here goes back: the walked ticket was referred into every level above.
    (Action.RETURN, "desk"): ({NEW, OPEN}, NEW, ABOVE_SCHOOL),
    (Action.TRANSFER, "desk"): ({NEW, OPEN}, NEW, {"central"}),
    (Action.RESOLVE, "desk"): ({NEW, OPEN, WAITING}, RESOLVED, ALL_LEVELS),
    (Action.CLOSE, "requester"): ({RESOLVED}, CLOSED, ALL_LEVELS),
    (Action.CLOSE, "system"): ({RESOLVED}, CLOSED, ALL_LEVELS),
    (Action.REOPEN, "requester"): ({RESOLVED, CLOSED}, OPEN, ALL_LEVELS),
    (Action.RATE, "requester"): ({RESOLVED, CLOSED}, None, ALL_LEVELS),
    (Action.ATTACH, "requester"): ({NEW, OPEN, WAITING}, None, ALL_LEVELS),
    (Action.ATTACH, "desk"): ({NEW, OPEN, WAITING}, None, ALL_LEVELS),
    # A request filed twice is closed into the other; related ones are tied together, resolved ones too.
    (Action.MERGE, "desk"): ({NEW, OPEN, WAITING}, CLOSED, ALL_LEVELS),
    (Action.LINK, "desk"): ({NEW, OPEN, WAITING, RESOLVED}, None, ALL_LEVELS),
    # A request reporting a known incident follows it (the system resolves it only with a resolved incident).
    (Action.FOLLOW_INCIDENT, "desk"): ({NEW, OPEN, WAITING}, None, ALL_LEVELS),
}

# The agent of each level's desk, as the walked ticket climbs: school head, province, academy, central.
AGENTS = {"school": "head", "province": "province", "academy": "region", "central": "central"}
LEVELS = list(AGENTS)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _Undo(Exception):
    """Raised to roll back the savepoint of an accepted action."""


def _arguments(action, units, people) -> dict:
    """Valid input for each action's service: what a careful agent or requester would type."""
    return {
        Action.TAKE: {},
        Action.ASSIGN: {"assignee": None},  # filled with the holding desk's agent
        Action.REPLY: {"body": "Voici la réponse."},
        Action.NOTE: {"body": "ملاحظة داخلية"},
        Action.REQUEST_INFO: {"body": "Quel est le message d'erreur ?"},
        Action.PROVIDE_INFO: {"body": "رسالة الخطأ: 403"},
        Action.ESCALATE: {"note": "Tried resetting the access code."},
        Action.RETURN: {"instructions": "Reset the code from the school's Massar account."},
        Action.TRANSFER: {"to_desk": units["MEN-ACCOUNTS"], "note": "An account matter."},
        Action.RESOLVE: {"resolution": "The access code was reset."},
        Action.CLOSE: {},
        Action.REOPEN: {"reason": "It still fails."},
        Action.RATE: {"score": 4},
        Action.ATTACH: {"files": [ContentFile(PDF, name="capture.pdf")]},
        # Filled with the reference of the same request filed again and brought to the same desk.
        Action.MERGE: {"into": None},
        Action.LINK: {"to": None},
        Action.FOLLOW_INCIDENT: {"incident": None},
    }[action]


def _walk_to(level: str, status: str, people, units, categories) -> Ticket:
    """A ticket at `level` in `status`, brought there only through the services."""
    teacher = people["teacher"]
    ticket = services.ticket_file(
        teacher,
        unit=units["01001A"],
        category=categories["massar"],
        subject="Code d'accès Massar oublié",
        description="لا أستطيع الدخول إلى منظومة مسار.",
    )
    for below in LEVELS[: LEVELS.index(level)]:
        services.ticket_escalate(people[AGENTS[below]], ticket, note="Tried what this level can.")
    agent = people[AGENTS[level]]
    if status in (OPEN, WAITING, RESOLVED, CLOSED):
        services.ticket_take(agent, ticket)
    if status == WAITING:
        services.ticket_request_info(agent, ticket, body="Which school year?")
    if status in (RESOLVED, CLOSED):
        services.ticket_resolve(agent, ticket, resolution="Done.")
    if status == CLOSED:
        services.ticket_close(teacher, ticket)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.desk.level) == (status, level)
    return ticket


def _try(actor, who: str, action: str, ticket: Ticket, arguments: dict):
    """Run the action's service in a savepoint; returns the status it led to, or the refusal."""
    try:
        with transaction.atomic():
            if who == "system" and action == Action.ESCALATE:
                services.ticket_auto_escalate(ticket, overrun_minutes=60)
            else:
                actions.perform(actor, ticket, action, **arguments)
            reached = Ticket.objects.get(pk=ticket.pk).status
            raise _Undo(reached)
    except _Undo as undone:
        return undone.args[0], None
    except DomainError as refused:
        return None, refused


def _snapshot(ticket: Ticket):
    row = Ticket.objects.values("status", "desk_id", "assignee_id", "version", "rating").get(pk=ticket.pk)
    return row, Event.objects.filter(ticket=ticket).count()


@pytest.mark.parametrize("status", [NEW, OPEN, WAITING, RESOLVED, CLOSED])
@pytest.mark.parametrize("level", LEVELS)
def test_each_service_accepts_exactly_what_is_offered_and_what_the_design_says(
    level, status, people, units, categories
):
    ticket = _walk_to(level, status, people, units, categories)
    again = _walk_to(level, NEW, people, units, categories).reference
    # Massar is down for the whole country: the central service declared it.
    incident = incidents.incident_declare(
        people["central"],
        desk=units["MEN-MASSAR"],
        category=categories["massar"],
        scope=units["MEN"],
        title="Massar indisponible",
        description="Le service est rétabli dans la matinée.",
    )
    actors = {"requester": people["teacher"], "desk": people[AGENTS[level]], "system": SYSTEM}
    for action in Action.values:
        for who, actor in actors.items():
            fresh = Ticket.objects.select_related("desk").get(pk=ticket.pk)
            offered = action in policy.available_actions(actor, fresh)
            # The walk's agent took the ticket on the way: taking it again is not offered (already_assigned).
            taken = action == Action.TAKE and fresh.assignee_id == getattr(actor, "pk", None)
            arguments = _arguments(action, units, people)
            if action == Action.ASSIGN:
                arguments["assignee"] = people[AGENTS[level]]
            for name in ("into", "to"):
                if name in arguments:
                    arguments[name] = again
            if "incident" in arguments:
                arguments["incident"] = incident.pk
            before = _snapshot(fresh)
            reached, refused = _try(actor, who, action, fresh, arguments)
            sources, target, levels = DESIGN.get((action, who), (set(), None, set()))
            intended = status in sources and level in levels and not taken
            case = f"{action} by {who} at {level} while {status}"
            assert offered == intended, f"{case}: offered {offered}, the design says {intended}"
            assert (refused is None) == intended, f"{case}: the service said {refused!r}"
            if intended:
                assert reached == (target or status), case
            else:
                assert _snapshot(fresh) == before, f"{case}: a refusal changed the ticket"


def test_reopening_is_offered_and_accepted_within_the_delay_only(people, units, categories, clock, settings):
    ticket = _walk_to("school", RESOLVED, people, units, categories)
    teacher = people["teacher"]
    clock.advance(days=settings.MUSANADA["REOPEN_DAYS"] + 1)
    assert Action.REOPEN not in policy.available_actions(teacher, ticket)
    with pytest.raises(DomainError) as refused:
        services.ticket_reopen(teacher, ticket, reason="Still broken.")
    assert refused.value.code == "reopen_delay_passed"
    assert Ticket.objects.get(pk=ticket.pk).status == RESOLVED


def test_a_ticket_is_rated_once_and_the_form_goes_away(people, units, categories):
    ticket = _walk_to("province", RESOLVED, people, units, categories)
    teacher = people["teacher"]
    services.ticket_rate(teacher, ticket, score=5)
    assert Action.RATE not in policy.available_actions(teacher, ticket)
    with pytest.raises(DomainError) as refused:
        services.ticket_rate(teacher, ticket, score=1)
    assert refused.value.code == "already_rated"
    assert Ticket.objects.get(pk=ticket.pk).rating == 5


def test_return_is_neither_offered_nor_accepted_without_a_staffed_referrer(people, units, categories):
    # The head files for their school: it lands on the province, which nobody referred it to.
    filed_here = services.ticket_file(
        people["head"],
        unit=units["01001A"],
        category=categories["massar"],
        subject="Accès",
        description="Le compte du directeur est bloqué.",
    )
    province = people["province"]
    assert Action.RETURN not in policy.available_actions(province, filed_here)
    with pytest.raises(DomainError) as refused:
        services.ticket_return(province, filed_here, instructions="Do it yourself.")
    assert refused.value.code == "no_referrer"

    # Referred by the school, whose head has since left: returning it would strand it.
    referred = _walk_to("province", NEW, people, units, categories)
    Membership.objects.filter(user=people["head"], unit=OrgUnit.objects.get(code="01001A")).update(
        is_active=False
    )
    assert Action.RETURN not in policy.available_actions(province, referred)
    with pytest.raises(DomainError) as refused:
        services.ticket_return(province, referred, instructions="Do it yourself.")
    assert refused.value.code == "referrer_unstaffed"
    assert Ticket.objects.get(pk=referred.pk).desk.code == "MA-01-01"


def test_system_acts_only_where_the_table_lets_it(people, units, categories):
    ticket = _walk_to("central", OPEN, people, units, categories)
    assert policy.available_actions(SYSTEM, ticket) == []
    with pytest.raises(DomainError):
        services.ticket_auto_escalate(ticket, overrun_minutes=60)
    assert Ticket.objects.get(pk=ticket.pk).desk.code == "MEN-MASSAR"


def test_an_agent_takes_a_ticket_from_a_colleague_but_not_one_already_theirs(people, units, categories):
    ticket = _walk_to("school", NEW, people, units, categories)
    head, deputy = people["head"], people["head2"]
    Membership.objects.create(user=deputy, unit=units["01001A"], role=Role.AGENT)
    services.ticket_take(head, ticket)

    assert Action.TAKE not in policy.available_actions(head, ticket)
    with pytest.raises(DomainError) as refused:
        services.ticket_take(head, ticket)
    assert refused.value.code == ErrorCode.ALREADY_ASSIGNED

    assert Action.TAKE in policy.available_actions(deputy, ticket)
    services.ticket_take(deputy, ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == deputy
