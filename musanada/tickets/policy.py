"""Who may see and do what: the one place that decides.

Every access question is answered here, and everything else asks:
- `visible_tickets(user)`: the tickets a user may list, as a query filter (lists, search, exports, dashboards,
  API); `can_see` / `reads_internal` / `visible_events` for one ticket, from the same facts;
  `reads_every_note` for the tickets whose internal notes a keyword search may match;
- `parties(user, ticket)` / `authorize(...)` / `available_actions(...)`: how a user stands to one ticket and
  what the workflow table lets them do now (so what is offered is exactly what is accepted);
- `desk_agents` / `is_desk_agent` / `has_desk_agent`: who answers at a desk (one definition);
- `unit_roots` / `unit_in_reach`: which units a user may narrow lists to and open dashboards of;
- `filing_units` / `filing_roles`: which units a user may file for;
- `reviews_mail` / `reviews_any_mail` / `mail_review_scope`: who releases or discards quarantined mail;
- `sees_service_status`: who reads the service's status page (administrators);
- `readable_articles` / `article_workspace` / `writes_articles` / `reviews_articles`: who reads the help
  articles and who writes and publishes them.

Rules: a requester sees their own tickets without internal notes; the agents of a desk act on the tickets the
desk holds and keep read access to the tickets it once held; supervisors and observers read everything that
originates in or passed through their subtree; nobody sees across subtrees. Administrators get nothing here
by being administrators: they act on tickets only through a desk role.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from musanada.core.actors import is_system
from musanada.core.errors import ErrorCode, Forbidden, IllegalTransition, InvalidInput, NotFound
from musanada.knowledge.models import Article, ArticleStatus, Audience
from musanada.org.models import DESK_ROLES, SUBTREE_ROLES, Membership, OrgUnit, Role, UnitKind
from musanada.tickets import workflow
from musanada.tickets.models import CannedReply, Event, Incident, IncidentStatus, Ticket, TicketHolding
from musanada.tickets.workflow import Party, Refusal, Status


def _is_person(user) -> bool:
    """An authenticated, active account: a disabled one keeps its memberships on record, and gets nothing."""
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


# Desks and their agents ------------------------------------------------------------------------------


def _desk_memberships() -> QuerySet:
    # The one definition of "an active agent of a desk": an active membership with a desk role, of an active
    # account, in an active unit. Routing, assignment, notifications and the reach below all use it.
    return Membership.objects.filter(
        role__in=DESK_ROLES, is_active=True, user__is_active=True, unit__is_active=True
    )


def desk_agents(desk: OrgUnit | str, *, supervisors_only: bool = False) -> QuerySet:
    """The active agents and supervisors of a desk (a unit, or its code), as users, in name order."""
    memberships = _desk_memberships()
    if supervisors_only:
        memberships = memberships.filter(role=Role.SUPERVISOR)
    if isinstance(desk, OrgUnit):
        memberships = memberships.filter(unit=desk)
    else:
        memberships = memberships.filter(unit__code=desk)
    return _people_of(memberships)


def _people_of(memberships: QuerySet) -> QuerySet:
    users = get_user_model().objects.filter(pk__in=memberships.values("user_id"))
    return users.order_by("last_name", "first_name", "username")


def colleagues(user) -> QuerySet:
    """The active agents of every desk the user works, the user included (whom a list's bulk assignment
    offers; each ticket's service still checks that the agent works the desk holding it)."""
    return _people_of(_desk_memberships().filter(unit_id__in=reach(user).desk_ids))


def is_desk_agent(user, desk: OrgUnit) -> bool:
    """Whether the user is an active agent (or supervisor) of the desk."""
    return _is_person(user) and _desk_memberships().filter(user=user, unit=desk).exists()


def has_desk_agent(desk: OrgUnit) -> bool:
    """Whether anybody can answer at the desk now (routing passes an empty desk over)."""
    return _desk_memberships().filter(unit=desk).exists()


# What a user's memberships give -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """What a user's active memberships give: desks they work, subtrees they read."""

    desk_ids: frozenset
    subtree_paths: tuple
    # The units at the top of those subtrees (the keys of `access_keys` that name them).
    subtree_ids: frozenset = frozenset()
    # The desks they supervise (among `desk_ids`).
    supervised_ids: frozenset = frozenset()
    # Every unit they belong to, in any role (the help articles written above them reach them).
    unit_paths: tuple = ()
    # Each (unit id, role) of those memberships: the roles they file with.
    roles: frozenset = frozenset()


def reach(user) -> Reach:
    """The user's reach, computed once per user object (one query)."""
    cached = getattr(user, "_musanada_reach", None)
    if cached is not None:
        return cached
    desk_ids, supervised, paths, member_paths, roles = set(), set(), {}, set(), set()
    if _is_person(user) and not is_system(user):
        rows = Membership.objects.filter(user=user, is_active=True, unit__is_active=True).values_list(
            "unit_id", "unit__path", "role"
        )
        for unit_id, path, role in rows:
            member_paths.add(path)
            roles.add((unit_id, role))
            if role in DESK_ROLES:
                desk_ids.add(unit_id)
            if role == Role.SUPERVISOR:
                supervised.add(unit_id)
            if role in SUBTREE_ROLES:
                paths[path] = unit_id
    # A path inside another adds nothing: keep the outermost ones only.
    outer = tuple(sorted(p for p in paths if not any(p != o and p.startswith(o) for o in paths)))
    result = Reach(
        frozenset(desk_ids),
        outer,
        frozenset(paths[p] for p in outer),
        frozenset(supervised),
        tuple(sorted(member_paths)),
        frozenset(roles),
    )
    if not is_system(user):
        user._musanada_reach = result
    return result


def forget_reach(user) -> None:
    """Call after changing a user's memberships within the same request."""
    user.__dict__.pop("_musanada_reach", None)
    user.__dict__.pop("_musanada_unit_roots", None)


def paths_at_and_above(paths) -> set[str]:
    """Every unit path at or above the given ones: "/MEN/MA-01/MA-01-01/" gives itself, "/MEN/MA-01/" and
    "/MEN/" (what reaches down to a unit: articles, incidents, canned replies written above it)."""
    return {path[: end + 1] for path in paths for end, char in enumerate(path) if char == "/" and end}


def _outermost(units) -> list:
    ordered = sorted(units, key=lambda unit: unit.path)
    return [
        unit for unit in ordered if not any(o is not unit and unit.path.startswith(o.path) for o in ordered)
    ]


def _root_path(path: str) -> str:
    return "/" + path.strip("/").split("/")[0] + "/"


def unit_roots(user) -> list:
    """The outermost units whose tickets the user may narrow lists to and whose dashboards they may open:
    the subtrees they supervise or observe, the units under a desk they work, and the whole tree for a
    central desk (a central service receives from everywhere). One query, once per user object (a page asks
    for its lists, its help articles and its incidents); empty for a plain requester."""
    cached = user.__dict__.get("_musanada_unit_roots") if _is_person(user) else None
    if cached is not None:
        return list(cached)
    roots = _unit_roots(reach(user))
    if _is_person(user) and not is_system(user):
        user.__dict__["_musanada_unit_roots"] = roots
    return list(roots)


def _unit_roots(r: Reach) -> list:
    if not (r.desk_ids or r.subtree_paths):
        return []
    units = list(OrgUnit.objects.filter(Q(pk__in=r.desk_ids) | Q(path__in=r.subtree_paths)))
    central = [u for u in units if u.pk in r.desk_ids and u.kind in (UnitKind.SERVICE, UnitKind.CENTRAL)]
    if central:
        return list(OrgUnit.objects.filter(path=_root_path(central[0].path)))
    return _outermost(units)


def unit_in_reach(user, unit: OrgUnit | None, roots=None) -> bool:
    """Whether `unit` lies under one of the user's `unit_roots` (pass them when already read)."""
    if unit is None:
        return False
    roots = unit_roots(user) if roots is None else roots
    return any(unit.path.startswith(root.path) for root in roots)


# Filing ------------------------------------------------------------------------------------------------


def filing_units(user) -> QuerySet:
    """The units a user may file a request for: the active units they belong to, in any role (their
    `reach`, which the filing reads again for their roles)."""
    return OrgUnit.objects.filter(pk__in={unit_id for unit_id, _role in reach(user).roles}, is_active=True)


def filing_roles(user, unit: OrgUnit) -> set:
    """The user's roles in the unit they file for (from their `reach`); refuses a unit they do not belong
    to."""
    roles = set()
    if unit.is_active:
        roles = {role for unit_id, role in reach(user).roles if unit_id == unit.pk}
    if not roles:
        raise InvalidInput(
            _("You can only file a request for a unit you belong to."),
            code=ErrorCode.NOT_A_MEMBER,
            field="unit",
        )
    return roles


# Desks' own things: canned replies, quarantined mail, kept mail -----------------------------------------


def _is_administrator(user) -> bool:
    return _is_person(user) and user.is_superuser


def _supervised_desks(user) -> frozenset:
    return reach(user).supervised_ids


def writes_canned_replies(user, unit: OrgUnit | None = None) -> bool:
    """Whether the user writes the canned replies of `unit` (or of some desk, without one): the desk's
    supervisors, and administrators for every desk."""
    if _is_administrator(user):
        return True
    supervised = _supervised_desks(user)
    return bool(supervised) if unit is None else unit.pk in supervised


def canned_reply_units(user) -> QuerySet:
    """The desks whose canned replies the user writes: those they supervise; for administrators, also the
    central services, academies and provinces (not the 18,000 schools: a school's head writes in replies)."""
    written = Q(pk__in=_supervised_desks(user))
    if _is_administrator(user):
        written |= Q(kind__in=(UnitKind.SERVICE, UnitKind.ACADEMY, UnitKind.PROVINCE))
    return OrgUnit.objects.filter(written, is_active=True)


def canned_replies_for(user, ticket) -> QuerySet:
    """The canned replies offered to the user on the ticket: to an agent of the desk holding it, those of
    that desk and of every unit above it, and those of the central services (which answer for every
    level), the reader's language first. Nobody else is offered any."""
    if Party.DESK not in parties(user, ticket):
        return CannedReply.objects.none()
    shared = Q(unit__path__in=paths_at_and_above([ticket.desk.path])) | Q(unit__kind=UnitKind.SERVICE)
    first = Case(When(language=user.language, then=Value(0)), default=Value(1))
    return CannedReply.objects.filter(shared).order_by(first, "title", "pk")


def reviews_mail(user, desk: OrgUnit | None) -> bool:
    """Whether the user releases or discards the quarantined mail of `desk`'s mailboxes: administrators
    (superusers) that of every desk, a desk's supervisors that of their desk."""
    if _is_administrator(user):
        return True
    return desk is not None and desk.pk in _supervised_desks(user)


def reviews_any_mail(user) -> bool:
    """Whether the user reviews the quarantined mail of some desk (the page and its link are theirs)."""
    return _is_administrator(user) or bool(_supervised_desks(user))


def mail_review_scope(user) -> Q:
    """The received mails (`mail.InboundMessage`) whose review is the user's, as a condition on them."""
    if _is_administrator(user):
        return Q()
    return Q(mailbox__desk_id__in=_supervised_desks(user))


# Help articles -----------------------------------------------------------------------------------------


def _is_staff_side(r: Reach) -> bool:
    return bool(r.desk_ids or r.subtree_paths)


def readable_articles(user) -> QuerySet:
    """The published help articles the user may read, as articles: those written by a unit they belong to or
    one above it, those of the central level (they reach the whole country), and those written inside the
    part of the tree the user reads (`unit_roots`: the units under a desk they work, the subtrees they
    supervise or observe, all of it for a central desk). Articles for the desk side are for agents,
    supervisors and observers only. Archived articles are read by nobody."""
    if not _is_person(user) or is_system(user):
        return Article.objects.none()
    r = reach(user)
    scope = Q(unit__path__in=paths_at_and_above(r.unit_paths)) | Q(
        unit__kind__in=(UnitKind.SERVICE, UnitKind.CENTRAL)
    )
    for root in unit_roots(user):
        scope |= Q(unit__path__startswith=root.path)
    readable = Article.objects.filter(scope, published__isnull=False).exclude(status=ArticleStatus.ARCHIVED)
    if not _is_staff_side(r):
        readable = readable.filter(audience=Audience.EVERYONE)
    return readable


def article_units(user) -> QuerySet:
    """The units whose help articles the user writes: the desks they work (agents and supervisors); for
    administrators, also the central services, academies and provinces (as for canned replies)."""
    written = Q(pk__in=reach(user).desk_ids)
    if _is_administrator(user):
        written |= Q(kind__in=(UnitKind.SERVICE, UnitKind.ACADEMY, UnitKind.PROVINCE))
    return OrgUnit.objects.filter(written, is_active=True)


def writes_articles(user, unit: OrgUnit | None = None) -> bool:
    """Whether the user writes the help articles of `unit` (of some unit, without one)."""
    if not _is_person(user) or is_system(user):
        return False
    if unit is None:
        return _is_administrator(user) or bool(reach(user).desk_ids)
    return article_units(user).filter(pk=unit.pk).exists()


def reviews_articles(user, unit: OrgUnit) -> bool:
    """Whether the user reviews, publishes and archives the help articles of `unit`: its supervisors, and
    administrators."""
    return _is_administrator(user) or unit.pk in _supervised_desks(user)


def article_workspace(user) -> QuerySet:
    """The help articles the user works on, in every state (drafts, awaiting review, archived): those of
    the units they write for."""
    if not writes_articles(user):
        return Article.objects.none()
    return Article.objects.filter(unit__in=article_units(user))


# Known incidents ---------------------------------------------------------------------------------------


def incident_desks(user) -> QuerySet:
    """The desks for which the user declares and handles incidents: those they work."""
    return OrgUnit.objects.filter(pk__in=reach(user).desk_ids, is_active=True)


def declares_incident(user, desk: OrgUnit, scope: OrgUnit) -> bool:
    """Whether the user may declare an incident for `desk` over the units under `scope`: an agent of the
    desk, for a part of the tree the desk answers for (`unit_roots`: under a school, province or academy
    desk; anywhere for a central service)."""
    if not _is_person(user) or desk.pk not in reach(user).desk_ids:
        return False
    if desk.kind in (UnitKind.SERVICE, UnitKind.CENTRAL):
        return True
    return scope.path.startswith(desk.path)


def handles_incident(user, incident) -> bool:
    """Whether the user posts updates to the incident, attaches requests to it and resolves it: an agent of
    the desk that declared it."""
    return _is_person(user) and incident.desk_id in reach(user).desk_ids


def visible_incidents(user) -> QuerySet:
    """The incidents the user reads: those over a part of the tree holding one of their units (the banner
    they see), those declared by their desks, and those inside the part of the tree they read
    (`unit_roots`)."""
    if not _is_person(user) or is_system(user):
        return Incident.objects.none()
    r = reach(user)
    condition = Q(scope__path__in=paths_at_and_above(r.unit_paths)) | Q(desk_id__in=r.desk_ids)
    for root in unit_roots(user):
        condition |= Q(scope__path__startswith=root.path)
    return Incident.objects.filter(condition)


def incidents_concerning(user) -> QuerySet:
    """The ongoing incidents over a part of the tree holding one of the user's units: the banner they see on
    the inbox and the new-request page, and what their new request may follow. Latest first."""
    above = paths_at_and_above(reach(user).unit_paths) if _is_person(user) else set()
    return (
        Incident.objects.filter(status=IncidentStatus.OPEN, scope__path__in=above)
        .select_related("desk", "scope", "category", "category__parent")
        .order_by("-created_at")
    )


def incidents_covering(unit: OrgUnit, category) -> QuerySet:
    """The ongoing incidents that a request of `category` for `unit` may follow: over a part of the tree
    holding the unit, about the category or the system it belongs to."""
    about = [category.pk] + ([category.parent_id] if category.parent_id else [])
    return Incident.objects.filter(
        status=IncidentStatus.OPEN, category_id__in=about, scope__path__in=paths_at_and_above([unit.path])
    )


def incident_covers(incident, unit: OrgUnit, category) -> bool:
    """Whether a request of `category` for `unit` may follow the incident (`incidents_covering`, for one)."""
    in_scope = unit.path.startswith(incident.scope.path)
    about = category.pk == incident.category_id or category.parent_id == incident.category_id
    return incident.status == IncidentStatus.OPEN and in_scope and about


# Seeing tickets ----------------------------------------------------------------------------------------


def visible_tickets(user) -> QuerySet:
    """Every ticket the user may list: the union of `visibility_branches`. Exports and counts start here;
    paged lists read the branches one by one (selectors.ticket_list)."""
    if is_system(user):
        return Ticket.objects.all()
    branches = visibility_branches(user)
    if not branches:
        return Ticket.objects.none()
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return Ticket.objects.filter(condition)


def visibility_branches(user, *, keyed: bool = False) -> list[Q]:
    """The ways the user sees tickets, one condition each; together exactly `visible_tickets`.

    A list reads each branch through its own index and merges the pages: one query that ORs them makes the
    database give up the indexes (DESIGN, "rules for national volume").

    `keyed`: for a keyword search. On PostgreSQL, desks and subtrees are then one condition on the tickets'
    `access_keys`, which the GIN index `ticket_search_access` reads together with the words: otherwise a word
    found in half a million tickets none of which the reader may see makes the database read them all.
    SQLite has neither that index nor JSON containment, and reads the holdings as lists do."""
    if is_system(user):
        return [Q()]
    if not _is_person(user):
        return []
    r = reach(user)
    branches = [Q(requester=user)]
    if keyed and connection.vendor == "postgresql":
        if any(path.count("/") == 2 for path in r.subtree_paths):
            return [Q()]  # a reader of the whole country: every ticket originates under its root
        keys = [f"d{pk}" for pk in sorted(r.desk_ids)] + [f"u{pk}" for pk in sorted(r.subtree_ids)]
        if keys:
            reached = Q(access_keys__contains=[keys[0]])
            for key in keys[1:]:
                reached |= Q(access_keys__contains=[key])
            branches.append(reached)
        return branches
    if r.desk_ids:
        branches.append(
            Q(Exists(TicketHolding.objects.filter(ticket=OuterRef("pk"), desk_id__in=r.desk_ids)))
        )
    for path in r.subtree_paths:
        branches.append(Q(origin_unit__path__startswith=path))
        branches.append(
            Q(Exists(TicketHolding.objects.filter(ticket=OuterRef("pk"), desk__path__startswith=path)))
        )
    return branches


def access_keys(desks, origin=None, *, unit_ids: dict | None = None) -> list[str]:
    """The `Ticket.access_keys` that holding by `desks` (and originating at `origin`) give: "d<id>" for each
    desk, "u<id>" for each unit at or above them. One query for the units above, none when `unit_ids`
    (every unit's id by path) is given."""
    desks = list(desks)
    reached = [*desks, origin] if origin is not None else desks
    # "/MEN/AREF-RSK/DP-RABAT/" is under "/MEN/" and "/MEN/AREF-RSK/" and is itself.
    prefixes = paths_at_and_above(unit.path for unit in reached)
    if unit_ids is not None:
        above = [unit_ids[prefix] for prefix in prefixes if prefix in unit_ids]
    elif prefixes:
        above = list(OrgUnit.objects.filter(path__in=prefixes).values_list("pk", flat=True))
    else:
        above = []
    return sorted({f"u{pk}" for pk in above} | {f"d{desk.pk}" for desk in desks})


# Conditions that never reach beyond what the user may see: a list narrowed to one of them needs no other
# visibility test, and reads through the one index its condition names.


def own_requests(user) -> Q:
    """The user's own requests (a requester sees them all)."""
    return Q(requester=user)


def at_own_desks(user, desk_ids=None) -> Q:
    """Tickets held now by desks the user works (or by those of `desk_ids` among them)."""
    mine = reach(user).desk_ids
    return Q(desk_id__in=mine if desk_ids is None else mine & set(desk_ids))


def current_scope(user) -> Q:
    """The tickets the user reads as things stand now: their requests, those held now by their desks, those
    originating in their subtrees. A part of `visible_tickets` (not what their desks held before) that the
    database reads through plain column indexes: the dashboards' live counts use it."""
    if is_system(user):
        return Q()
    if not _is_person(user):
        return Q(pk__in=[])
    r = reach(user)
    scope = own_requests(user) | at_own_desks(user)
    if r.subtree_paths:
        under = OrgUnit.objects.filter(_paths_condition(r.subtree_paths)).values("pk")
        scope |= Q(origin_unit_id__in=under)
    return scope


def _paths_condition(paths) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return condition


def from_own_subtrees(user) -> Q:
    """Tickets that originate in a subtree the user supervises or observes."""
    within = Q(pk__in=[])
    for path in reach(user).subtree_paths:
        within |= Q(origin_unit__path__startswith=path)
    return within


def reads_internal(user, ticket) -> bool:
    """Whether the user sees the desk side of the ticket (internal notes, desk-only events)."""
    if is_system(user):
        return True
    if not _is_person(user):
        return False
    # Asked several times per page (actions, history, files): one query per ticket object and reader. The
    # services give the caller's object a fresh cache after an action (`forget_reads_internal`).
    cache = ticket.__dict__.setdefault("_musanada_reads_internal", {})
    if user.pk not in cache:
        cache[user.pk] = _on_staff_side(user, ticket)
    return cache[user.pk]


def _on_staff_side(user, ticket) -> bool:
    # The facts of the staff-side branches, asked of one ticket: its origin's path, then its few holdings
    # (an index lookup by ticket), never a scan of everything the user's desks ever held.
    r = reach(user)
    if any(ticket.origin_unit.path.startswith(path) for path in r.subtree_paths):
        return True
    if not (r.desk_ids or r.subtree_paths):
        return False
    return TicketHolding.objects.filter(_holding_desks(r), ticket_id=ticket.pk).exists()


def forget_reads_internal(ticket, *, into=None) -> None:
    """Call when the ticket's holdings may have changed (an action moved it); with `into`, pass what is known
    to that other object of the same ticket instead.

    Holdings are never removed, so a reader on the desk side stays there: only the "no" answers are
    forgotten (a desk the ticket moved to may be the reader's)."""
    known = ticket.__dict__.get("_musanada_reads_internal", {})
    kept = {reader: True for reader, answer in known.items() if answer}
    if into is None:
        ticket.__dict__["_musanada_reads_internal"] = kept
    else:
        into.__dict__.setdefault("_musanada_reads_internal", {}).update(kept)


def can_see(user, ticket) -> bool:
    if is_system(user):
        return True
    if not _is_person(user):
        return False
    return ticket.requester_id == user.pk or reads_internal(user, ticket)


def follows_by_mail(user, ticket) -> bool:
    """Whether a mail from the user that cites the ticket (one of its mails, its reference) is an answer
    on it rather than a new request: the requester's, or that of someone on its desk side. Anyone else
    (a colleague forwarding the requester's mail, say) files a request of their own."""
    return _is_person(user) and (ticket.requester_id == user.pk or reads_internal(user, ticket))


def sees_service_status(user) -> bool:
    """Whether the user reads the service's status page (its checks, the replica's lag, the jobs' queue):
    administrators only."""
    return _is_administrator(user)


def reads_kept_mail(user) -> bool:
    """Whether the user reads the mail the intake kept as it arrived and the attachments it refused
    (possibly hostile files): administrators only."""
    return _is_administrator(user)


def _holding_desks(r: Reach) -> Q:
    """On holdings: the desks whose past or present holding gives the user the desk side."""
    desks = Q(desk_id__in=r.desk_ids)
    for path in r.subtree_paths:
        desks |= Q(desk__path__startswith=path)
    return desks


def visible_among(user, ticket_ids) -> set:
    """Which of these tickets the user may see: two bounded queries (the tickets, their holdings) for a
    handful of ids, never a scan of everything the user may see."""
    ids = set(ticket_ids)
    if is_system(user):
        return ids
    if not ids or not _is_person(user):
        return set()
    r = reach(user)
    rows = Ticket.objects.filter(pk__in=ids).values_list("pk", "requester_id", "origin_unit__path")
    visible = {
        pk
        for pk, requester_id, path in rows
        if requester_id == user.pk or any(path.startswith(root) for root in r.subtree_paths)
    }
    rest = ids - visible
    if rest and (r.desk_ids or r.subtree_paths):
        held = TicketHolding.objects.filter(_holding_desks(r), ticket_id__in=rest).values_list(
            "ticket_id", flat=True
        )
        visible |= set(held)
    return visible


def internal_until(user, ticket) -> datetime | None:
    """Until when a staff-side reader reads the ticket's internal notes and desk-only events: None for
    always (the desk holding it, a supervisor or observer of its origin's or its desk's subtree, the
    system); for a reader whose only claim is a desk that held it and let it go, the moment it last left
    such a desk. Notes written after are for the desks that held it since (docs/access-policy.md)."""
    if is_system(user):
        return None
    r = reach(user)
    if ticket.desk_id in r.desk_ids:
        return None
    paths = r.subtree_paths
    if any(ticket.origin_unit.path.startswith(path) or ticket.desk.path.startswith(path) for path in paths):
        return None
    left = TicketHolding.objects.filter(_holding_desks(r), ticket_id=ticket.pk).values_list(
        "left_at", flat=True
    )
    moments = list(left)
    if not moments or None in moments:
        return None
    return max(moment for moment in moments if moment is not None)


def reads_every_note(user) -> Q | None:
    """The tickets whose internal notes the user reads in full, as a condition (None: none of them), for
    keyword search over the notes. It is `internal_until` saying "always": the desk holding the ticket, a
    supervisor or observer of its origin's or its desk's subtree, the system. A desk that let a ticket go
    reads the notes written until then only, so it finds the ticket by its public words alone: a word of a
    later note must not show it which ticket holds it."""
    if is_system(user):
        return Q()
    if not _is_person(user):
        return None
    r = reach(user)
    if not (r.desk_ids or r.subtree_paths):
        return None
    condition = Q(desk_id__in=r.desk_ids)
    for path in r.subtree_paths:
        condition |= Q(origin_unit__path__startswith=path) | Q(desk__path__startswith=path)
    return condition


def visible_events(user, ticket) -> QuerySet:
    """The ticket's history as the user may read it: nothing at all when they may not see the ticket; the
    desk side until `internal_until` for staff-side readers."""
    events = Event.objects.filter(ticket=ticket)
    if reads_internal(user, ticket):
        until = internal_until(user, ticket)
        if until is None:
            return events
        return events.filter(Q(public=True) | Q(created_at__lte=until))
    if not can_see(user, ticket):
        return events.none()
    return events.filter(public=True)


# Acting on a ticket ------------------------------------------------------------------------------------


def parties(user, ticket) -> set:
    """How the user stands to the ticket right now: requester, agent of its holding desk, or the system."""
    if is_system(user):
        return {Party.SYSTEM}
    if not _is_person(user):
        return set()
    result = set()
    if ticket.requester_id == user.pk:
        result.add(Party.REQUESTER)
    if ticket.desk_id in reach(user).desk_ids:
        result.add(Party.DESK)
    return result


class TicketFacts:
    """What the workflow's guards read of a ticket now; the facts that cost a query are read only if asked."""

    def __init__(self, ticket: Ticket, now=None, *, actor=None):
        self.ticket = ticket
        self.assigned_to_actor = actor is not None and ticket.assignee_id == actor.pk
        self.status: str = ticket.status
        self.level: str = ticket.desk.level
        self.resolved_at: datetime | None = ticket.resolved_at
        self.rated = ticket.rating is not None
        self.now: datetime = now or timezone.now()
        self.reopen_days: int = settings.MUSANADA["REOPEN_DAYS"]

    @cached_property
    def referrer(self) -> OrgUnit | None:
        return self.ticket.referring_desk()

    @property
    def has_referrer(self) -> bool:
        return self.referrer is not None

    @property
    def referrer_staffed(self) -> bool:
        return self.referrer is not None and has_desk_agent(self.referrer)

    @cached_property
    def _incident_status(self) -> str | None:
        if self.ticket.incident_id is None:
            return None
        return Incident.objects.filter(pk=self.ticket.incident_id).values_list("status", flat=True).first()

    @property
    def in_open_incident(self) -> bool:
        return self._incident_status == IncidentStatus.OPEN

    @property
    def incident_resolved(self) -> bool:
        return self._incident_status == IncidentStatus.RESOLVED


def available_actions(user, ticket) -> list[str]:
    """The actions to offer this user on this ticket: exactly those `authorize` accepts now."""
    return workflow.available_actions(parties(user, ticket), TicketFacts(ticket, actor=user))


_ACTION_REFUSED = _("You may not do this on this ticket.")
_WRONG_STATUS = _("This action is not possible while the ticket is “%(status)s”.")
_WRONG_LEVEL: dict[str, Promise] = {
    workflow.Action.ESCALATE: _("A ticket at the central level cannot be referred any further."),
    workflow.Action.RETURN: _("A ticket at the school level has no lower desk to return to."),
    workflow.Action.TRANSFER: _("Only central services transfer tickets between themselves."),
}


def authorize(
    user, ticket, action: str, facts: TicketFacts | None = None, *, seen: bool = False
) -> workflow.Decision:
    """The workflow's decision allowing the user to do `action` on the ticket now; a clear error otherwise.

    404 when the user may not see the ticket (it must not reveal that it exists), 403 when they may see it
    but not act, 409 when the action exists for them but not in the ticket's status, level or situation.
    `seen`: the caller already checked `can_see`.
    """
    if not seen and not can_see(user, ticket):
        raise NotFound(_("No such ticket."))
    facts = facts or TicketFacts(ticket, actor=user)
    decision = workflow.decide(action, parties(user, ticket), facts)
    if decision.refusal is None:
        return decision
    if decision.refusal == Refusal.NO_RULE:
        raise Forbidden(_ACTION_REFUSED)
    if decision.refusal == Refusal.WRONG_STATUS:
        raise IllegalTransition(_WRONG_STATUS, params={"status": Status(ticket.status).label})
    if decision.refusal == Refusal.WRONG_LEVEL:
        raise IllegalTransition(_WRONG_LEVEL.get(action, _ACTION_REFUSED))
    guard = decision.guard
    assert guard is not None  # the only refusal left is a guard's
    raise IllegalTransition(guard.message, code=guard.code, params=guard.params(facts))
