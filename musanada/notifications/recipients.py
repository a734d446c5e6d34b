"""Who is concerned by an event, whatever the channel that tells them (the bell now, e-mail later).

A plain function of the event, its ticket and the desk memberships: it writes nothing and sends nothing.
"""

from django.contrib.auth import get_user_model

from musanada.notifications.models import NotificationKind
from musanada.tickets import policy
from musanada.tickets.workflow import EventKind, Party

# Events that put the ticket on a desk, and where each one says which desk.
_LANDINGS = {
    EventKind.FILED: lambda data: data.get("desk"),
    EventKind.ROUTED_UP: lambda data: data.get("desk"),
    EventKind.ESCALATED: lambda data: (data.get("to") or {}).get("code"),
    EventKind.RETURNED: lambda data: (data.get("to") or {}).get("code"),
    EventKind.TRANSFERRED: lambda data: (data.get("to") or {}).get("code"),
}

_TO_REQUESTER = {
    EventKind.INFO_REQUESTED: NotificationKind.INFO_REQUESTED,
    EventKind.RESOLVED: NotificationKind.RESOLVED,
    EventKind.MERGED: NotificationKind.MERGED,
    EventKind.INCIDENT_FOLLOWED: NotificationKind.INCIDENT,
    EventKind.INCIDENT_UPDATE: NotificationKind.INCIDENT,
}

_TO_HANDLER = {
    EventKind.INFO_PROVIDED: NotificationKind.INFO_PROVIDED,
    EventKind.REOPENED: NotificationKind.REOPENED,
}


def _supervisors(code) -> list:
    """Who answers for a desk's delays: its supervisors, or its agents when it has none (a school's head)."""
    people = list(policy.desk_agents(code, supervisors_only=True))
    return people or list(policy.desk_agents(code))


def _service_level(event) -> list:
    # At risk: the desk's supervisors. Missed: they, and the people of the desk above that the ticket would
    # go to who may read it (its supervisors read the subtree; its agents only read what reached them).
    data = event.data or {}
    users = _supervisors(data.get("desk")) if data.get("desk") else []
    if event.kind == EventKind.SLA_BREACHED and data.get("above"):
        users += [
            user
            for user in policy.desk_agents(data["above"])
            if user not in users and policy.can_see(user, event.ticket)
        ]
    return users


def _requester(ticket) -> list:
    return [ticket.requester] if ticket.requester.is_active else []


def _handlers(ticket) -> list:
    """Whoever works the ticket: its assignee, or every agent of the desk holding it when nobody has it."""
    if ticket.assignee_id is not None and ticket.assignee.is_active:
        return [ticket.assignee]
    return list(policy.desk_agents(ticket.desk))


def _assignee(event) -> list:
    # The event names whom it assigned: the ticket may have changed hands since, when another channel asks.
    username = (event.data or {}).get("assignee")
    if not username or (event.actor is not None and event.actor.username == username):
        return []
    return list(get_user_model().objects.filter(username=username, is_active=True))


def _from_requester(event) -> bool:
    party = (event.data or {}).get("party")
    if party:
        return party == Party.REQUESTER
    return not event.by_system and event.actor_id == event.ticket.requester_id


def recipients_for(event) -> list[tuple]:
    """(user, NotificationKind) for each person the event concerns, in a stable order.

    Never the actor, and never the requester for an internal event.
    """
    ticket = event.ticket
    kind = event.kind
    data = event.data or {}
    if kind in _LANDINGS:
        code = _LANDINGS[kind](data)
        users = list(policy.desk_agents(code)) if code else []
        notification = NotificationKind.NEW_TICKET
    elif kind == EventKind.REPLY:
        users = _handlers(ticket) if _from_requester(event) else _requester(ticket)
        notification = NotificationKind.REPLY
    elif kind in _TO_REQUESTER:
        users, notification = _requester(ticket), _TO_REQUESTER[kind]
    elif kind in _TO_HANDLER:
        users, notification = _handlers(ticket), _TO_HANDLER[kind]
    elif kind == EventKind.ASSIGNED:
        users, notification = _assignee(event), NotificationKind.ASSIGNED
    elif kind in (EventKind.SLA_AT_RISK, EventKind.SLA_BREACHED):
        users = _service_level(event)
        notification = NotificationKind(kind)
    else:
        return []
    excluded = set()
    if not event.by_system and event.actor_id is not None:
        excluded.add(event.actor_id)
    if not event.public:
        excluded.add(ticket.requester_id)
    return [(user, notification) for user in users if user.pk not in excluded]


def recipients_for_batch(events) -> list[tuple]:
    """(user, NotificationKind, event) for the events one action appended, each person told once per ticket.

    The first event that concerns a person wins (an escalation rather than the routing up that follows it),
    and whoever acted is told nothing of what their action caused, the system's follow-ups included.
    """
    actors = {event.actor_id for event in events if not event.by_system and event.actor_id is not None}
    seen, result = set(), []
    for event in events:
        for user, kind in recipients_for(event):
            key = (user.pk, event.ticket_id)
            if user.pk in actors or key in seen:
                continue
            seen.add(key)
            result.append((user, kind, event))
    return result
