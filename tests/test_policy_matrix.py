"""Who may see and do what, as a matrix: every persona × tickets around their unit × every workflow action.

One set of tickets is built through the services once for the module (inside a transaction rolled back at
the end); each test runs in a savepoint on top of it, so a successful action never leaks into the next test.

The expectations below are written out by hand from DESIGN.md ("Who may see and do what") rather than
computed from the policy, so that the policy is checked against the rules and not against itself.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q

from musanada.core.errors import Conflict, Forbidden, IllegalTransition, NotFound
from musanada.org.models import Category, Membership, OrgUnit, Role
from musanada.org.services import membership_grant, unit_repath
from musanada.tickets import bulk, incidents, policy, selectors, services
from musanada.tickets.models import Event, Ticket
from musanada.tickets.workflow import Action, EventKind

# The tickets of the module, named "origin@holding desk" (plus the status when it is not new).
SCHOOL_NEW = "01001A@01001A"
SCHOOL_WAITING = "01001A@01001A:waiting"
SCHOOL_RESOLVED = "01001A@01001A:resolved"
SCHOOL_CLOSED = "01001A@01001A:closed"
AT_PROVINCE = "01001A@MA-01-01"
AT_REGION = "01001A@MA-01"
AT_CENTRAL = "01001A@MEN-MASSAR"
AT_ACCOUNTS = "01001A@MEN-ACCOUNTS"
HEAD_FILED = "head:01001A@MA-01-01"
PROVINCE_FILED = "MA-01-01@MA-01-01"
SIBLING_SCHOOL = "01002B@01002B"
OTHER_PROVINCE = "01301C@MA-01-03"
OTHER_ACADEMY = "02001D@02001D"
OTHER_ACADEMY_PROVINCE = "02001D@MA-02-01"
OTHER_ACADEMY_CENTRAL = "02001D@MEN-MASSAR"


@dataclass(frozen=True)
class Spec:
    requester: str
    desk: str  # the holding desk
    agents: frozenset  # personas who work the holding desk
    desk_state: str  # key of DESK_OK
    requester_state: str  # key of REQUESTER_OK


def spec(requester, desk, agents, desk_state, requester_state="new"):
    return Spec(requester, desk, frozenset(agents), desk_state, requester_state)


TICKETS = {
    SCHOOL_NEW: spec("teacher", "01001A", {"head"}, "open-filed-here"),
    SCHOOL_WAITING: spec("teacher", "01001A", {"head"}, "waiting", "waiting"),
    SCHOOL_RESOLVED: spec("teacher", "01001A", {"head"}, "resolved", "resolved"),
    SCHOOL_CLOSED: spec("teacher", "01001A", {"head"}, "closed", "closed"),
    AT_PROVINCE: spec("teacher", "MA-01-01", {"province"}, "open-referred"),
    # A supervisor of a desk works it too (DESK_ROLES), besides reading the subtree.
    AT_REGION: spec("teacher", "MA-01", {"region", "supervisor"}, "open-referred"),
    AT_CENTRAL: spec("teacher", "MEN-MASSAR", {"central"}, "central-referred"),
    AT_ACCOUNTS: spec("teacher", "MEN-ACCOUNTS", {"central2"}, "central-referred"),
    HEAD_FILED: spec("head", "MA-01-01", {"province"}, "open-filed-here"),
    PROVINCE_FILED: spec("retired", "MA-01-01", {"province"}, "open-filed-here"),
    SIBLING_SCHOOL: spec("teacher_b", "01002B", {"head2"}, "open-filed-here"),
    # 01301C has no head yet: the request went up to its province on filing.
    OTHER_PROVINCE: spec("teacher_c", "MA-01-03", {"province2"}, "open-filed-here"),
    OTHER_ACADEMY: spec("outsider_teacher", "02001D", {"outsider_head"}, "open-filed-here"),
    OTHER_ACADEMY_PROVINCE: spec("outsider_teacher", "MA-02-01", {"outsider"}, "open-referred"),
    # MA-02 has nobody at its desk: the referral from MA-02-01 went on to the central service.
    OTHER_ACADEMY_CENTRAL: spec("outsider_teacher", "MEN-MASSAR", {"central"}, "central-referred"),
}

DESK_ACTIONS = frozenset(
    {
        Action.TAKE,
        Action.ASSIGN,
        Action.REPLY,
        Action.NOTE,
        Action.REQUEST_INFO,
        Action.ESCALATE,
        Action.RETURN,
        Action.TRANSFER,
        Action.RESOLVE,
        Action.ATTACH,
        Action.MERGE,
        Action.LINK,
        Action.FOLLOW_INCIDENT,
    }
)
REQUESTER_ACTIONS = frozenset(
    {
        Action.REPLY,
        Action.PROVIDE_INFO,
        Action.CLOSE,
        Action.REOPEN,
        Action.RATE,
        Action.ATTACH,
    }
)

_WORKING = {
    Action.TAKE,
    Action.ASSIGN,
    Action.REPLY,
    Action.NOTE,
    Action.REQUEST_INFO,
    Action.RESOLVE,
    Action.ATTACH,
    Action.MERGE,
    Action.LINK,
    Action.FOLLOW_INCIDENT,
}
# What the holding desk may do, by the ticket's situation; every other desk action is an illegal transition.
DESK_OK = {
    # Filed at this desk: nobody below to return it to; a school or province refers it up.
    "open-filed-here": frozenset(_WORKING | {Action.ESCALATE}),
    "open-referred": frozenset(_WORKING | {Action.ESCALATE, Action.RETURN}),
    # The last level: no escalation; central services transfer between themselves.
    "central-referred": frozenset(_WORKING | {Action.RETURN, Action.TRANSFER}),
    "waiting": frozenset(
        {
            Action.ASSIGN,
            Action.NOTE,
            Action.RESOLVE,
            Action.ATTACH,
            Action.MERGE,
            Action.LINK,
            Action.FOLLOW_INCIDENT,
        }
    ),
    "resolved": frozenset({Action.NOTE, Action.LINK}),
    "closed": frozenset(),
}
REQUESTER_OK = {
    "new": frozenset({Action.REPLY, Action.ATTACH}),
    "waiting": frozenset({Action.PROVIDE_INFO, Action.ATTACH}),
    "resolved": frozenset({Action.CLOSE, Action.REOPEN, Action.RATE}),
    "closed": frozenset({Action.REOPEN, Action.RATE}),
}

# Every ticket filed by the teacher: each passed through the school desk 01001A and its province's subtree.
TEACHER_TICKETS = frozenset(
    {
        SCHOOL_NEW,
        SCHOOL_WAITING,
        SCHOOL_RESOLVED,
        SCHOOL_CLOSED,
        AT_PROVINCE,
        AT_REGION,
        AT_CENTRAL,
        AT_ACCOUNTS,
    }
)
UNDER_MA_01_01 = TEACHER_TICKETS | {HEAD_FILED, PROVINCE_FILED, SIBLING_SCHOOL}
FROM_MA_02 = frozenset({OTHER_ACADEMY, OTHER_ACADEMY_PROVINCE, OTHER_ACADEMY_CENTRAL})

# persona → (home unit, the tickets they may see).
PERSONAS = {
    "teacher": ("01001A", TEACHER_TICKETS),
    # The school desk keeps reading what it referred up; its head's own request went to the province.
    "head": ("01001A", TEACHER_TICKETS | {HEAD_FILED}),
    "head2": ("01002B", frozenset({SIBLING_SCHOOL})),
    # A provincial desk reads what reached it, not what stays at its schools' desks.
    "province": (
        "MA-01-01",
        frozenset({AT_PROVINCE, AT_REGION, AT_CENTRAL, AT_ACCOUNTS, HEAD_FILED, PROVINCE_FILED}),
    ),
    "province2": ("MA-01-03", frozenset({OTHER_PROVINCE})),
    "region": ("MA-01", frozenset({AT_REGION, AT_CENTRAL, AT_ACCOUNTS})),
    "supervisor": ("MA-01", UNDER_MA_01_01 | {OTHER_PROVINCE}),
    "central": ("MEN-MASSAR", frozenset({AT_CENTRAL, OTHER_ACADEMY_CENTRAL})),
    "central2": ("MEN-ACCOUNTS", frozenset({AT_ACCOUNTS})),
    "observer": ("MA-01-01", UNDER_MA_01_01),
    "outsider": ("MA-02-01", frozenset({OTHER_ACADEMY_PROVINCE, OTHER_ACADEMY_CENTRAL})),
    "outsider_head": ("02001D", FROM_MA_02),
    "outsider_teacher": ("02001D", FROM_MA_02),
    # A superuser gets nothing on tickets by being one.
    "admin": (None, frozenset()),
    # An agent of MA-01-01 whose account was disabled: not even the request they filed.
    "retired": ("MA-01-01", frozenset()),
    # A former agent of 01001A whose membership ended.
    "former": ("01001A", frozenset()),
}


def staff_side(persona: str, key: str) -> bool:
    """Whether the persona reads the ticket as desk, supervisor or observer (not only as its requester)."""
    if key not in PERSONAS[persona][1]:
        return False
    return persona not in ("teacher", "outsider_teacher") and not (persona == "head" and key == HEAD_FILED)


# The demo tree, for naming how a ticket's desk stands to a persona's unit (checked against the database
# by test_relation_labels_follow_the_org_tree).
PARENT = {
    "01001A": "MA-01-01",
    "01002B": "MA-01-01",
    "01301C": "MA-01-03",
    "02001D": "MA-02-01",
    "MA-01-01": "MA-01",
    "MA-01-03": "MA-01",
    "MA-02-01": "MA-02",
    "MA-01": "MEN",
    "MA-02": "MEN",
    "MEN-MASSAR": "MEN",
    "MEN-ACCOUNTS": "MEN",
    "MEN": None,
}
SCHOOLS = frozenset({"01001A", "01002B", "01301C", "02001D"})


def _ancestors(code):
    chain = []
    while code is not None:
        chain.append(code)
        code = PARENT[code]
    return chain


def relation(home: str | None, desk: str) -> str:
    if home is None:
        return "no-unit"
    if desk == home:
        return "own-desk"
    if desk == PARENT[home]:
        return "parent-desk"
    if home == PARENT[desk]:
        return "child-desk"
    if desk in _ancestors(home):
        return "desk-above"
    if home in _ancestors(desk):
        return "desk-below"
    # Central services hang beside the academies in the tree, but work above them in the memo's levels.
    if desk.startswith("MEN-") and not home.startswith("MEN-"):
        return "central-service"
    if home.startswith("MEN-") and not desk.startswith("MEN-"):
        return "lower-level-desk"
    if PARENT[desk] == PARENT[home]:
        return "sibling-desk"
    home_academy, desk_academy = _ancestors(home)[-2], _ancestors(desk)[-2]
    return "same-academy" if home_academy == desk_academy else "other-academy"


def case_id(persona: str, key: str) -> str:
    return f"{persona}-{relation(PERSONAS[persona][0], TICKETS[key].desk)}-{key}"


PAIRS = [pytest.param(persona, key, id=case_id(persona, key)) for persona in PERSONAS for key in TICKETS]


def expected_outcome(persona: str, key: str, action: str):
    """None when the action succeeds, else the error class the user gets."""
    if key not in PERSONAS[persona][1]:
        return NotFound
    ticket = TICKETS[key]
    if persona in ticket.agents:
        return (
            None
            if action in DESK_OK[ticket.desk_state]
            else (IllegalTransition if action in DESK_ACTIONS else Forbidden)
        )
    if persona == ticket.requester:
        return (
            None
            if action in REQUESTER_OK[ticket.requester_state]
            else (IllegalTransition if action in REQUESTER_ACTIONS else Forbidden)
        )
    return Forbidden


def is_party(persona: str, key: str) -> bool:
    return persona in TICKETS[key].agents or persona == TICKETS[key].requester


def action_case(persona: str, key: str, action: str):
    outcome = expected_outcome(persona, key, action)
    label = "ok" if outcome is None else outcome.__name__
    return pytest.param(persona, key, action, id=f"{case_id(persona, key)}-{action}-{label}")


# Requesters and holding desks: one case per action, since what they may do depends on status and level.
ACTION_CASES = [
    action_case(persona, key, action)
    for persona in PERSONAS
    for key in TICKETS
    if key in PERSONAS[persona][1] and is_party(persona, key)
    for action in Action.values
]
# Readers who are not a party (former desks, supervisors, observers) are refused every action alike.
READER_PAIRS = [
    pair for pair in PAIRS if pair.values[1] in PERSONAS[pair.values[0]][1] and not is_party(*pair.values)
]
HIDDEN_PAIRS = [pair for pair in PAIRS if pair.values[1] not in PERSONAS[pair.values[0]][1]]


# The module's tickets ------------------------------------------------------------------------------------


def _file(requester, unit, category="massar"):
    return services.ticket_file(
        requester,
        unit=OrgUnit.objects.get(code=unit),
        category=Category.objects.get(code=category),
        subject="Massar refuse la saisie",
        description="La page de saisie des notes reste blanche.",
    )


def _note(actor, ticket):
    services.ticket_note(actor, ticket, body="Note interne : vérifier les droits du compte.")


def _escalate(actor, ticket, category=None):
    services.ticket_escalate(
        actor,
        ticket,
        note="Tentatives locales sans effet.",
        category=Category.objects.get(code=category) if category else None,
    )


def _build_tickets() -> dict:
    User = get_user_model()
    u = {user.username: user for user in User.objects.all()}
    for username, unit, role in [
        ("teacher_b", "01002B", Role.STAFF),
        ("teacher_c", "01301C", Role.STAFF),
        ("retired", "MA-01-01", Role.AGENT),
        ("former", "01001A", Role.AGENT),
    ]:
        user = User.objects.create_user(username=username, password=None)
        membership_grant(user, OrgUnit.objects.get(code=unit), role)
        u[username] = user
    built = {}

    def teacher_ticket(key, *steps):
        ticket = _file(u["teacher"], "01001A")
        _note(u["head"], ticket)
        for step in steps:
            step(ticket)
        built[key] = ticket

    teacher_ticket(SCHOOL_NEW)
    teacher_ticket(SCHOOL_WAITING, lambda t: services.ticket_request_info(u["head"], t, body="Navigateur ?"))
    teacher_ticket(SCHOOL_RESOLVED, lambda t: services.ticket_resolve(u["head"], t, resolution="Cache vidé."))
    teacher_ticket(
        SCHOOL_CLOSED,
        lambda t: services.ticket_resolve(u["head"], t, resolution="Cache vidé."),
        lambda t: services.ticket_close(u["teacher"], t),
    )
    teacher_ticket(AT_PROVINCE, lambda t: _escalate(u["head"], t))
    teacher_ticket(AT_REGION, lambda t: _escalate(u["head"], t), lambda t: _escalate(u["province"], t))
    teacher_ticket(
        AT_CENTRAL,
        lambda t: _escalate(u["head"], t),
        lambda t: _escalate(u["province"], t),
        lambda t: _escalate(u["region"], t, "massar-grades"),
    )
    teacher_ticket(
        AT_ACCOUNTS,
        lambda t: _escalate(u["head"], t),
        lambda t: _escalate(u["province"], t),
        lambda t: _escalate(u["region"], t, "accounts"),
    )
    for key, requester, unit, agent in [
        (HEAD_FILED, "head", "01001A", "province"),
        (PROVINCE_FILED, "retired", "MA-01-01", "province"),
        (SIBLING_SCHOOL, "teacher_b", "01002B", "head2"),
        (OTHER_PROVINCE, "teacher_c", "01301C", "province2"),
        (OTHER_ACADEMY, "outsider_teacher", "02001D", "outsider_head"),
    ]:
        built[key] = _file(u[requester], unit)
        _note(u[agent], built[key])
    ticket = _file(u["outsider_teacher"], "02001D")
    _note(u["outsider_head"], ticket)
    _escalate(u["outsider_head"], ticket)
    built[OTHER_ACADEMY_PROVINCE] = ticket
    ticket = _file(u["outsider_teacher"], "02001D")
    _escalate(u["outsider_head"], ticket)
    _escalate(u["outsider"], ticket)
    _note(u["central"], ticket)
    built[OTHER_ACADEMY_CENTRAL] = ticket

    User.objects.filter(username="retired").update(is_active=False)
    Membership.objects.filter(user__username="former").update(is_active=False)
    for key, ticket in built.items():
        # The module's tickets must be what the table says, or every expectation below is about nothing.
        assert (ticket.desk.code, ticket.status) == (TICKETS[key].desk, TICKETS[key].requester_state), key
    return {key: ticket.reference for key, ticket in built.items()}


@pytest.fixture(scope="module")
def references(django_db_setup, django_db_blocker):
    """The references of the module's tickets, built once and rolled back after the module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = _build_tickets()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(references, people):
    """Fresh rows for each test: (users by username, function loading a ticket by its key)."""

    def load(key):
        return Ticket.objects.select_related("desk", "requester").get(reference=references[key])

    return people, load


