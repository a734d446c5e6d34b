"""The lists as each role uses them: tabs and their counts, filters, keyword search, sorts and pages, the
unit tree of supervisors and observers, htmx partial updates, and a fixed number of queries per page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from musanada.core.errors import InvalidInput
from musanada.org.models import Role
from musanada.org.services import membership_grant
from musanada.tickets import policy, selectors, services
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Priority, Status
from musanada.web.views.inbox import _IGNORED, _UNKNOWN_TAB
from tests.helpers import file_request


@pytest.fixture
def world(people, categories):
    """Eleven tickets at every level of two academies (see each line); names are what the tests use."""
    t = {}
    t["fresh"] = file_request(
        people["teacher"], category=categories["massar-grades"], priority=Priority.HIGH, subject="إدخال النقط"
    )
    t["taken"] = file_request(people["teacher"])
    services.ticket_take(people["head"], t["taken"])
    t["waiting"] = file_request(people["teacher"])
    services.ticket_request_info(people["head"], t["waiting"], body="أي قسم؟")
    t["solved"] = file_request(people["teacher"])
    services.ticket_resolve(people["head"], t["solved"], resolution="تم.")
    t["referred"] = file_request(people["teacher"])
    services.ticket_escalate(people["head"], t["referred"], note="جربت")
    t["province_taken"] = file_request(people["teacher"], category=categories["accounts"])
    services.ticket_escalate(people["head"], t["province_taken"], note="جربت")
    services.ticket_take(people["province"], t["province_taken"])
    # A school head files for their school: it lands on the province.
    t["head2_own"] = file_request(people["head2"])
    t["at_region"] = file_request(people["province2"])
    services.ticket_escalate(people["province2"], t["at_region"], note="جربت")
    t["at_central"] = file_request(people["teacher"])
    for agent in ("head", "province", "region"):
        services.ticket_escalate(people[agent], t["at_central"], note="جربت")
    t["elsewhere"] = file_request(people["outsider_teacher"])
    services.ticket_escalate(people["outsider_head"], t["elsewhere"], note="جربت")
    t["french"] = file_request(
        people["teacher"],
        category=categories["accounts"],
        priority=Priority.LOW,
        subject="Réinitialisation du mot de passe",
        description="Le compte est bloqué.",
    )
    return t


def listed(response) -> list:
    return re.findall(r'class="ref" href="/t/([A-Z]+-\d{4}-\d+)/"', response.content.decode())


def names(world, response) -> set:
    by_reference = {ticket.reference: name for name, ticket in world.items()}
    return {by_reference[reference] for reference in listed(response)}


def tab_counts(response) -> dict:
    page = response.content.decode()
    return {
        key: int(n)
        for key, n in re.findall(r'data-tab="(\w+)">[^<]*<span class="count" data-count="(\d+)"', page)
    }


def tree_units(response) -> dict:
    page = response.content.decode()
    return {
        code: int(n) for code, n in re.findall(r'<li data-unit="([^"]+)">.*?data-count="(\d+)"', page, re.S)
    }


def shown(message, **params) -> str:
    with translation.override("ar"):
        text = str(message)
        return escape(text % params if params else text)


def get(client, **params):
    return client.get(reverse("home"), params)


ALL_TEACHER = {"fresh", "taken", "waiting", "solved", "referred", "province_taken", "at_central", "french"}
# persona → tab → the tickets it lists (written out by hand from the world above).
EXPECTED = {
    "teacher": {"mine": ALL_TEACHER, "all": ALL_TEACHER},
    "head": {
        "mine": set(),
        "new": {"fresh", "french"},
        "assigned": {"taken"},
        "waiting": {"waiting"},
        "desk": {"fresh", "taken", "waiting", "french"},
        "all": ALL_TEACHER,
    },
    "head2": {
        "mine": {"head2_own"},
        "new": set(),
        "assigned": set(),
        "waiting": set(),
        "desk": set(),
        "all": {"head2_own"},
    },
    "province": {
        "mine": set(),
        "new": {"referred", "head2_own"},
        "assigned": {"province_taken"},
        "waiting": set(),
        "desk": {"referred", "head2_own", "province_taken"},
        "all": {"referred", "head2_own", "province_taken", "at_central"},
    },
    "province2": {
        "mine": {"at_region"},
        "new": set(),
        "assigned": set(),
        "waiting": set(),
        "desk": set(),
        "all": {"at_region"},
    },
    "region": {
        "mine": set(),
        "new": {"at_region"},
        "assigned": set(),
        "waiting": set(),
        "desk": {"at_region"},
        "all": {"at_region", "at_central"},
    },
    "supervisor": {
        "mine": set(),
        "new": {"at_region"},
        "assigned": set(),
        "waiting": set(),
        "desk": {"at_region"},
        "subtree": (ALL_TEACHER - {"solved"}) | {"head2_own", "at_region"},
        "all": ALL_TEACHER | {"head2_own", "at_region"},
    },
    "observer": {
        "mine": set(),
        "subtree": (ALL_TEACHER - {"solved"}) | {"head2_own"},
        "all": ALL_TEACHER | {"head2_own"},
    },
    "central": {
        "mine": set(),
        "new": {"at_central"},
        "assigned": set(),
        "waiting": set(),
        "desk": {"at_central"},
        "all": {"at_central"},
    },
    "outsider": {
        "mine": set(),
        "new": {"elsewhere"},
        "assigned": set(),
        "waiting": set(),
        "desk": {"elsewhere"},
        "all": {"elsewhere"},
    },
    "outsider_teacher": {"mine": {"elsewhere"}, "all": {"elsewhere"}},
}


# Tabs and counts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_tab_lists_exactly_its_tickets_and_its_count_agrees(client, people, world, persona):
    client.force_login(people[persona])
    expected = EXPECTED[persona]

    first = get(client)
    assert list(tab_counts(first)) == list(expected)  # the role's tabs, in order
    for tab, wanted in expected.items():
        response = get(client, tab=tab)
        assert response.status_code == 200
        assert names(world, response) == wanted, tab
        assert tab_counts(response)[tab] == len(wanted) == len(listed(response))
    # "All I can see" is exactly what the policy lets the persona see.
    all_refs = set(listed(get(client, tab="all")))
    assert all_refs == set(policy.visible_tickets(people[persona]).values_list("reference", flat=True))


@pytest.mark.parametrize(
    "persona, default", [("teacher", "mine"), ("head", "desk"), ("observer", "subtree"), ("central", "desk")]
)
def test_each_role_starts_on_its_own_list(client, people, world, persona, default):
    client.force_login(people[persona])
    page = get(client).content.decode()
    assert re.search(rf'aria-current="page"[^>]*data-tab="{default}"', page)


def test_an_unknown_tab_falls_back_to_the_default_list_with_a_message(client, people, world):
    client.force_login(people["head"])
    response = get(client, tab="everything")
    assert response.status_code == 400
    assert shown(_UNKNOWN_TAB) in response.content.decode()
    assert names(world, response) == EXPECTED["head"]["desk"]


def test_a_requester_sees_the_status_and_the_level_holding_each_request(client, people, world):
    client.force_login(people["teacher"])
    page = get(client, tab="mine").content.decode()
    with translation.override("ar"):
        for name, level in (("fresh", "school"), ("referred", "province"), ("at_central", "central")):
            ticket = Ticket.objects.select_related("desk").get(pk=world[name].pk)
            row = page[page.index(ticket.reference) :]
            row = row[: row.index("</tr>")]
            assert escape(ticket.desk.name) in row and escape(str(ticket.desk.level.label)) in row
            assert escape(str(Status(ticket.status).label)) in row
            assert ticket.desk.level == level


# Filters ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, wanted",
    [
        # An information system includes its topics.
        (
            {"category": "massar"},
            {"fresh", "taken", "waiting", "solved", "referred", "head2_own", "at_region", "at_central"},
        ),
        ({"category": "massar-grades"}, {"fresh"}),
        ({"priority": "high"}, {"fresh"}),
        ({"priority": "low"}, {"french"}),
        ({"status": "waiting"}, {"waiting"}),
        ({"status": "resolved"}, {"solved"}),
        ({"unit": "01002B"}, {"head2_own"}),
        ({"unit": "MA-01-03"}, {"at_region"}),
        ({"unit": "MA-01-01", "status": "new"}, {"fresh", "referred", "head2_own", "at_central", "french"}),
    ],
)
def test_each_filter_narrows_the_list_and_the_counts(client, people, categories, world, params, wanted):
    if "category" in params:
        params = {**params, "category": categories[params["category"]].pk}
    client.force_login(people["supervisor"])
    response = get(client, tab="all", **params)
    assert names(world, response) == wanted
    assert tab_counts(response)["all"] == len(wanted)
    # The other tabs count with the same filters.
    subtree = get(client, tab="subtree", **params)
    assert tab_counts(response)["subtree"] == len(listed(subtree))


def test_the_age_filter_keeps_the_requests_filed_before_that_many_days(client, people, clock):
    now = clock.now
    made = {}
    for days in (0, 2, 5, 10, 40):
        clock.now = now - timedelta(days=days, minutes=1)
        made[days] = file_request(people["teacher"]).reference
    clock.now = now
    client.force_login(people["head"])
    for age, wanted in ((1, {2, 5, 10, 40}), (3, {5, 10, 40}), (7, {10, 40}), (30, {40})):
        response = get(client, tab="desk", age=age)
        assert set(listed(response)) == {made[days] for days in wanted}, age
        assert tab_counts(response)["desk"] == len(wanted)


def test_filters_not_understood_are_ignored_with_a_message_beside_them(client, people, world):
    client.force_login(people["head"])
    response = get(client, tab="desk", category="abc", priority="very", status="lost", age="5", sort="random")
    page = response.content.decode()
    assert response.status_code == 400
    assert shown(_IGNORED) in page
    assert names(world, response) == EXPECTED["head"]["desk"]
    for field in ("category", "priority", "status", "age", "sort"):
        assert f'id="id_{field}_error"' in page


def test_a_requester_gets_no_origin_unit_filter_and_a_forged_one_lists_nothing(client, people, world):
    client.force_login(people["teacher"])
    assert 'name="unit"' not in get(client).content.decode()

    response = get(client, unit="01001A")

    assert response.status_code == 400
    assert listed(response) == [] and tab_counts(response) == {}
    assert shown(selectors.UNIT_OUT_OF_REACH, code="01001A") in response.content.decode()


# Keyword search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, wanted",
    [
        ("ادخال النقط", {"fresh"}),  # typed without the hamza
        ("إدخال النقط", {"fresh"}),
        ("النقط", {"fresh"}),
        ("النُّقَط", {"fresh"}),  # with tashkeel
        ("الن\u200fقط", {"fresh"}),  # a right-to-left mark typed inside the word
        ("reinitialisation", {"french"}),  # typed without the accent
        ("RÉINITIALISATION mot", {"french"}),
        ("bloque", {"french"}),  # a word of the description
        ("ادخال passe", set()),  # every word must match
        ("لا شيء من هذا", set()),
    ],
)
def test_keyword_search_matches_spelling_variants(client, people, world, query, wanted):
    client.force_login(people["teacher"])
    response = get(client, tab="all", q=query)
    assert names(world, response) == wanted
    # A search counts the tab it lists, and only that one (here the results fit on the page).
    assert tab_counts(response) == {"all": len(wanted)}


def test_a_search_with_more_results_than_a_page_shows_no_number(client, people, settings):
    settings.MUSANADA = {**settings.MUSANADA, "PAGE_SIZE": 2}
    for _ in range(3):
        file_request(people["teacher"], subject="Imprimante en panne")
    client.force_login(people["teacher"])
    response = get(client, tab="mine", q="imprimante")
    assert len(listed(response)) == 2 and tab_counts(response) == {}
    assert 'rel="next"' in response.content.decode()


def test_searching_a_reference_finds_that_ticket_exactly(client, people, world):
    client.force_login(people["head"])
    reference = world["taken"].reference
    assert names(world, get(client, tab="all", q=reference)) == {"taken"}
    assert names(world, get(client, tab="all", q=reference.lower())) == {"taken"}


def test_search_never_reaches_beyond_what_the_user_may_see(client, people, world):
    client.force_login(people["outsider"])
    assert listed(get(client, tab="all", q="إدخال النقط")) == []
    assert listed(get(client, tab="all", q=world["fresh"].reference)) == []


def test_postgresql_has_gin_indexes_on_the_public_words_with_the_access_keys_and_on_the_notes(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Ticket._meta.db_table)
    index, notes = constraints.get("ticket_search_access"), constraints.get("ticket_note_words")
    if connection.vendor == "postgresql":
        assert index is not None and index["columns"] == ["search_text", "access_keys"]
        assert notes is not None and notes["columns"] == ["note_text"]
        assert index["type"] == notes["type"] == "gin"
        assert "ticket_search_text_trgm" not in constraints  # the migration replaced it
    else:
        assert index is None and notes is None  # SQLite reads its FTS5 index (tests/test_ticket_search.py)


# Sorts and pages ----------------------------------------------------------------------------------------


def _burst(people, clock):
    """Tickets with every priority, some filed in the same instant, some touched later."""
    now = clock.now
    clock.now = now - timedelta(hours=3)
    made = []
    for priority in (Priority.LOW, Priority.URGENT, Priority.NORMAL, Priority.HIGH, Priority.NORMAL):
        made.append(file_request(people["teacher"], priority=priority))
    clock.now = now
    for priority in (Priority.HIGH, Priority.LOW, Priority.URGENT):
        clock.advance(seconds=1)
        made.append(file_request(people["teacher"], priority=priority))
    clock.advance(seconds=1)
    services.ticket_take(people["head"], made[0])
    clock.advance(seconds=1)
    services.ticket_take(people["head"], made[3])
    return made


def _sort_key(sort):
    rank = selectors.PRIORITY_RANK
    return {
        "activity": lambda t: (t.updated_at, t.pk),
        "filed": lambda t: (t.filed_at, t.pk),
        "priority": lambda t: (rank[t.priority], t.updated_at, t.pk),
    }[sort]


@pytest.mark.parametrize("sort", ["activity", "filed", "priority"])
def test_each_sort_pages_through_every_ticket_once_in_order(people, sort, clock):
    _burst(people, clock)
    user = people["head"]
    expected = sorted(policy.visible_tickets(user), key=_sort_key(sort), reverse=True)
    for limit in (1, 3, 50):
        seen, cursor = [], None
        while True:
            page = selectors.ticket_list(user, sort=sort, cursor=cursor, limit=limit)
            seen += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert [t.pk for t in seen] == [t.pk for t in expected], limit


def test_the_pages_follow_the_chosen_sort_and_keep_the_filters(client, people, settings, clock):
    settings.MUSANADA = {**settings.MUSANADA, "PAGE_SIZE": 2}
    made = _burst(people, clock)
    client.force_login(people["head"])
    url = reverse("home") + "?" + f"tab=desk&sort=priority&priority={Priority.NORMAL}"
    references = []
    while url:
        response = client.get(url)
        references += listed(response)
        found = re.search(r'<a rel="next" href="([^"]+)"', response.content.decode())
        url = reverse("home") + found.group(1).replace("&amp;", "&") if found else None
    normal = sorted(
        (t for t in made if t.priority == Priority.NORMAL), key=_sort_key("priority"), reverse=True
    )
    assert references == [t.reference for t in normal]

    by_priority = listed(get(client, tab="desk", sort="priority"))
    ranks = [Ticket.objects.get(reference=r).priority for r in by_priority]
    assert ranks == sorted(ranks, key=selectors.PRIORITY_RANK.get, reverse=True)


def test_a_cursor_made_for_another_sort_is_refused(people, clock):
    _burst(people, clock)
    cursor = selectors.ticket_list(people["head"], limit=2).next_cursor
    assert selectors.ticket_list(people["head"], limit=2, cursor=cursor).items
    with pytest.raises(InvalidInput) as refused:
        selectors.ticket_list(people["head"], limit=2, cursor=cursor, sort="priority")
    assert refused.value.field == "cursor"


# The unit tree ------------------------------------------------------------------------------------------


def test_supervisor_drills_from_the_academy_to_a_province_to_a_school(client, people, units, world):
    client.force_login(people["supervisor"])
    open_in = {
        "MA-01": len(EXPECTED["supervisor"]["subtree"]),
        "MA-01-01": len(EXPECTED["observer"]["subtree"]),
        "MA-01-03": 1,
        "01001A": len(ALL_TEACHER - {"solved"}),
        "01002B": 1,
    }

    top = tree_units(get(client))
    assert top == {"MA-01": open_in["MA-01"]}

    academy = tree_units(get(client, unit="MA-01"))
    provinces = {
        unit.code for unit in units.values() if unit.parent_id == units["MA-01"].pk and unit.is_active
    }
    assert set(academy) == provinces
    assert academy["MA-01-01"] == open_in["MA-01-01"] and academy["MA-01-03"] == open_in["MA-01-03"]
    assert sum(academy.values()) == open_in["MA-01"]

    province = get(client, unit="MA-01-01", tab="subtree")
    assert tree_units(province) == {"01001A": open_in["01001A"], "01002B": open_in["01002B"]}
    assert names(world, province) == EXPECTED["observer"]["subtree"]
    trail = province.content.decode().split('class="trail"')[1].split("</ol>")[0]
    assert escape(units["MA-01"].name_ar) in trail and escape(units["MA-01-01"].name_ar) in trail

    # Choosing a school lists its requests; the count shown beside it is the list's length.
    school = get(client, unit="01002B", tab="subtree")
    assert names(world, school) == {"head2_own"}
    assert tab_counts(school)["subtree"] == open_in["01002B"]


def test_the_tree_links_open_the_subtree_tab_with_the_filters_kept(client, people, world):
    client.force_login(people["supervisor"])
    page = get(client, unit="MA-01-01", priority="high").content.decode()
    assert 'href="?priority=high&amp;unit=01001A&amp;tab=subtree"' in page
    assert tree_units(get(client, unit="MA-01-01", priority="high")) == {"01001A": 1, "01002B": 0}


def test_observer_tree_starts_at_their_province_and_shows_nothing_outside(client, people, world):
    client.force_login(people["observer"])
    assert tree_units(get(client)) == {"MA-01-01": len(EXPECTED["observer"]["subtree"])}
    schools = get(client, unit="MA-01-01")
    assert set(tree_units(schools)) == {"01001A", "01002B"}
    # The trail never climbs above the observer's own root.
    trail = schools.content.decode().split('class="trail"')[1].split("</ol>")[0]
    assert "MA-01&" not in trail and 'unit=MA-01"' not in trail


@pytest.mark.parametrize(
    "persona, unit",
    [
        ("observer", "MA-01"),  # above their root
        ("observer", "MA-01-03"),  # beside it
        ("observer", "02001D"),  # another academy
        ("observer", "NO-SUCH-UNIT"),
        ("supervisor", "MA-02"),
        ("province", "01301C"),  # a school of another province
        ("head", "01002B"),
        ("outsider", "01001A"),
    ],
)
def test_drilling_into_a_unit_outside_reach_is_refused_and_shows_no_data(
    client, people, world, persona, unit
):
    client.force_login(people[persona])

    response = get(client, unit=unit, tab="all")

    page = response.content.decode()
    assert response.status_code == 400
    assert shown(selectors.UNIT_OUT_OF_REACH, code=unit) in page
    assert listed(response) == [] and tab_counts(response) == {} and tree_units(response) == {}


@pytest.mark.parametrize(
    "persona, unit, wanted",
    [
        ("province", "01001A", {"referred", "province_taken", "at_central"}),
        ("central", "01001A", {"at_central"}),
        ("head", "01001A", ALL_TEACHER),
    ],
)
def test_desk_agents_filter_by_an_origin_unit_under_their_desk(client, people, world, persona, unit, wanted):
    client.force_login(people[persona])
    response = get(client, unit=unit, tab="all")
    assert names(world, response) == wanted
    assert tree_units(response) == {}  # the tree is for supervisors and observers


# htmx and queries ---------------------------------------------------------------------------------------


def test_with_htmx_only_the_list_region_is_sent_and_without_it_the_whole_page(client, people, world):
    client.force_login(people["supervisor"])

    full = get(client, tab="subtree")
    partial = client.get(reverse("home"), {"tab": "subtree", "q": "النقط"}, HTTP_HX_REQUEST="true")

    assert "<html" in full.content.decode() and 'id="inbox-results"' in full.content.decode()
    assert 'hx-get="/"' in full.content.decode() and 'hx-target="#inbox-results"' in full.content.decode()
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body and 'id="inbox-filters"' in body
    assert names(world, partial) == {"fresh"}
    assert "HX-Request" in partial["Vary"]


def _ticket_queries(captured) -> int:
    """The queries that read the ticket table for the list itself: not the header's bell, which reads its
    notifications, then asks the policy about their few tickets (`visible_among`, by id)."""
    return sum(
        'FROM "tickets_ticket"' in query["sql"]
        and '"notifications_' not in query["sql"]
        and '"origin_unit__path"' not in query["sql"]
        for query in captured.captured_queries
    )


@pytest.mark.parametrize(
    "persona, params, ticket_queries",
    [
        # A tab narrowed to the user's own requests, desks or subtrees costs one query; "assigned" and "all"
        # one per way of seeing (requester; desk holdings; per subtree, origin and holdings), merged. Every
        # page adds one: the bell's count of the user's own requests waiting for them.
        ("teacher", {}, 2 + 1 + 1),  # two tab counts (one branch each), the page
        (
            "head",
            {"q": "طلب", "sort": "priority"},
            0 + 1 + 1,
        ),  # a search counts nothing: the page (the desk's tab, one query) says whether it fits
        (
            "supervisor",
            {"unit": "MA-01-01", "tab": "subtree"},
            (5 + 2 * 4) + 1 + 1 + 1,
        ),  # and the tree's counts
        (
            "observer",
            {"unit": "01001A", "tab": "all", "sort": "filed"},
            (2 + 3) + 3 + 0 + 1,
        ),  # a school has no children
    ],
)
def test_a_list_page_costs_the_same_queries_whatever_the_number_of_tickets(
    client, people, settings, persona, params, ticket_queries
):
    # Pages of 10, so that the larger list below runs past its first page.
    settings.MUSANADA = {**settings.MUSANADA, "PAGE_SIZE": 10}
    client.force_login(people[persona])
    for _ in range(3):
        file_request(people["teacher"])
    with CaptureQueriesContext(connection) as small:
        assert get(client, **params).status_code == 200
    # A list that fits on its first page is its own count: at most the fixed cost.
    assert _ticket_queries(small) <= ticket_queries

    for _ in range(30):
        file_request(people["head2"])
        file_request(people["teacher"])
    with CaptureQueriesContext(connection) as large:
        assert get(client, **params).status_code == 200
    assert _ticket_queries(large) == ticket_queries
    # Nothing else grows with the list.
    others = len(small.captured_queries) - _ticket_queries(small)
    assert len(large.captured_queries) - _ticket_queries(large) == others


def test_the_unit_filter_suggests_units_in_reach_by_name_or_code_as_one_types(client, people):
    client.force_login(people["region"])

    by_name = client.get(reverse("unit-picker"), {"unit": "ابن بطوطة"}).content.decode()
    by_code = client.get(reverse("unit-picker"), {"unit": "01001a"}).content.decode()

    assert 'value="01001A"' in by_name and 'value="01001A"' in by_code
    # The school with the names of its province and academy, so that two schools of one name differ.
    with translation.override("ar"):
        assert "طنجة أصيلة" in client.get(reverse("unit-picker"), {"unit": "01001A"}).content.decode()
    # Another academy's units are never suggested, whatever is typed; one letter suggests nothing.
    assert "02001D" not in client.get(reverse("unit-picker"), {"unit": "0200"}).content.decode()
    assert "<option" not in client.get(reverse("unit-picker"), {"unit": "0"}).content.decode()
    client.force_login(people["teacher"])
    assert "<option" not in client.get(reverse("unit-picker"), {"unit": "01001A"}).content.decode()


def test_the_unit_filter_takes_a_code_in_small_letters(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["supervisor"])

    response = client.get(reverse("home"), {"tab": "subtree", "unit": "01001a"})

    assert response.status_code == 200
    assert [listed.reference for listed in response.context["tickets"]] == [ticket.reference]


def test_a_central_agent_reads_each_schools_province_and_academy_in_the_list(client, people, units):
    ticket = file_request(people["teacher"])
    services.ticket_escalate(people["head"], ticket, note="Essayé ici.")
    services.ticket_escalate(people["province"], ticket, note="Essayé ici.")
    services.ticket_escalate(people["region"], ticket, note="Essayé ici.")
    client.force_login(people["central"])

    with translation.override("ar"):
        row = client.get(reverse("home")).content.decode()
        province, academy = units["MA-01-01"].name, units["MA-01"].name

    row = row[row.index(f">{ticket.reference}<") :]
    row = row[: row.index("</tr>")]
    assert f"(<bdi>{escape(province)} · {escape(academy)}</bdi>)" in row


def test_what_people_typed_is_escaped_in_the_list_rows(client, people):
    # The rows are written in Python (web/rows.py): a subject or a name that holds markup stays text.
    people["teacher"].first_name = "<b>Souad</b>"
    people["teacher"].save(update_fields=["first_name"])
    ticket = file_request(people["teacher"], subject='<img src=x onerror="alert(1)"> Massar')
    client.force_login(people["head"])

    page = client.get(reverse("home"), {"tab": "desk"}).content.decode()

    row = page[page.index(f">{ticket.reference}<") :]
    row = row[: row.index("</tr>")]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Massar" in row and "<img src=x" not in row
    assert "&lt;b&gt;Souad&lt;/b&gt;" in row and "<b>Souad" not in row


def test_the_origins_province_and_academy_cost_one_query_however_many_provinces_the_page_holds(
    client, people, units
):
    # An academy's or a central agent's page holds schools of many provinces: naming them must not cost a
    # query per province.
    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home"), {"tab": "subtree"}).status_code == 200
        return len(captured.captured_queries)

    file_request(people["teacher"])
    client.force_login(people["supervisor"])
    one_province = count_queries()
    membership_grant(people["teacher"], units["01301C"], Role.STAFF)
    file_request(people["teacher"], unit=units["01301C"])
    page = client.get(reverse("home"), {"tab": "subtree"}).content.decode()
    assert page.count(escape(units["MA-01"].name)) >= 2
    assert count_queries() == one_province


def test_a_word_stored_with_an_invisible_mark_inside_is_found_by_its_plain_spelling(client, people):
    ticket = file_request(
        people["teacher"], subject="تعذر الولوج إلى مس\u200fار", description="الر\u200dمز لا يعمل."
    )
    client.force_login(people["teacher"])
    for query in ("مسار", "الرمز", "مس\u200fار"):
        assert [t.reference for t in get(client, tab="all", q=query).context["tickets"]] == [ticket.reference]
