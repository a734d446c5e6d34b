"""Known incidents: one answer for many requests. A desk declares what many people report at once; requests
that report it follow it (filed as following it, or attached by their desk), hear its updates once, and are
resolved with it, each through the ticket services so that history, service levels and notifications stay
right (docs/workflow.md, "Known incidents")."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import Conflict, ErrorCode, Forbidden, IllegalTransition, InvalidInput, NotFound
from musanada.core.text import required_text
from musanada.jobs.runner import enqueue
from musanada.org.models import Category, OrgUnit
from musanada.tickets import policy, reactions, search
from musanada.tickets.models import Event, Incident, IncidentStatus, IncidentUpdate, Ticket
from musanada.tickets.workflow import OPEN_STATUSES, EventKind

TITLE_MAX = 200
TEXT_MAX = 5000
RESOLVE_JOB = "tickets.resolve_incident_requests"


def incident_declare(
    user, *, desk: OrgUnit, category: Category, scope: OrgUnit, title: str, description: str
) -> Incident:
    """A desk declares a known incident for a category over the units under `scope`."""
    if not isinstance(desk, OrgUnit) or not isinstance(scope, OrgUnit):
        raise InvalidInput(
            _("Choose your desk and the units concerned."), code=ErrorCode.INVALID_UNIT, field="scope"
        )
    if not policy.incident_desks(user).filter(pk=desk.pk).exists():
        raise InvalidInput(_("Choose a desk you work at."), code=ErrorCode.INVALID_UNIT, field="desk")
    if not policy.declares_incident(user, desk, scope):
        raise InvalidInput(
            _("Your desk declares incidents only for the units it answers for."),
            code=ErrorCode.INVALID_UNIT,
            field="scope",
        )
    if not isinstance(category, Category) or not category.is_active:
        raise InvalidInput(_("Choose a category."), code=ErrorCode.INVALID_CATEGORY, field="category")
    title = required_text(title, "title", _("Give the incident a title."), max_length=TITLE_MAX, line=True)
    description = required_text(
        description, "description", _("Say what happens and what people should do."), max_length=TEXT_MAX
    )
    return Incident.objects.create(
        desk=desk,
        category=category,
        scope=scope,
        title=title,
        description=description,
        created_by=user,
        created_at=timezone.now(),
    )


def incident_get_for(user, incident_id) -> Incident:
    """One incident the user reads; NotFound otherwise."""
    incident = (
        policy.visible_incidents(user)
        .select_related("desk", "scope", "category", "category__parent")
        .filter(pk=incident_id)
        .first()
        if str(incident_id).isdigit()
        else None
    )
    if incident is None:
        raise NotFound(_("No such incident."))
    return incident


def _handled(user, incident_id, *, lock: bool = True) -> Incident:
    incident = incident_get_for(user, incident_id)
    if not policy.handles_incident(user, incident):
        raise Forbidden(_("Only the desk that declared the incident handles it."))
    if lock:
        incident = Incident.objects.select_for_update().select_related("desk", "scope").get(pk=incident.pk)
    return incident


def _still_open(incident: Incident) -> None:
    if incident.status != IncidentStatus.OPEN:
        raise IllegalTransition(_("This incident is resolved."))


def followed_data(incident: Incident) -> dict:
    """What the history line "follows the known incident" records (the services write it)."""
    return {"incident": incident.pk, "title": incident.title, "desk": incident.desk.code}


def check_covers(incident, unit: OrgUnit, category: Category, field: str = "incident") -> None:
    """Refuse an incident that is resolved, or not about requests of this category from this unit."""
    if not policy.incident_covers(incident, unit, category):
        raise InvalidInput(
            _("This incident is not about this request (its category or its units differ), or it is over."),
            code=ErrorCode.INVALID_INCIDENT,
            field=field,
        )


@transaction.atomic
def incident_post_update(user, incident_id, body: str) -> IncidentUpdate:
    """Tell every requester whose request follows the incident what is new: one line in each request's
    history, and one notification (page, bell, e-mail) per requester, however many requests they have."""
    incident = _handled(user, incident_id)
    _still_open(incident)
    body = required_text(body, "body", _("Write the update."), max_length=TEXT_MAX)
    now = timezone.now()
    update = IncidentUpdate.objects.create(incident=incident, body=body, author=user, created_at=now)
    told: set[int] = set()
    tickets = Ticket.objects.filter(incident=incident, status__in=OPEN_STATUSES).order_by("pk")
    for ticket in tickets.select_related("desk", "origin_unit").iterator(chunk_size=500):
        event = Event(
            ticket=ticket,
            kind=EventKind.INCIDENT_UPDATE,
            actor=user,
            created_at=now,
            body=body,
            data={"incident": incident.pk, "update": update.pk},
        )
        event.save()
        # The reactions (the notification) run for a requester's first request only: told once.
        if ticket.requester_id not in told:
            told.add(ticket.requester_id)
            reactions.run(ticket, [event])
    Ticket.objects.filter(incident=incident, status__in=OPEN_STATUSES).update(
        updated_at=now, search_text=search.public_words_added(body)
    )
    return update


@transaction.atomic
def incident_resolve(user, incident_id, resolution: str) -> Incident:
    """The incident is over: it is marked resolved now, and a job resolves every request that follows it
    with `resolution`, each through the ticket services (as the system). Asking again after a failure
    resolves those left."""
    incident = _handled(user, incident_id)
    if incident.status == IncidentStatus.OPEN:
        incident.resolution = required_text(
            resolution, "resolution", _("Say how the incident was solved."), max_length=TEXT_MAX
        )
        incident.status, incident.resolved_by, incident.resolved_at = (
            IncidentStatus.RESOLVED,
            user,
            timezone.now(),
        )
        incident.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    enqueue(RESOLVE_JOB, {"incident": incident.pk})
    return incident


def resolve_following_requests(incident_id: int) -> int:
    """Resolve, one transaction each, the open requests that follow the resolved incident (the job's work;
    idempotent). Returns how many were resolved."""
    from musanada.tickets.services import ticket_resolve_with_incident

    incident = Incident.objects.filter(pk=incident_id, status=IncidentStatus.RESOLVED).first()
    if incident is None:
        return 0
    done = 0
    for pk in Ticket.objects.filter(incident=incident, status__in=OPEN_STATUSES).values_list("pk", flat=True):
        ticket = Ticket.objects.select_related("desk").get(pk=pk)
        try:
            ticket_resolve_with_incident(ticket, incident)
        except (IllegalTransition, InvalidInput, Conflict):
            continue  # changed meanwhile (resolved by its desk): nothing left to do on it
        done += 1
    return done
