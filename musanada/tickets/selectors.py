"""Reading tickets: always through the policy, with a fixed number of queries per page.

The lists' tabs, filters, keyword search, sorts and the unit tree live here as plain functions, so that the
web inbox and the API filter, sort and page the same way.
"""

import base64
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from musanada.core.errors import ErrorCode, InvalidInput, NotFound
from musanada.org.models import Category, OrgUnit, User
from musanada.tickets import policy, search
from musanada.tickets.models import Ticket, TicketLink
from musanada.tickets.workflow import OPEN_STATUSES, Priority, Status

LIST_RELATED = ("desk", "origin_unit", "category", "category__parent", "requester", "assignee")
# What a list row never shows: the long texts and the search columns. Left out of a list's query, so that a
# search sorting its matches by relevance sorts narrow rows in memory instead of whole tickets on disk.
LIST_DEFERRED = ("description", "subject_text", "search_text", "note_text", "access_keys")


def with_related(tickets: list[Ticket]) -> list[Ticket]:
    """The tickets, each with its desk, origin (and the two units above them), category (and its system),
    requester and assignee read in three queries whatever their number (`LIST_RELATED`, without the joins).

    On PostgreSQL, planning the list's query joined to those six tables took 3.6 ms against 0.05 ms for the
    tickets alone, on every page (docs/performance.md): the rows are read alone, their neighbours by key.
    """
    if not tickets:
        return tickets
    # With the two units above each (a school's province and academy: `org.models.names_above`).
    units = OrgUnit.objects.select_related("parent__parent").in_bulk(
        {t.desk_id for t in tickets} | {t.origin_unit_id for t in tickets}
    )
    people = User.objects.in_bulk(
        {t.requester_id for t in tickets} | {t.assignee_id for t in tickets if t.assignee_id}
    )
    categories = Category.objects.select_related("parent").in_bulk({t.category_id for t in tickets})
    fields: dict[str, Any] = {
        name: Ticket._meta.get_field(name)
        for name in ("desk", "origin_unit", "category", "requester", "assignee")
    }
    for ticket in tickets:
        fields["desk"].set_cached_value(ticket, units[ticket.desk_id])
        fields["origin_unit"].set_cached_value(ticket, units[ticket.origin_unit_id])
        fields["category"].set_cached_value(ticket, categories[ticket.category_id])
        fields["requester"].set_cached_value(ticket, people[ticket.requester_id])
        fields["assignee"].set_cached_value(ticket, people.get(ticket.assignee_id))
    return tickets


def ticket_get_for(user, reference: str) -> Ticket:
    """The ticket if the user may see it, else NotFound: exactly as for a reference that does not exist."""
    # By its reference first (one row by a unique index), then the policy's question about that one ticket:
    # filtering by everything the user may see would make the database gather it.
    ticket = Ticket.objects.filter(reference=reference).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    # Its neighbours first: the policy reads the origin's path.
    with_related([ticket])
    if not policy.can_see(user, ticket):
        raise NotFound(_("No such ticket."))
    return ticket


# Sorting and keyset pagination -----------------------------------------------------------------------


class Sort(models.TextChoices):
    # A keyword search's default: the typed reference, then the most query words in the subject.
    RELEVANCE = "relevance", _("Best match")
    ACTIVITY = "activity", _("Last activity")
    FILED = "filed", _("Date filed")
    PRIORITY = "priority", _("Priority")


PRIORITY_RANK = {Priority.URGENT: 4, Priority.HIGH: 3, Priority.NORMAL: 2, Priority.LOW: 1}

# The keyset of each sort, every key descending; the id breaks the ties of a burst filed in one instant.
# Keys are moments, but for the numbers of `_NUMBER_KEYS`.
_SORT_KEYS: dict[str, tuple[str, ...]] = {
    Sort.RELEVANCE: ("relevance", "updated_at"),
    Sort.ACTIVITY: ("updated_at",),
    Sort.FILED: ("filed_at",),
    Sort.PRIORITY: ("priority_rank", "updated_at"),
}
_NUMBER_KEYS = frozenset({"priority_rank", "relevance"})


