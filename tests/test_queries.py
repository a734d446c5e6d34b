"""Ticket lists: a fixed number of queries per page, and a cursor that visits every visible ticket once."""

from datetime import timedelta

import pytest
from django.db.models import Q

from musanada.core.errors import InvalidInput
from musanada.tickets import policy, selectors, services
from musanada.tickets.workflow import Status
from tests.helpers import file_request

# The user's reach, then one query per way the user sees tickets (the requester; a desk's holdings; per
# subtree, its origin and holdings), then the page's related rows in three (selectors.with_related): units,
# people, categories. Whatever the page's size: selectors.ticket_list's promise.
RELATED = 3
LIST_QUERIES = {"teacher": 1 + 1 + RELATED, "head": 1 + 2 + RELATED, "supervisor": 1 + 4 + RELATED}
READERS = ("teacher", "head", "province", "supervisor", "observer", "outsider_head")


def make_tickets(people, categories, count, clock=None):
    """A mix a list really shows: referred, assigned, resolved, and some from another academy; with the
    `clock` fixture, each ticket a second after the one before."""
    made = []
    for i in range(count):
        if clock is not None:
            clock.advance(seconds=1)
        category = categories["massar-grades"] if i % 2 else categories["accounts"]
        ticket = file_request(people["teacher"], category=category, subject=f"Demande {i}")
        if i % 3 == 1:
            services.ticket_take(people["head"], ticket)
        if i % 3 == 2:
            services.ticket_escalate(people["head"], ticket, note="Essayé à l'école.")
            services.ticket_take(people["province"], ticket)
        if i % 5 == 4:
            services.ticket_resolve(people[("head", "province")[i % 3 == 2]], ticket, resolution="Réglé.")
        made.append(ticket)
        file_request(people["outsider_teacher"], category=category, subject=f"Ailleurs {i}")
    return made


def fresh(user):
    # A new object per request, as in a real view: the policy's per-user cache starts empty.
    return type(user).objects.get(pk=user.pk)


def render(page):
    """What a list page reads from each row."""
    return [
        (t.reference, t.desk.name, t.origin_unit.name, str(t.category), str(t.requester), str(t.assignee))
        for t in page.items
    ]


@pytest.mark.parametrize("username", ["teacher", "head", "supervisor"])
def test_a_list_page_costs_the_same_queries_with_3_or_30_tickets(
    people, categories, django_assert_num_queries, username
):
    make_tickets(people, categories, 3)
    user = fresh(people[username])
    with django_assert_num_queries(LIST_QUERIES[username]):
        small = selectors.ticket_list(user)
        small_rows = render(small)
    assert len(small_rows) >= 2

    make_tickets(people, categories, 27)
    user = fresh(people[username])
    with django_assert_num_queries(LIST_QUERIES[username]):
        large = selectors.ticket_list(user)
        large_rows = render(large)
    assert len(large_rows) > len(small_rows) * 5


def test_a_list_with_filters_and_a_cursor_costs_the_same_queries(
    people, categories, django_assert_num_queries
):
    make_tickets(people, categories, 12)
    user = fresh(people["supervisor"])
    first = selectors.ticket_list(user, limit=4)
    user = fresh(people["supervisor"])
    with django_assert_num_queries(LIST_QUERIES["supervisor"]):
        page = selectors.ticket_list(user, cursor=first.next_cursor, limit=4, filters=~Q(status="closed"))
        render(page)


def walk(user, limit, filters=None):
    """Follow the cursor to the end, as a user clicking "next" would."""
    seen, cursor, pages = [], None, 0
    while True:
        page = selectors.ticket_list(user, cursor=cursor, limit=limit, filters=filters)
        assert len(page.items) <= limit
        seen += [(t.updated_at, t.pk) for t in page.items]
        pages += 1
        if page.next_cursor is None:
            return seen, pages
        assert len(page.items) == limit
        cursor = page.next_cursor


@pytest.mark.parametrize("username", READERS)
def test_following_the_cursor_visits_every_visible_ticket_exactly_once(people, categories, username, clock):
    # Many tickets share one timestamp (a burst filed in the same instant): the cursor must break the tie.
    now = clock.now
    clock.now = now - timedelta(hours=2)
    make_tickets(people, categories, 7)
    clock.now = now
    make_tickets(people, categories, 5, clock)
    user = people[username]
    visible = set(policy.visible_tickets(user).values_list("updated_at", "pk"))
    assert visible
    for limit in (1, 4, 7, 50):
        seen, pages = walk(user, limit)
        assert len(seen) == len(set(seen)) == len(visible)
        assert set(seen) == visible
        assert seen == sorted(seen, reverse=True)
        assert pages == -(-len(visible) // limit)


def test_the_cursor_walk_honours_filters(people, categories):
    make_tickets(people, categories, 10)
    user = people["head"]
    seen, _pages = walk(user, 3, filters=Q(status=Status.OPEN))
    expected = set(policy.visible_tickets(user).filter(status=Status.OPEN).values_list("updated_at", "pk"))
    assert expected and set(seen) == expected and len(seen) == len(expected)


def test_another_academy_lists_none_of_these_tickets(people, categories):
    make_tickets(people, categories, 3)
    assert selectors.ticket_list(people["outsider"]).items == []
    own_school = selectors.ticket_list(people["outsider_head"]).items
    assert len(own_school) == 3 and {t.origin_unit.code for t in own_school} == {"02001D"}


def test_the_teacher_lists_only_their_own_requests(people, categories):
    made = make_tickets(people, categories, 4)
    page = selectors.ticket_list(people["teacher"])
    assert {t.pk for t in page.items} == {t.pk for t in made}


@pytest.mark.parametrize("cursor", ["not-a-cursor", "W10", "eyJ4IjoxfQ", "WyIyMDI2IiwgImEiXQ"])
def test_a_tampered_cursor_is_refused_clearly(people, cursor):
    with pytest.raises(InvalidInput) as refused:
        selectors.ticket_list(people["teacher"], cursor=cursor)
    assert refused.value.field == "cursor" and str(refused.value).strip()
