"""Who may see and do what: the one place that decides.

Two questions, answered from the same facts so that they can never disagree:
- `visible_tickets(user)`: the tickets a user may list, as a query filter (lists, search, exports, API);
- `parties(user, ticket)` / `authorize(...)`: how a user stands to one ticket, and may they act.

Rules: a requester sees their own tickets without internal notes; the agents of a desk act on the tickets the
desk holds and keep read access to the tickets it once held; supervisors and observers read everything that
originates in or passed through their subtree; nobody sees across subtrees. Administrators get nothing here
by being administrators: they act on tickets only through a desk role.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from musanada.core.actors import is_system
from musanada.core.errors import Forbidden, IllegalTransition, NotFound
from musanada.org.models import DESK_ROLES, SUBTREE_ROLES, Membership
from musanada.tickets import routing, workflow
from musanada.tickets.models import Event, Ticket, TicketHolding
from musanada.tickets.workflow import Party, Status


@dataclass(frozen=True)
class Reach:
    """What a user's active memberships give: desks they work, subtrees they read."""

    desk_ids: frozenset
    subtree_paths: tuple


def reach(user) -> Reach:
    """The user's reach, computed once per user object (one query)."""
    cached = getattr(user, "_musanada_reach", None)
    if cached is not None:
        return cached
    desk_ids, paths = set(), set()
    rows = Membership.objects.filter(user=user, is_active=True, unit__is_active=True).values_list(
        "unit_id", "unit__path", "role"
    )
    for unit_id, path, role in rows:
        if role in DESK_ROLES:
            desk_ids.add(unit_id)
        if role in SUBTREE_ROLES:
            paths.add(path)
    # A path inside another adds nothing: keep the outermost ones only.
    outer = tuple(sorted(p for p in paths if not any(p != o and p.startswith(o) for o in paths)))
    result = Reach(frozenset(desk_ids), outer)
    user._musanada_reach = result
    return result


def forget_reach(user) -> None:
    """Call after changing a user's memberships within the same request."""
    user.__dict__.pop("_musanada_reach", None)


def _staff_side_filter(user) -> Q | None:
    """Tickets the user reads as desk staff, supervisor or observer (and so with internal notes)."""
    r = reach(user)
    conditions = []
    if r.desk_ids:
        conditions.append(Exists(TicketHolding.objects.filter(ticket=OuterRef("pk"), desk_id__in=r.desk_ids)))
    for path in r.subtree_paths:
        conditions.append(Q(origin_unit__path__startswith=path))
        conditions.append(
            Exists(TicketHolding.objects.filter(ticket=OuterRef("pk"), desk__path__startswith=path))
        )
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def visible_tickets(user) -> QuerySet:
    """Every ticket the user may list. Each list, search, export and API endpoint starts here."""
    if is_system(user):
        return Ticket.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Ticket.objects.none()
    condition = Q(requester=user)
    staff_side = _staff_side_filter(user)
    if staff_side is not None:
        condition |= staff_side
    return Ticket.objects.filter(condition)


def reads_internal(user, ticket) -> bool:
    """Whether the user sees the desk side of the ticket (internal notes, desk-only events)."""
    if is_system(user):
        return True
    # A disabled account keeps its memberships on record; they must not keep opening the desk side.
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    staff_side = _staff_side_filter(user)
    return staff_side is not None and Ticket.objects.filter(staff_side, pk=ticket.pk).exists()


def can_see(user, ticket) -> bool:
    if is_system(user):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return ticket.requester_id == user.pk or reads_internal(user, ticket)


def parties(user, ticket) -> set:
    """How the user stands to the ticket right now: requester, agent of its holding desk, or the system."""
    if is_system(user):
        return {Party.SYSTEM}
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    result = set()
    if ticket.requester_id == user.pk:
        result.add(Party.REQUESTER)
    if ticket.desk_id in reach(user).desk_ids:
        result.add(Party.DESK)
    return result


def visible_events(user, ticket) -> QuerySet:
    """The ticket's history as the user may read it: nothing at all when they may not see the ticket."""
    events = Event.objects.filter(ticket=ticket)
    if reads_internal(user, ticket):
        return events
    if not can_see(user, ticket):
        return events.none()
    return events.filter(public=True)


def available_actions(user, ticket) -> list[str]:
    """The actions to offer this user on this ticket (pages show nothing else)."""
    actions = workflow.available_actions(parties(user, ticket), ticket.status, ticket.desk.level)
    # "Return" needs a desk that referred the ticket here: one filed at this level has none.
    if workflow.Action.RETURN in actions and routing.referring_desk(ticket) is None:
        actions.remove(workflow.Action.RETURN)
    # A ticket is rated once (ticket_rate refuses a second rating): offering the form again only leads there.
    if workflow.Action.RATE in actions and ticket.rating is not None:
        actions.remove(workflow.Action.RATE)
    return actions


_ACTION_REFUSED = _("You may not do this on this ticket.")
_WRONG_STATUS = _("This action is not possible while the ticket is “%(status)s”.")
_WRONG_LEVEL = {
    workflow.Action.ESCALATE: _("A ticket at the central level cannot be referred any further."),
    workflow.Action.RETURN: _("A ticket at the school level has no lower desk to return to."),
    workflow.Action.TRANSFER: _("Only central services transfer tickets between themselves."),
}


def authorize(user, ticket, action: str) -> workflow.Rule:
    """The rule under which the user may do `action` on the ticket now; raises a clear error otherwise.

    404 when the user may not see the ticket (it must not reveal that it exists), 403 when they may see it
    but not act, 409 when the action exists for them but not in the ticket's status or level.
    """
    if not can_see(user, ticket):
        raise NotFound(_("No such ticket."))
    rule = workflow.rule_for(action, parties(user, ticket))
    if rule is None:
        raise Forbidden(_ACTION_REFUSED)
    if ticket.status not in rule.sources:
        raise IllegalTransition(_WRONG_STATUS, params={"status": Status(ticket.status).label})
    if ticket.desk.level not in rule.levels:
        raise IllegalTransition(_WRONG_LEVEL.get(action, _ACTION_REFUSED))
    return rule
