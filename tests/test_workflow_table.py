"""The pure transition table, checked exhaustively against the rules the memo and DESIGN.md state.

The expected rules below are written out independently of `workflow.RULES`, in the words of the design, so
that a change to the table that nobody meant shows up here as a failing case.
"""

import itertools

import pytest

from musanada.tickets import workflow
from musanada.tickets.workflow import Action, Party, Status

NEW, OPEN, WAITING, RESOLVED, CLOSED = Status.NEW, Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED
LEVELS = ("school", "province", "academy", "central")
BELOW_CENTRAL = {"school", "province", "academy"}
ABOVE_SCHOOL = {"province", "academy", "central"}
ANY_LEVEL = set(LEVELS)
ACTIVE = {NEW, OPEN}
OPEN_STATUSES = {NEW, OPEN, WAITING}

# (action, party) → (statuses it starts from, status it leads to or None for "unchanged", levels of the desk).
INTENDED = {
    (Action.TAKE, Party.DESK): (ACTIVE, OPEN, ANY_LEVEL),
    (Action.ASSIGN, Party.DESK): (OPEN_STATUSES, None, ANY_LEVEL),
    (Action.REPLY, Party.DESK): (ACTIVE, OPEN, ANY_LEVEL),
    (Action.REPLY, Party.REQUESTER): (ACTIVE, None, ANY_LEVEL),
    (Action.NOTE, Party.DESK): (OPEN_STATUSES | {RESOLVED}, None, ANY_LEVEL),
    (Action.REQUEST_INFO, Party.DESK): (ACTIVE, WAITING, ANY_LEVEL),
    (Action.PROVIDE_INFO, Party.REQUESTER): ({WAITING}, OPEN, ANY_LEVEL),
    (Action.ESCALATE, Party.DESK): (ACTIVE, NEW, BELOW_CENTRAL),
    # The service-level sweep, when a level turned automatic escalation on.
    (Action.ESCALATE, Party.SYSTEM): (ACTIVE, NEW, BELOW_CENTRAL),
    (Action.RETURN, Party.DESK): (ACTIVE, NEW, ABOVE_SCHOOL),
    (Action.TRANSFER, Party.DESK): (ACTIVE, NEW, {"central"}),
    (Action.RESOLVE, Party.DESK): (OPEN_STATUSES, RESOLVED, ANY_LEVEL),
    (Action.CLOSE, Party.REQUESTER): ({RESOLVED}, CLOSED, ANY_LEVEL),
    (Action.CLOSE, Party.SYSTEM): ({RESOLVED}, CLOSED, ANY_LEVEL),
    (Action.REOPEN, Party.REQUESTER): ({RESOLVED, CLOSED}, OPEN, ANY_LEVEL),
    (Action.RATE, Party.REQUESTER): ({RESOLVED, CLOSED}, None, ANY_LEVEL),
    (Action.ATTACH, Party.REQUESTER): (OPEN_STATUSES, None, ANY_LEVEL),
    (Action.ATTACH, Party.DESK): (OPEN_STATUSES, None, ANY_LEVEL),
}

PARTY_SETS = [
    frozenset(),
    frozenset({Party.REQUESTER}),
    frozenset({Party.DESK}),
    frozenset({Party.SYSTEM}),
    # An agent who filed a request on their own desk.
    frozenset({Party.DESK, Party.REQUESTER}),
]


def _intended_rule(action, parties):
    """The rule the design says applies: the desk's rule wins over the requester's when a person is both."""
    for party in (Party.SYSTEM, Party.DESK, Party.REQUESTER):
        if party in parties and (action, party) in INTENDED:
            return party, INTENDED[(action, party)]
    return None, None


def _label(parties):
    return "+".join(sorted(parties)) or "nobody"


CASES = [
    pytest.param(action, parties, status, id=f"{action}-{_label(parties)}-{status}")
    for action, parties, status in itertools.product(Action.values, PARTY_SETS, Status.values)
]


@pytest.mark.parametrize(("action", "parties", "status"), CASES)
@pytest.mark.parametrize("level", LEVELS)
def test_table_allows_exactly_what_the_design_says(action, parties, status, level):
    party, intended = _intended_rule(action, parties)
    rule = workflow.rule_for(action, parties)
    offered = workflow.available_actions(parties, status, level)
    if intended is None:
        assert rule is None
        assert action not in offered
        return
    sources, target, levels = intended
    assert rule is not None and rule.action == action and rule.party == party
    expected_allowed = status in sources and level in levels
    assert workflow.is_allowed(rule, status, level) is expected_allowed
    assert (action in offered) is expected_allowed
    if expected_allowed:
        assert workflow.next_status(rule, status) == (target or status)


@pytest.mark.parametrize(
    ("parties", "status", "level"),
    [
        pytest.param(p, s, lvl, id=f"{_label(p)}-{s}-{lvl}")
        for p, s, lvl in itertools.product(PARTY_SETS, Status.values, LEVELS)
    ],
)
def test_available_actions_are_listed_in_the_order_of_the_action_enum(parties, status, level):
    offered = workflow.available_actions(parties, status, level)
    assert offered == [action for action in Action.values if action in offered]
    assert len(offered) == len(set(offered))


def test_the_table_has_no_rule_the_design_does_not_name():
    assert {(rule.action, rule.party) for rule in workflow.RULES} == set(INTENDED)
    assert len(workflow.RULES) == len(INTENDED)


def test_every_action_has_at_least_one_rule_and_every_target_is_a_status():
    assert {rule.action for rule in workflow.RULES} == set(Action.values)
    for rule in workflow.RULES:
        assert rule.target is None or rule.target in Status.values
        assert rule.sources <= set(Status.values)
        assert rule.levels <= set(LEVELS) and rule.levels