def snapshot(ticket: Ticket):
    row = Ticket.objects.values(
        "version",
        "status",
        "desk_id",
        "assignee_id",
        "priority",
        "category_id",
        "rating",
        "resolved_at",
        "closed_at",
    ).get(pk=ticket.pk)
    return row, Event.objects.filter(ticket=ticket).count(), ticket.holdings.count()


MISSING_REFERENCE = "MSN-1999-999999"


def not_found(user, reference):
    """Everything a client can tell about the NotFound that looking up `reference` gives."""
    with pytest.raises(NotFound) as refused:
        selectors.ticket_get_for(user, reference)
    error = refused.value
    return type(error), str(error), error.code, error.status, error.field, error.params


def _twin(ticket: Ticket) -> Ticket:
    """The same request filed again by its requester and referred along the same desks (by the agents who
    referred the first one): a request the agents of its desk see, to merge into or link to."""
    requester = ticket.requester
    # A disabled requester (the module's "retired") files their twin inside the test's savepoint.
    get_user_model().objects.filter(pk=requester.pk).update(is_active=True)
    requester.refresh_from_db()
    twin = services.ticket_file(
        requester,
        unit=ticket.origin_unit,
        category=ticket.category,
        subject="Massar refuse la saisie",
        description="La même demande, déposée une seconde fois.",
    )
    referrals = Event.objects.filter(ticket=ticket, kind=EventKind.ESCALATED).select_related("actor")
    for referral in referrals.order_by("created_at", "pk"):
        services.ticket_escalate(referral.actor, twin, note="Même demande.", category=ticket.category)
    get_user_model().objects.filter(pk=requester.pk).update(is_active=ticket.requester.is_active)
    return twin