def _priority_rank() -> Case:
    return Case(
        *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


@dataclass
class Page:
    items: list
    next_cursor: str | None


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(_("This page link is not valid."), code=ErrorCode.INVALID_CURSOR, field="cursor")


def _encode_cursor(ticket: Ticket, sort: str) -> str:
    values: list = []
    for key in _SORT_KEYS[sort]:
        value = getattr(ticket, key)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps([sort, *values, ticket.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple:
    """The sort key values and id a cursor carries; a cursor of another sort or a tampered one is refused."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise _invalid_cursor() from None
    keys = _SORT_KEYS[sort]
    if not isinstance(raw, list) or len(raw) != len(keys) + 2 or raw[0] != sort:
        raise _invalid_cursor()
    values: list = []
    for key, value in zip(keys, raw[1:-1], strict=True):
        if key in _NUMBER_KEYS:
            if not isinstance(value, int) or isinstance(value, bool):
                raise _invalid_cursor()
            values.append(value)
            continue
        try:
            stamp = datetime.fromisoformat(value)
        except (ValueError, TypeError):
            raise _invalid_cursor() from None
        if stamp.tzinfo is None:
            raise _invalid_cursor()
        try:
            # Stored in UTC: a moment that cannot be expressed there (year 1 at +14:00) is not a real cursor.
            stamp.astimezone(UTC)
        except OverflowError:
            raise _invalid_cursor() from None
        values.append(stamp)
    pk = raw[-1]
    # Beyond 64 bits the database driver fails (a 500 for a tampered link) instead of finding nothing.
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk < 2**63:
        raise _invalid_cursor()
    return (*values, pk)


def _after(keys: tuple, values: tuple) -> Q:
    """Rows strictly after the cursor in the descending order (keys..., id)."""
    names = (*keys, "pk")
    condition = Q()
    for i, name in enumerate(names):
        step = Q(**{f"{name}__lt": values[i]})
        for earlier in range(i):
            step &= Q(**{names[earlier]: values[earlier]})
        condition |= step
    return condition


# A keyword search reads the words and the reader's access keys in one GIN index. Left to itself, the planner,
# which takes words and readers for independent, may rather walk the whole history by last activity hoping
# to meet a page of matches soon: for a word that none of the reader's tickets hold, it reads them all
# (35 s at ten million tickets). The same instant, as an expression no index holds, keeps it on the GIN
# index: the worst case is then bounded by the reader's own tickets (docs/architecture.md).
_ACTIVITY_UNINDEXED = ExpressionWrapper(F("updated_at") + Value(timedelta(0)), output_field=DateTimeField())


def _keyed(branch: Q, keyed: bool) -> bool:
    # Everything (the system, a reader of the whole country) has no key to read: the planner's estimates
    # for the words alone are sound.
    return keyed and branch != Q()


def _branch_page(
    branch: Q, filters, cursor_values, sort: str, limit: int, keyed: bool, relevance
) -> list[Ticket]:
    keys = _SORT_KEYS[sort]
    queryset = Ticket.objects.filter(branch)
    if sort == Sort.PRIORITY:
        queryset = queryset.annotate(priority_rank=_priority_rank())
    if sort == Sort.RELEVANCE:
        queryset = queryset.annotate(relevance=relevance)
    if filters is not None:
        queryset = queryset.filter(filters)
    if cursor_values is not None:
        queryset = queryset.filter(_after(keys, cursor_values))
    order: list = [f"-{key}" for key in keys] + ["-id"]
    if _keyed(branch, keyed) and sort == Sort.ACTIVITY:
        order = [_ACTIVITY_UNINDEXED.desc(), "-id"]
    return list(queryset.defer(*LIST_DEFERRED).order_by(*order)[:limit])


def ticket_list(
    user,
    *,
    filters: Q | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    sort: str = Sort.ACTIVITY,
    within_visibility: bool = False,
    keyed: bool = False,
    relevance=None,
) -> Page:
    """A page of the tickets the user may list, in `sort` order, most recent first (keyset pagination).

    `within_visibility`: the caller's `filters` never reach beyond what the user may see (they come from the
    policy's `own_requests`, `at_own_desks` or `from_own_subtrees`), so the page is one query on the index
    they name. Otherwise each of the policy's visibility branches is read as its own indexed query, and the
    pages are merged: the reach, then one query per branch, then the page's related rows in three
    (`with_related`), whatever the page size. `keyed`: the filters
    hold a keyword search, which reads the branches of the access keys (`policy.visibility_branches`).
    `relevance`: the score a relevance sort orders by (`search.relevance`); without it, last activity.
    """
    limit = min(limit or settings.MUSANADA["PAGE_SIZE"], 200)
    if sort not in _SORT_KEYS or (sort == Sort.RELEVANCE and relevance is None):
        sort = Sort.ACTIVITY
    cursor_values = _decode_cursor(cursor, sort) if cursor else None
    branches = [Q()] if within_visibility else policy.visibility_branches(user, keyed=keyed)
    merged: dict[int, Ticket] = {}
    for branch in branches:
        for ticket in _branch_page(branch, filters, cursor_values, sort, limit + 1, keyed, relevance):
            merged[ticket.pk] = ticket
    keys = _SORT_KEYS[sort]
    rows = sorted(merged.values(), key=lambda t: (*(getattr(t, key) for key in keys), t.pk), reverse=True)
    rows = rows[: limit + 1]
    next_cursor = _encode_cursor(rows[limit - 1], sort) if len(rows) > limit else None
    return Page(with_related(rows[:limit]), next_cursor)


def count_cap() -> int:
    """Past this many, lists say "N+" instead of counting on (a count must not read a whole desk)."""
    return settings.MUSANADA["COUNT_CAP"]


def ticket_count(
    user, filters: Q | None = None, *, within_visibility: bool = False, keyed: bool = False
) -> int:
    """How many tickets the user may list that match `filters`, up to `count_cap() + 1` ("N+").

    Like `ticket_list`, one query when the filters stay within visibility, else one per branch.
    """
    cap = count_cap() + 1
    condition = filters if filters is not None else Q()
    if within_visibility:
        return Ticket.objects.filter(condition).values("pk")[:cap].count()
    found: set[int] = set()
    for branch in policy.visibility_branches(user, keyed=keyed):
        queryset = Ticket.objects.filter(branch, condition)
        if _keyed(branch, keyed):
            queryset = queryset.order_by(_ACTIVITY_UNINDEXED.desc())
        found.update(queryset.values_list("pk", flat=True)[:cap])
    return min(len(found), cap)


# Filters ---------------------------------------------------------------------------------------------

AGE_DAYS = (1, 3, 7, 30)


@dataclass(frozen=True)
class TicketQuery:
    """What a list asks for: a tab, filters and an order. The web inbox, the API list and the exports each
    build one and read through it, always on top of the policy's visible tickets. Empty fields filter nothing.
    """

    # None: everything the user may see; else a `Tab` (a tab the user does not have lists by its condition
    # all the same, always within what they may see).
    tab: str | None = None
    # An information system includes its topics.
    category: Category | None = None
    priority: str = ""
    status: str = ""
    # The desk holding the ticket now.
    desk: OrgUnit | None = None
    # The origin unit and everything under it: take it from `origin_unit`, which checks it is within reach.
    unit: OrgUnit | None = None
    older_than_days: int | None = None
    updated_since: datetime | None = None
    # Keywords (`tickets/search.py`): the reference, or words of the conversation the user may read.
    query: str = ""
    # "": by relevance for a keyword search, else by last activity (`order`).
    sort: str = ""

    def filters(self, user, now: datetime | None = None) -> Q:
        """The condition of the filters alone, without the tab."""
        condition = Q()
        if self.category is not None:
            condition &= Q(category=self.category) | Q(category__parent=self.category)
        if self.priority:
            condition &= Q(priority=self.priority)
        if self.status:
            condition &= Q(status=self.status)
        if self.desk is not None:
            condition &= Q(desk=self.desk)
        if self.unit is not None:
            condition &= Q(origin_unit__path__startswith=self.unit.path)
        if self.older_than_days:
            moment = (now or timezone.now()) - timedelta(days=self.older_than_days)
            condition &= Q(filed_at__lte=moment)
        if self.updated_since is not None:
            condition &= Q(updated_at__gte=self.updated_since)
        found = search.search_filter(self.query, policy.reads_every_note(user))
        if found is not None:
            condition &= found
        return condition

    def condition(self, user) -> Q:
        """The tab's condition and the filters together."""
        tab = tab_filter(user, self.tab) if self.tab else None
        filters = self.filters(user)
        return filters if tab is None else tab & filters

    @property
    def keyed(self) -> bool:
        """Whether the list is a keyword search (see `ticket_list`)."""
        return search.searched(self.query)

    @property
    def empty_search(self) -> bool:
        """Whether a search was typed that holds no letter or digit to look for (it finds nothing)."""
        return bool(self.query.strip()) and not self.keyed

    @property
    def order(self) -> str:
        """The sort the list is read in: the chosen one, else relevance for a keyword search and last
        activity otherwise; never relevance without words to rank by."""
        if self.keyed:
            return self.sort or Sort.RELEVANCE
        return Sort.ACTIVITY if self.sort in ("", Sort.RELEVANCE) else self.sort

    def within_visibility(self, user) -> bool:
        """Whether the list never reaches beyond what the user may see (its tab, or a desk the user works,
        says so), so that it is read as one query on its own index."""
        if self.tab in TABS_WITHIN_VISIBILITY:
            return True
        return self.desk is not None and self.desk.pk in policy.reach(user).desk_ids

    def tickets(self, user) -> QuerySet:
        """Every ticket of the list the user may see (exports); lists use `page`."""
        if self.within_visibility(user):
            return Ticket.objects.filter(self.condition(user))
        return policy.visible_tickets(user).filter(self.condition(user))

    def page(self, user, *, cursor: str | None = None, limit: int | None = None) -> Page:
        """One page of the list, keyset-paginated in the query's order."""
        return ticket_list(
            user,
            filters=self.condition(user),
            cursor=cursor,
            limit=limit,
            sort=self.order,
            within_visibility=self.within_visibility(user),
            keyed=self.keyed,
            relevance=search.relevance(self.query) if self.order == Sort.RELEVANCE else None,
        )

    def counts(self, user, tabs) -> dict:
        """How many tickets each of `tabs` lists with these filters, capped (`ticket_count`)."""
        counts = {}
        for tab in tabs:
            query = replace(self, tab=tab)
            counts[tab] = ticket_count(
                user,
                query.condition(user),
                within_visibility=query.within_visibility(user),
                keyed=self.keyed,
            )
        return counts


# Tabs ------------------------------------------------------------------------------------------------


class Tab(models.TextChoices):
    REQUESTS = "mine", _("My requests")
    NEW = "new", pgettext_lazy("inbox tab", "New")
    ASSIGNED = "assigned", _("Assigned to me")
    WAITING = "waiting", _("Waiting for the requester")
    DESK = "desk", _("All open at my desk")
    SUBTREE = "subtree", _("Open in my units")
    ALL = "all", _("All I can see")


def tabs_for(user) -> list[str]:
    """The tabs a user's roles give, in display order: requesters, desk agents, supervisors and observers."""
    reach = policy.reach(user)
    tabs: list[str] = [Tab.REQUESTS]
    if reach.desk_ids:
        tabs += [Tab.NEW, Tab.ASSIGNED, Tab.WAITING, Tab.DESK]
    if reach.subtree_paths:
        tabs.append(Tab.SUBTREE)
    tabs.append(Tab.ALL)
    return tabs


def default_tab(user) -> str:
    """Desk agents start on their desk's open tickets, supervisors and observers on their units."""
    reach = policy.reach(user)
    if reach.desk_ids:
        return Tab.DESK
    return Tab.SUBTREE if reach.subtree_paths else Tab.REQUESTS


def chosen_tab(user, requested: str | None) -> tuple[str, bool]:
    """The tab a list shows for a requested one, and whether it was the user's: one they do not have, or
    none, gives their default tab."""
    if requested and requested in tabs_for(user):
        return requested, True
    return default_tab(user), not requested


# The tabs whose condition is one of the policy's own (`own_requests`, `at_own_desks`, `from_own_subtrees`).
TABS_WITHIN_VISIBILITY = frozenset({Tab.REQUESTS, Tab.NEW, Tab.WAITING, Tab.DESK, Tab.SUBTREE})


def tab_filter(user, tab: str) -> Q | None:
    """The condition of a tab, on top of the policy's visible tickets (None: everything visible)."""
    desk = policy.at_own_desks(user)
    if tab == Tab.REQUESTS:
        return policy.own_requests(user)
    if tab == Tab.NEW:
        return desk & Q(status=Status.NEW)
    if tab == Tab.ASSIGNED:
        return Q(assignee=user, status__in=OPEN_STATUSES)
    if tab == Tab.WAITING:
        return desk & Q(status=Status.WAITING)
    if tab == Tab.DESK:
        return desk & Q(status__in=OPEN_STATUSES)
    if tab == Tab.SUBTREE:
        return policy.from_own_subtrees(user) & Q(status__in=OPEN_STATUSES)
    return None


# The unit tree ---------------------------------------------------------------------------------------

UNIT_OUT_OF_REACH = _("No unit with the code “%(code)s” is within your reach.")


@dataclass
class UnitScope:
    """Where a user may narrow lists by origin unit, and the tree they drill down (supervisors, observers).

    `unit` is the chosen unit; `trail` runs from the user's root down to it; `children` are the units one
    level below it (or the user's roots when none is chosen), each with its count of open tickets.
    """

    unit: OrgUnit | None = None
    roots: list = field(default_factory=list)
    trail: list = field(default_factory=list)
    children: list = field(default_factory=list)
    may_filter: bool = False

    @property
    def has_tree(self) -> bool:
        return bool(self.roots)


def _out_of_reach(code: str) -> InvalidInput:
    return InvalidInput(
        UNIT_OUT_OF_REACH, code=ErrorCode.UNIT_OUT_OF_REACH, field="unit", params={"code": code}
    )


def _ancestor_paths(path: str) -> list[str]:
    return sorted(policy.paths_at_and_above([path]), key=len)


def _within(path: str, roots) -> bool:
    return any(path.startswith(root) for root in roots)


def origin_unit(user, code: str, roots=None) -> OrgUnit | None:
    """The unit `code` when the user may narrow lists to it (`policy.unit_in_reach`); None for no code.

    Anything else, existing or not, raises InvalidInput with the same message: a forged link learns nothing.
    """
    code = (code or "").strip()
    if not code:
        return None
    # Codes are written in capitals ("01001a" is 01001A); by the unique index either way.
    unit = OrgUnit.objects.filter(code__in={code, code.upper()}).first()
    if not policy.unit_in_reach(user, unit, roots):
        raise _out_of_reach(code)
    return unit


# A requester's requests that wait for them: information was asked for, or a resolution is to be confirmed.
WAITING_FOR_REQUESTER = (Status.WAITING, Status.RESOLVED)


def related_tickets(user, ticket: Ticket) -> list[Ticket]:
    """The requests linked to this one (a merge links them too) that the user may see, latest first: two
    bounded queries, then the policy's `visible_among` for the handful found."""
    pairs = TicketLink.objects.filter(Q(first=ticket) | Q(second=ticket)).values_list("first_id", "second_id")
    others = {first if second == ticket.pk else second for first, second in pairs}
    if not others:
        return []
    visible = policy.visible_among(user, others)
    return list(Ticket.objects.filter(pk__in=visible).order_by("-updated_at", "-pk"))


def waiting_for(user) -> models.QuerySet:
    """The user's own requests that wait for them, latest activity first (one range of the requester
    index: a person's own requests are few)."""
    return (
        Ticket.objects.filter(policy.own_requests(user), status__in=WAITING_FOR_REQUESTER)
        .select_related(*LIST_RELATED)
        .order_by("-updated_at", "-id")
    )


PICKER_LIMIT = 12


def pickable_units(user, text: str) -> list[OrgUnit]:
    """The units the user may narrow their lists to whose code starts with `text` or whose Arabic or French
    name holds it: the unit filter's suggestions as they type, codes first, then by place in the tree."""
    text = " ".join((text or "").split())[:100]
    roots = policy.unit_roots(user)
    if len(text) < 2 or not roots:
        return []
    within = Q()
    for root in roots:
        within |= Q(path__startswith=root.path)
    matching = Q(code__istartswith=text) | Q(name_fr__icontains=text) | Q(name_ar__icontains=text)
    units = OrgUnit.objects.filter(within, matching, is_active=True).select_related("parent__parent")
    by_code = list(units.filter(code__istartswith=text).order_by("depth", "code")[:PICKER_LIMIT])
    found = {unit.pk for unit in by_code}
    by_name = units.exclude(pk__in=found).order_by("depth", "path")[: PICKER_LIMIT - len(by_code)]
    return by_code + (list(by_name) if len(by_code) < PICKER_LIMIT else [])


def unit_scope(user, code: str = "", query: TicketQuery | None = None) -> UnitScope:
    """The unit `code` if the user may narrow their lists to it, with their drill-down tree.

    The tree's counts are the open tickets of the "subtree" tab under each unit, with `query`'s filters.
    At most three queries.
    """
    reach = policy.reach(user)
    roots = policy.unit_roots(user) if (code or reach.subtree_paths) else []
    chosen = origin_unit(user, code, roots)
    if not (reach.desk_ids or reach.subtree_paths):
        return UnitScope()
    scope = UnitScope(unit=chosen, may_filter=True)
    scope.roots = [root for root in roots if root.path in reach.subtree_paths]
    if not scope.roots:
        # A desk agent: nothing to draw, a unit to filter on at most.
        return scope
    children: list[OrgUnit]
    if chosen is None or not _within(chosen.path, reach.subtree_paths):
        children = scope.roots
    else:
        trail_paths = [path for path in _ancestor_paths(chosen.path) if _within(path, reach.subtree_paths)]
        near = Q(parent=chosen, is_active=True) | Q(path__in=trail_paths)
        around = list(OrgUnit.objects.filter(near).order_by("path"))
        scope.trail = [unit for unit in around if unit.path in trail_paths]
        children = [unit for unit in around if unit.parent_id == chosen.pk]
    filters = query.filters(user) if query is not None else None
    scope.children = list(zip(children, _open_counts(user, children, filters), strict=True))
    return scope


def _open_counts(user, units, filters: Q | None) -> list[int]:
    """The open tickets of the subtree tab that originate under each unit: one query for all of them."""
    if not units:
        return []
    queryset = Ticket.objects.filter(policy.from_own_subtrees(user), status__in=OPEN_STATUSES)
    if filters is not None:
        queryset = queryset.filter(filters)
    counts = queryset.aggregate(
        **{f"u{unit.pk}": Count("pk", filter=Q(origin_unit__path__startswith=unit.path)) for unit in units}
    )
    return [counts[f"u{unit.pk}"] or 0 for unit in units]