@pytest.mark.parametrize("status", Status.values)
def test_escalation_is_never_possible_from_the_central_level(status):
    rule = workflow.rule_for(Action.ESCALATE, {Party.DESK})
    assert not workflow.is_allowed(rule, status, "central")
    assert Action.ESCALATE not in workflow.available_actions({Party.DESK}, status, "central")


@pytest.mark.parametrize("status", Status.values)
def test_a_school_desk_has_no_lower_desk_to_return_to(status):
    assert Action.RETURN not in workflow.available_actions({Party.DESK}, status, "school")


@pytest.mark.parametrize("level", ["school", "province", "academy"])
def test_only_central_services_transfer(level):
    for status in Status.values:
        assert Action.TRANSFER not in workflow.available_actions({Party.DESK}, status, level)
    assert Action.TRANSFER in workflow.available_actions({Party.DESK}, NEW, "central")


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_can_resolve_instead_of_referring(level):
    for status in (NEW, OPEN, WAITING):
        assert Action.RESOLVE in workflow.available_actions({Party.DESK}, status, level)


@pytest.mark.parametrize("status", [NEW, OPEN, WAITING, CLOSED])
def test_close_only_confirms_a_resolved_ticket(status):
    for parties in ({Party.REQUESTER}, {Party.SYSTEM}):
        assert Action.CLOSE not in workflow.available_actions(parties, status, "school")
        assert Action.CLOSE in workflow.available_actions(parties, RESOLVED, "school")


def test_a_desk_agent_cannot_close_for_the_requester():
    assert workflow.rule_for(Action.CLOSE, {Party.DESK}) is None


@pytest.mark.parametrize("status", [NEW, OPEN, RESOLVED, CLOSED])
def test_information_is_provided_only_when_the_desk_asked_for_it(status):
    assert Action.PROVIDE_INFO not in workflow.available_actions({Party.REQUESTER}, status, "province")
    assert Action.PROVIDE_INFO in workflow.available_actions({Party.REQUESTER}, WAITING, "province")


@pytest.mark.parametrize(
    ("status", "reopens"),
    [
        (NEW, False),
        (OPEN, False),
        (WAITING, False),
        (RESOLVED, True),
        (CLOSED, True),
    ],
)
def test_the_requester_reopens_only_a_resolved_or_closed_ticket(status, reopens):
    assert (Action.REOPEN in workflow.available_actions({Party.REQUESTER}, status, "academy")) is reopens
    if reopens:
        rule = workflow.rule_for(Action.REOPEN, {Party.REQUESTER})
        assert workflow.next_status(rule, status) == OPEN


def test_the_system_only_closes_resolved_tickets_and_escalates_overdue_ones_below_central():
    for status, level in itertools.product(Status.values, LEVELS):
        expected = [Action.CLOSE] if status == RESOLVED else []
        if status in ACTIVE and level in BELOW_CENTRAL:
            expected = [Action.ESCALATE]
        assert workflow.available_actions({Party.SYSTEM}, status, level) == expected


def test_nobody_in_particular_is_offered_nothing():
    for status, level in itertools.product(Status.values, LEVELS):
        assert workflow.available_actions(set(), status, level) == []


@pytest.mark.parametrize("level", LEVELS)
def test_a_closed_ticket_offers_the_desk_nothing(level):
    assert workflow.available_actions({Party.DESK}, CLOSED, level) == []


def test_a_resolved_ticket_offers_the_desk_only_an_internal_note():
    assert workflow.available_actions({Party.DESK}, RESOLVED, "province") == [Action.NOTE]


def test_an_agent_who_filed_on_their_own_desk_replies_as_the_desk():
    rule = workflow.rule_for(Action.REPLY, {Party.DESK, Party.REQUESTER})
    assert rule.party == Party.DESK
    assert workflow.next_status(rule, NEW) == OPEN


def test_an_agent_who_filed_on_their_own_desk_can_still_confirm_and_rate():
    offered = workflow.available_actions({Party.DESK, Party.REQUESTER}, RESOLVED, "school")
    assert offered == [Action.NOTE, Action.CLOSE, Action.REOPEN, Action.RATE]


def test_referral_and_transfer_put_the_ticket_back_to_new_for_the_receiving_desk():
    for action in (Action.ESCALATE, Action.RETURN, Action.TRANSFER):
        rule = workflow.rule_for(action, {Party.DESK})
        assert workflow.next_status(rule, OPEN) == NEW


def test_the_full_school_walk_offers_the_expected_actions():
    desk, requester = {Party.DESK}, {Party.REQUESTER}
    assert workflow.available_actions(desk, NEW, "school") == [
        Action.TAKE,
        Action.ASSIGN,
        Action.REPLY,
        Action.NOTE,
        Action.REQUEST_INFO,
        Action.ESCALATE,
        Action.RESOLVE,
        Action.ATTACH,
    ]
    assert workflow.available_actions(requester, NEW, "school") == [Action.REPLY, Action.ATTACH]
    assert workflow.available_actions(requester, WAITING, "school") == [Action.PROVIDE_INFO, Action.ATTACH]
    assert workflow.available_actions(requester, RESOLVED, "school") == [
        Action.CLOSE,
        Action.REOPEN,
        Action.RATE,
    ]
    assert workflow.available_actions(requester, CLOSED, "school") == [Action.REOPEN, Action.RATE]
    assert workflow.available_actions(desk, OPEN, "central") == [
        Action.TAKE,
        Action.ASSIGN,
        Action.REPLY,
        Action.NOTE,
        Action.REQUEST_INFO,
        Action.RETURN,
        Action.TRANSFER,
        Action.RESOLVE,
        Action.ATTACH,
    ]