def perform(action: str, actor, ticket: Ticket):
    """Call the service of `action` with valid input, so that only the policy and the workflow can refuse."""
    if action == Action.FOLLOW_INCIDENT:
        # The central Massar service declares the national outage the request reports.
        category = ticket.category.parent or ticket.category
        incident = incidents.incident_declare(
            get_user_model().objects.get(username="central"),
            desk=OrgUnit.objects.get(code="MEN-MASSAR"),
            category=category,
            scope=OrgUnit.objects.get(code="MEN"),
            title="Panne nationale",
            description="Le service est rétabli dans la matinée.",
        )
        return services.ticket_follow_incident(actor, ticket, incident=incident.pk)
    if action in (Action.MERGE, Action.LINK):
        twin = _twin(ticket).reference
        if action == Action.MERGE:
            return services.ticket_merge(actor, ticket, into=twin, note="Déjà déposée.")
        return services.ticket_link(actor, ticket, to=twin)
    other_service = "MEN-ACCOUNTS" if ticket.desk.code == "MEN-MASSAR" else "MEN-MASSAR"
    calls = {
        Action.TAKE: lambda: services.ticket_take(actor, ticket),
        Action.ASSIGN: lambda: services.ticket_assign(actor, ticket, assignee=actor),
        Action.REPLY: lambda: services.ticket_reply(actor, ticket, body="Merci, nous regardons."),
        Action.NOTE: lambda: services.ticket_note(actor, ticket, body="Piste : session expirée."),
        Action.REQUEST_INFO: lambda: services.ticket_request_info(actor, ticket, body="Quel message ?"),
        Action.PROVIDE_INFO: lambda: services.ticket_provide_info(actor, ticket, body="Erreur 500."),
        Action.ESCALATE: lambda: services.ticket_escalate(actor, ticket, note="Rien n'a marché ici."),
        Action.RETURN: lambda: services.ticket_return(actor, ticket, instructions="Réinitialisez le compte."),
        Action.TRANSFER: lambda: services.ticket_transfer(
            actor, ticket, to_desk=OrgUnit.objects.get(code=other_service), note="Relève de ce service."
        ),
        Action.RESOLVE: lambda: services.ticket_resolve(actor, ticket, resolution="Compte réinitialisé."),
        Action.CLOSE: lambda: services.ticket_close(actor, ticket),
        Action.REOPEN: lambda: services.ticket_reopen(actor, ticket, reason="Toujours bloqué."),
        Action.RATE: lambda: services.ticket_rate(actor, ticket, score=4, comment="Rapide."),
        Action.ATTACH: lambda: services.ticket_attach(
            actor, ticket, files=[SimpleUploadedFile("trace.txt", b"erreur 500\n", content_type="text/plain")]
        ),
    }
    answered_above = {Action.MERGE, Action.LINK, Action.FOLLOW_INCIDENT}
    assert set(calls) | answered_above == set(Action.values), "every action has its call here"
    return calls[action]()


# (a) seeing: the one-ticket answer, the list filter and the lookup agree, with each other and the rules ---


def test_relation_labels_follow_the_org_tree(db):
    for code, parent in PARENT.items():
        unit = OrgUnit.objects.select_related("parent").get(code=code)
        assert (unit.parent.code if unit.parent else None) == parent, code


@pytest.mark.parametrize(("persona", "key"), PAIRS)
def test_can_see_visible_tickets_and_lookup_by_reference_agree_with_the_rules(world, persona, key):
    people, load = world
    user, ticket = people[persona], load(key)
    expected = key in PERSONAS[persona][1]
    assert policy.can_see(user, ticket) is expected
    assert policy.visible_tickets(user).filter(pk=ticket.pk).exists() is expected
    assert policy.reads_internal(user, ticket) is staff_side(persona, key)
    if expected:
        assert selectors.ticket_get_for(user, ticket.reference).pk == ticket.pk
    else:
        # Not "forbidden": exactly what a reference that does not exist answers.
        assert not_found(user, ticket.reference) == not_found(user, MISSING_REFERENCE)


# (b) internal notes: the desk side reads them, the requester never ------------------------------------------


@pytest.mark.parametrize(("persona", "key"), PAIRS)
def test_history_shows_internal_notes_only_to_the_desk_side(world, persona, key):
    people, load = world
    user, ticket = people[persona], load(key)
    events = list(policy.visible_events(user, ticket))
    kinds = {event.kind for event in events}
    if key not in PERSONAS[persona][1]:
        assert events == []
    elif staff_side(persona, key):
        # Everything, or for a desk that let the ticket go, everything public and the desk side until then.
        until = policy.internal_until(user, ticket)
        history = Event.objects.filter(ticket=ticket)
        if until is not None:
            history = history.filter(Q(public=True) | Q(created_at__lte=until))
        assert {event.pk for event in events} == set(history.values_list("pk", flat=True))
        # The module writes a note on every ticket, after a former desk left some of them: that desk still
        # reads its own side (the requalification it wrote when it let the ticket go).
        assert EventKind.NOTE in kinds if until is None else any(not event.public for event in events)
    else:
        assert EventKind.FILED in kinds
        assert all(event.public for event in events)
        assert kinds.isdisjoint({EventKind.NOTE, EventKind.REQUALIFIED, EventKind.ASSIGNED})


# (c) acting: every action succeeds or is refused with the right error, and a refusal changes nothing --------


@pytest.mark.parametrize(("persona", "key", "action"), ACTION_CASES)
def test_party_action_succeeds_or_is_refused_with_the_expected_error(world, persona, key, action):
    people, load = world
    user, ticket = people[persona], load(key)
    expected = expected_outcome(persona, key, action)
    before = snapshot(ticket)
    offered = action in policy.available_actions(user, ticket)
    if expected is None:
        perform(action, user, ticket)
        after = snapshot(ticket)
        assert after[0]["version"] == before[0]["version"] + 1
        assert after[1] > before[1]
        assert offered
        return
    with pytest.raises(expected) as refused:
        perform(action, user, ticket)
    assert type(refused.value) is expected
    assert snapshot(ticket) == before
    # Pages offer no action that would be refused.
    assert not offered


@pytest.mark.parametrize(("persona", "key"), READER_PAIRS)
def test_reader_who_is_not_a_party_is_forbidden_every_action_and_nothing_changes(world, persona, key):
    people, load = world
    user, ticket = people[persona], load(key)
    before = snapshot(ticket)
    assert policy.available_actions(user, ticket) == []
    for action in Action.values:
        with pytest.raises(Forbidden) as refused:
            perform(action, user, ticket)
        assert type(refused.value) is Forbidden, action
    # Versions only grow and events are only appended: one look at the end catches any change on the way.
    assert snapshot(ticket) == before


@pytest.mark.parametrize(("persona", "key"), HIDDEN_PAIRS)
def test_every_action_on_a_hidden_ticket_answers_not_found_and_changes_nothing(world, persona, key):
    people, load = world
    user, ticket = people[persona], load(key)
    with pytest.raises(NotFound) as missing:
        services.ticket_take(user, Ticket(pk=0, version=1))
    before = snapshot(ticket)
    assert policy.available_actions(user, ticket) == []
    for action in Action.values:
        with pytest.raises(NotFound) as refused:
            perform(action, user, ticket)
        assert type(refused.value) is NotFound, action
        assert str(refused.value) == str(missing.value), action
    assert snapshot(ticket) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_bulk_take_of_every_ticket_does_exactly_what_taking_each_one_would(world, references, persona):
    # The list's bulk actions call each ticket's own service: a hidden ticket answers "not found" in the
    # outcome exactly like a reference that does not exist, and only the takeable ones change.
    people, load = world
    user = people[persona]
    before = {key: snapshot(load(key)) for key in references}
    outcome = bulk.bulk_act(user, [*references.values(), "MSN-2000-999999"], Action.TAKE)

    mine = {ref: key for key, ref in references.items()}
    expected_done = {key for key in references if expected_outcome(persona, key, Action.TAKE) is None}
    assert {mine[reference] for reference in outcome.done} == expected_done
    refused = dict(outcome.refused)
    not_found = refused.pop("MSN-2000-999999")
    assert {mine[reference] for reference in refused} == set(references) - expected_done
    for key in set(references) - expected_done:
        assert (refused[references[key]] == not_found) == (key not in PERSONAS[persona][1]), key
        assert snapshot(load(key)) == before[key], key


# Lists: every page goes through the same policy ---------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_ticket_list_pages_hold_exactly_the_visible_tickets(world, references, persona):
    people, _load = world
    user = people[persona]
    visible_pks = set(policy.visible_tickets(user).values_list("pk", flat=True))
    listed, cursor, pages = [], None, 0
    while True:
        page = selectors.ticket_list(user, cursor=cursor, limit=4)
        pages += 1
        assert all(ticket.pk in visible_pks for ticket in page.items)
        listed += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(listed) == len({ticket.pk for ticket in listed}), "no ticket on two pages"
    assert [t.updated_at for t in listed] == sorted((t.updated_at for t in listed), reverse=True)
    mine = {ref: key for key, ref in references.items()}
    assert {mine[t.reference] for t in listed if t.reference in mine} == PERSONAS[persona][1]
    assert pages == max(1, -(-len(visible_pks) // 4))
    # A filter narrows the visible tickets; it never widens them.
    filtered = selectors.ticket_list(user, filters=Q(status="new") | Q(desk__code="01001A"), limit=200).items
    assert {t.pk for t in filtered} <= visible_pks


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_keyword_search_lists_exactly_the_visible_tickets_that_have_the_words(world, references, persona):
    # On PostgreSQL a search reads desks and subtrees through the tickets' access keys rather than the
    # holdings: it must find what the lists find, no more.
    people, _load = world
    user = people[persona]
    found = selectors.TicketQuery(tab=selectors.Tab.ALL, query="saisie blanche").page(user, limit=200).items
    mine = {ref: key for key, ref in references.items()}
    assert {mine[t.reference] for t in found if t.reference in mine} == PERSONAS[persona][1]
    visible_pks = set(policy.visible_tickets(user).values_list("pk", flat=True))
    assert {t.pk for t in found} <= visible_pks
    nothing = selectors.TicketQuery(tab=selectors.Tab.ALL, query="imprimante").page(user, limit=200)
    assert {t.reference for t in nothing.items} & set(references.values()) == set()


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_word_of_an_internal_note_finds_only_the_tickets_whose_notes_the_reader_reads_in_full(
    world, references, persona
):
    # The module's notes ("vérifier les droits du compte") and referral notes ("tentatives locales"): a
    # search finds a ticket by them exactly where the one-ticket rules let the reader read every note, and
    # never where one of them is hidden (a requester, a desk that let the ticket go, another academy).
    people, load = world
    user = people[persona]
    for word in ("droits", "tentatives"):
        found = selectors.TicketQuery(tab=selectors.Tab.ALL, query=word).page(user, limit=200).items
        expected = set()
        for key in references:
            ticket = load(key)
            notes = Event.objects.filter(ticket=ticket, public=False, body__icontains=word)
            if (
                notes.exists()
                and policy.reads_internal(user, ticket)
                and policy.internal_until(user, ticket) is None
            ):
                expected.add(ticket.reference)
        assert {t.reference for t in found} & set(references.values()) == expected, word
        for ticket in found:
            readable = policy.visible_events(user, ticket).filter(body__icontains=word)
            assert readable.exists(), (word, ticket.reference)


def test_every_tickets_access_keys_are_its_holdings_and_origin_with_the_units_above(world, references):
    for reference in references.values():
        ticket = Ticket.objects.select_related("origin_unit").get(reference=reference)
        desks = [holding.desk for holding in ticket.holdings.select_related("desk")]
        above = {
            unit.pk
            for unit in OrgUnit.objects.all()
            if any(reached.path.startswith(unit.path) for reached in [*desks, ticket.origin_unit])
        }
        expected = {f"d{desk.pk}" for desk in desks} | {f"u{pk}" for pk in above}
        assert set(ticket.access_keys) == expected, reference


def test_another_academys_reference_is_not_found_exactly_like_a_nonexistent_one(world, references):
    people, _load = world
    for persona in ("teacher", "head", "province", "region", "supervisor", "observer"):
        for key in sorted(FROM_MA_02 - PERSONAS[persona][1]):
            assert not_found(people[persona], references[key]) == not_found(
                people[persona], MISSING_REFERENCE
            ), (persona, key)
    for persona in ("outsider", "outsider_head", "outsider_teacher"):
        for key in sorted(UNDER_MA_01_01 | {OTHER_PROVINCE}):
            assert not_found(people[persona], references[key]) == not_found(
                people[persona], MISSING_REFERENCE
            ), (persona, key)


# The rules of DESIGN.md, each said once in plain words ------------------------------------------------------


def test_desk_keeps_read_access_but_no_action_on_a_ticket_it_referred_up(world):
    people, load = world
    ticket = load(AT_CENTRAL)
    for persona in ("head", "province", "region"):
        user = people[persona]
        assert selectors.ticket_get_for(user, ticket.reference).pk == ticket.pk
        assert EventKind.NOTE in {event.kind for event in policy.visible_events(user, ticket)}
        assert policy.available_actions(user, ticket) == []
        with pytest.raises(Forbidden):
            services.ticket_note(user, ticket, body="Je reprends la main.")
    assert policy.available_actions(people["central"], ticket) != []


def test_a_desk_reads_the_internal_notes_written_until_the_ticket_left_it_not_those_written_after(people):
    ticket = _file(people["teacher"], "01001A")
    services.ticket_note(people["head"], ticket, body="Vu à l'école.")
    _escalate(people["head"], ticket)
    services.ticket_note(people["province"], ticket, body="Piste : compte bloqué au niveau national.")

    def notes(persona):
        return {e.body for e in policy.visible_events(people[persona], ticket) if e.kind == EventKind.NOTE}

    # The school let the ticket go: its own note, not the province's later one.
    assert notes("head") == {"Vu à l'école."}
    # The desk holding it, and the academy's supervisor (the ticket originates under it), read both.
    both = {"Vu à l'école.", "Piste : compte bloqué au niveau national."}
    assert notes("province") == both and notes("supervisor") == both
    # Returned to the school, the school holds it again and reads everything.
    services.ticket_return(people["province"], ticket, instructions="Réinitialisez le mot de passe.")
    assert notes("head") == both


def test_supervisor_of_an_academy_reads_everything_originating_under_it_and_nothing_of_another(
    world, references, units
):
    people, _load = world

    def pks(queryset):
        return set(queryset.values_list("pk", flat=True))

    mine = Ticket.objects.filter(reference__in=references.values())
    supervisor_sees = pks(policy.visible_tickets(people["supervisor"]).filter(pk__in=mine))
    under_ma_01 = pks(mine.filter(origin_unit__path__startswith=units["MA-01"].path))
    under_ma_02 = pks(mine.filter(origin_unit__path__startswith=units["MA-02"].path))
    assert under_ma_01 and under_ma_02
    assert supervisor_sees == under_ma_01
    assert supervisor_sees.isdisjoint(under_ma_02)


def test_observer_of_a_province_reads_tickets_from_its_schools_but_not_from_a_sibling_province(
    world, references, units
):
    people, load = world
    observer = people["observer"]
    mine = Ticket.objects.filter(reference__in=references.values())
    from_schools = mine.filter(origin_unit__parent=units["MA-01-01"])
    assert set(from_schools.values_list("origin_unit__code", flat=True)) == {"01001A", "01002B"}
    assert all(policy.can_see(observer, ticket) for ticket in from_schools)
    other = load(OTHER_PROVINCE)
    assert other.origin_unit.code == "01301C"
    assert not policy.can_see(observer, other)
    under_ma_01_03 = Q(origin_unit__path__startswith=units["MA-01-03"].path)
    assert not policy.visible_tickets(observer).filter(under_ma_01_03).exists()
    # Reading is all an observer does.
    with pytest.raises(Forbidden):
        services.ticket_reply(observer, load(SIBLING_SCHOOL), body="Bonjour.")


def test_anonymous_visitor_sees_nothing_and_every_action_answers_not_found(world):
    _people, load = world
    visitor = AnonymousUser()
    ticket = load(SCHOOL_NEW)
    assert not policy.visible_tickets(visitor).exists()
    assert not policy.can_see(visitor, ticket)
    assert not policy.reads_internal(visitor, ticket)
    assert list(policy.visible_events(visitor, ticket)) == []
    assert policy.available_actions(visitor, ticket) == []
    assert selectors.ticket_list(visitor).items == []
    assert not_found(visitor, ticket.reference) == not_found(visitor, MISSING_REFERENCE)
    before = snapshot(ticket)
    for action in Action.values:
        with pytest.raises(NotFound):
            perform(action, visitor, ticket)
    assert snapshot(ticket) == before


def test_a_province_moved_to_another_academy_takes_its_tickets_with_it_in_search(people):
    User = get_user_model()
    ticket = _file(people["teacher"], "01001A")
    second = User.objects.create_user(username="second_supervisor", password=None)
    membership_grant(second, OrgUnit.objects.get(code="MA-02"), Role.SUPERVISOR)

    def found(user):
        query = selectors.TicketQuery(tab=selectors.Tab.ALL, query="saisie")
        return {t.reference for t in query.page(user).items}

    assert ticket.reference in found(people["supervisor"])
    assert ticket.reference not in found(second)

    province = OrgUnit.objects.get(code="MA-01-01")
    province.parent = OrgUnit.objects.get(code="MA-02")
    unit_repath(province)

    # The school is now under the second academy: its supervisor finds the request, the first no longer.
    assert ticket.reference in found(User.objects.get(pk=second.pk))
    assert ticket.reference not in found(User.objects.get(pk=people["supervisor"].pk))
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.version == ticket.version + 1, "an action read before the move is refused as a conflict"
    with pytest.raises(Conflict):
        services.ticket_note(people["head"], ticket, body="Lu avant le déplacement.")


# (e) help articles: who reads an article written at each unit, and who writes, reviews and counts them ------
#
# One published article per writing unit (and one for the desk side only at the school and the central
# service), plus a draft at MA-01. Written out by hand: an article reaches the units under its writer, and a
# reader of part of the tree (a desk, the units under it; a supervisor or observer, their subtree; a central
# desk, the whole country) also reads what is written inside it.

ARTICLE_UNITS = ("01001A", "01002B", "MA-01-01", "MA-01-03", "MA-01", "MEN-MASSAR", "02001D", "MA-02")
DESK_ONLY = ("01001A", "MEN-MASSAR")
ABOVE_01001A = frozenset({"01001A", "MA-01-01", "MA-01", "MEN-MASSAR"})
UNDER_MA_01 = frozenset({"01001A", "01002B", "MA-01-01", "MA-01-03", "MA-01", "MEN-MASSAR"})
DESK_SIDE = frozenset(f"{code}:desks" for code in DESK_ONLY)

# persona → the articles they read ("<unit>" for everyone's, "<unit>:desks" for the desk side's).
ARTICLE_READERS = {
    "teacher": ABOVE_01001A,
    "head": ABOVE_01001A | {"01001A:desks", "MEN-MASSAR:desks"},
    "head2": frozenset({"01002B", "MA-01-01", "MA-01", "MEN-MASSAR", "MEN-MASSAR:desks"}),
    "province": frozenset({"01001A", "01002B", "MA-01-01", "MA-01", "MEN-MASSAR"}) | DESK_SIDE,
    "province2": frozenset({"MA-01-03", "MA-01", "MEN-MASSAR", "MEN-MASSAR:desks"}),
    "region": UNDER_MA_01 | DESK_SIDE,
    "supervisor": UNDER_MA_01 | DESK_SIDE,
    "central": frozenset(ARTICLE_UNITS) | DESK_SIDE,
    "central2": frozenset(ARTICLE_UNITS) | DESK_SIDE,
    "observer": frozenset({"01001A", "01002B", "MA-01-01", "MA-01", "MEN-MASSAR"}) | DESK_SIDE,
    "outsider": frozenset({"02001D", "MA-02", "MEN-MASSAR", "MEN-MASSAR:desks"}),
    "outsider_head": frozenset({"02001D", "MA-02", "MEN-MASSAR", "MEN-MASSAR:desks"}),
    "outsider_teacher": frozenset({"02001D", "MA-02", "MEN-MASSAR"}),
    # The central level's articles for everyone reach every active account, with a unit or not.
    "admin": frozenset({"MEN-MASSAR"}),
    "retired": frozenset(),
    "former": frozenset({"MEN-MASSAR"}),
}
# persona → the units whose articles they write, and those whose articles they review and publish.
ARTICLE_WRITERS = {
    "head": {"01001A"},
    "head2": {"01002B"},
    "province": {"MA-01-01"},
    "province2": {"MA-01-03"},
    "region": {"MA-01"},
    "supervisor": {"MA-01"},
    "central": {"MEN-MASSAR"},
    "outsider": {"MA-02-01"},
    "outsider_head": {"02001D"},
    # Administrators write and review for the central services, academies and provinces (as canned replies).
    "admin": {"MA-01-01", "MA-01-03", "MA-01", "MEN-MASSAR", "MA-02"},
}
ARTICLE_REVIEWERS = {"supervisor": {"MA-01"}, "admin": ARTICLE_WRITERS["admin"]}


@pytest.fixture
def articles(world):
    from musanada.knowledge import services as knowledge
    from musanada.knowledge.models import Audience

    people, _load = world
    massar = Category.objects.get(code="massar")
    written = {}
    for code in ARTICLE_UNITS + tuple(f"{code}:desks" for code in DESK_ONLY) + ("MA-01:draft",):
        unit_code, _colon, kind = code.partition(":")
        unit = OrgUnit.objects.get(code=unit_code)
        audience = Audience.DESKS if kind == "desks" else Audience.EVERYONE
        # Written through the services by someone who may: an agent of the unit, else the administrator.
        writer = next(
            (
                people[name]
                for name, units in ARTICLE_WRITERS.items()
                if unit_code in units and name != "admin"
            ),
            people["admin"],
        )
        article = knowledge.article_write(
            writer,
            unit=unit,
            category=massar,
            audience=audience,
            title_fr=f"Article {code}",
            body_fr="Texte.",
        )
        if kind != "draft":
            knowledge.article_publish(
                people["admin"] if unit.kind != "school" else _school_reviewer(unit), article.slug
            )
        written[code] = article.slug
    return written


def _school_reviewer(unit):
    # A school's head is its only agent and not its supervisor: a school's article is published by making the
    # head a supervisor for the moment of publishing (what a provincial directorate would grant).
    from musanada.org.models import Membership

    membership = Membership.objects.filter(unit=unit, role=Role.AGENT, is_active=True).first()
    reviewer = membership.user
    membership_grant(reviewer, unit, Role.SUPERVISOR)
    policy.forget_reach(reviewer)
    return reviewer


@pytest.mark.parametrize("persona", list(ARTICLE_READERS))
def test_each_persona_reads_exactly_the_articles_written_above_or_within_their_reach(
    world, articles, persona
):
    from musanada.knowledge import selectors as knowledge

    people, _load = world
    user = people[persona]
    by_slug = {slug: code for code, slug in articles.items()}
    readable = {by_slug[article.slug] for article in policy.readable_articles(user)}
    assert readable == ARTICLE_READERS[persona]
    # The list, the search, the suggestions and one article by its address say the same.
    assert {by_slug[a.slug] for a in knowledge.article_search(user, "article texte")} == readable
    for code, slug in articles.items():
        if code in readable:
            assert knowledge.article_get_for(user, slug).slug == slug
        elif persona not in ARTICLE_WRITERS or code.partition(":")[0] not in ARTICLE_WRITERS[persona]:
            with pytest.raises(NotFound):
                knowledge.article_get_for(user, slug)


@pytest.mark.parametrize("persona", list(ARTICLE_READERS))
def test_each_persona_writes_and_reviews_exactly_their_units_articles(world, articles, persona):
    from musanada.knowledge import services as knowledge

    people, _load = world
    user = people[persona]
    massar = Category.objects.get(code="massar")
    for code in ("01001A", "MA-01-01", "MA-01", "MEN-MASSAR", "MA-02"):
        unit = OrgUnit.objects.get(code=code)
        writes = code in ARTICLE_WRITERS.get(persona, set())
        assert policy.writes_articles(user, unit) is writes, code
        if writes:
            knowledge.article_write(user, unit=unit, category=massar, title_fr="Nouvel article", body_fr="x")
        else:
            with pytest.raises(Exception) as refused:
                knowledge.article_write(
                    user, unit=unit, category=massar, title_fr="Nouvel article", body_fr="x"
                )
            assert refused.value.code == "invalid_unit"
    draft = articles["MA-01:draft"]
    if "MA-01" in ARTICLE_REVIEWERS.get(persona, set()):
        assert knowledge.article_publish(user, draft).status == "published"
    else:
        with pytest.raises((NotFound, Forbidden)):
            knowledge.article_publish(user, draft)


# (f) known incidents: who reads an incident, and who handles it -------------------------------------------
#
# An incident reaches the people of the units under its scope; its declaring desk handles it; readers of part
# of the tree (a desk, the units under it; a supervisor or observer, their subtree; a central desk, all)
# read those declared inside it.

# key → (declared by, desk, scope)
INCIDENTS = {
    "national": ("central", "MEN-MASSAR", "MEN"),
    "academy": ("region", "MA-01", "MA-01"),
    "province": ("province", "MA-01-01", "MA-01-01"),
    "other-province": ("province2", "MA-01-03", "MA-01-03"),
    "other-academy": ("outsider", "MA-02-01", "MA-02-01"),
}
# Who handles each: the agents of its declaring desk (the academy's supervisor works its desk too).
INCIDENT_HANDLERS = {
    "national": {"central"},
    "academy": {"region", "supervisor"},
    "province": {"province"},
    "other-province": {"province2"},
    "other-academy": {"outsider"},
}
IN_MA_01 = frozenset({"national", "academy", "province", "other-province"})
INCIDENT_READERS = {
    "teacher": frozenset({"national", "academy", "province"}),
    "head": frozenset({"national", "academy", "province"}),
    "head2": frozenset({"national", "academy", "province"}),
    "province": frozenset({"national", "academy", "province"}),
    "province2": frozenset({"national", "academy", "other-province"}),
    "region": IN_MA_01,
    "supervisor": IN_MA_01,
    "central": frozenset(INCIDENTS),
    "central2": frozenset(INCIDENTS),
    "observer": frozenset({"national", "academy", "province"}),
    "outsider": frozenset({"national", "other-academy"}),
    "outsider_head": frozenset({"national", "other-academy"}),
    "outsider_teacher": frozenset({"national", "other-academy"}),
    "admin": frozenset(),
    "retired": frozenset(),
    "former": frozenset(),
}


@pytest.fixture
def declared(world):
    people, _load = world
    massar = Category.objects.get(code="massar")
    return {
        key: incidents.incident_declare(
            people[by],
            desk=OrgUnit.objects.get(code=desk),
            category=massar,
            scope=OrgUnit.objects.get(code=scope),
            title=f"Incident {key}",
            description="Massar ne répond plus.",
        ).pk
        for key, (by, desk, scope) in INCIDENTS.items()
    }


@pytest.mark.parametrize("persona", list(INCIDENT_READERS))
def test_each_persona_reads_and_handles_exactly_the_incidents_of_their_part_of_the_tree(
    world, declared, persona
):
    people, _load = world
    user = people[persona]
    by_pk = {pk: key for key, pk in declared.items()}
    assert {by_pk[incident.pk] for incident in policy.visible_incidents(user)} == INCIDENT_READERS[persona]
    for key, pk in declared.items():
        if key not in INCIDENT_READERS[persona]:
            with pytest.raises(NotFound):
                incidents.incident_get_for(user, pk)
            with pytest.raises(NotFound):
                incidents.incident_post_update(user, pk, "Mise à jour.")
        elif persona in INCIDENT_HANDLERS[key]:
            assert incidents.incident_post_update(user, pk, "Mise à jour.").incident_id == pk
        else:
            with pytest.raises(Forbidden):
                incidents.incident_post_update(user, pk, "Mise à jour.")
