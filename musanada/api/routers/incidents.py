"""Known incidents over the API: the list and one incident as the caller reads them, and for the desk that
declared one, its updates and its resolution; declaring one.

Each handler only translates: the policy decides who reads an incident (404 for one the caller may not read,
like a missing one) and who handles it, the incident services do the rest, and refusals become problem
documents (docs/workflow.md, "Known incidents").
"""

from typing import Annotated

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from musanada.api.problems import ERRORS
from musanada.api.schemas import (
    IncidentDetail,
    IncidentId,
    IncidentIn,
    IncidentList,
    IncidentResolveIn,
    IncidentUpdateIn,
    IncidentUpdateOut,
)
from musanada.core.errors import ErrorCode, InvalidInput
from musanada.org.models import Category, OrgUnit
from musanada.tickets import incidents, policy
from musanada.tickets.models import Incident, IncidentStatus, IncidentUpdate, Ticket

router = Router(tags=["incidents"])

LISTED = 100

Id = Annotated[IncidentId, Path(description="The incident's id")]


# Output ----------------------------------------------------------------------------------------------


def _ref(unit: OrgUnit) -> dict:
    return {"code": unit.code, "name": unit.name}


def _concerning(user) -> set[int]:
    return set(policy.incidents_concerning(user).values_list("pk", flat=True))


def incident_out(incident: Incident, concerning: set[int]) -> dict:
    return {
        "id": incident.pk,
        "title": incident.title,
        "description": incident.description,
        "status": incident.status,
        "category": incident.category.code,
        "scope": _ref(incident.scope),
        "desk": _ref(incident.desk),
        "created_at": incident.created_at,
        "resolved_at": incident.resolved_at,
        "resolution": incident.resolution,
        "concerns_me": incident.pk in concerning,
        "url": reverse("incident-detail", args=[incident.pk]),
    }


def update_out(update: IncidentUpdate) -> dict:
    # Signed like a desk's reply in a request's history: requesters see who answered them.
    return {"body": update.body, "created_at": update.created_at, "author": update.author.username}


def incident_detail_out(user, incident_id: int) -> dict:
    """The incident as the caller reads it now (NotFound when they may not)."""
    incident = incidents.incident_get_for(user, incident_id)
    handles = policy.handles_incident(user, incident)
    updates = incident.updates.select_related("author")
    return {
        **incident_out(incident, _concerning(user)),
        "updates": [update_out(update) for update in updates],
        "following": Ticket.objects.filter(incident=incident).count() if handles else None,
    }


# Lookups ---------------------------------------------------------------------------------------------


def _unit(queryset, code: str, field: str, message) -> OrgUnit:
    unit = queryset.filter(code=code, is_active=True).first()
    if unit is None:
        raise InvalidInput(message, code=ErrorCode.INVALID_UNIT, field=field)
    return unit


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise InvalidInput(_("Choose a valid category."), code=ErrorCode.INVALID_CATEGORY, field="category")
    return category


# Listing and reading ---------------------------------------------------------------------------------


class IncidentListParams(Schema):
    status: IncidentStatus = Field(IncidentStatus.OPEN, description="Ongoing (open) or resolved incidents")


@router.get(
    "/incidents",
    response={200: IncidentList, **ERRORS},
    summary="The known incidents the caller reads, latest first",
    description=f"At most {LISTED}: ongoing ones latest declared first, resolved ones latest resolved first.",
)
def incident_list(request, params: Query[IncidentListParams]):
    user = request.auth
    found = policy.visible_incidents(user).filter(status=params.status)
    # As on the web page: the latest news first, which for a resolved incident is its resolution.
    latest = "-created_at" if params.status == IncidentStatus.OPEN else "-resolved_at"
    found = found.select_related("desk", "scope", "category").order_by(latest, "-pk")[:LISTED]
    concerning = _concerning(user)
    return {"items": [incident_out(incident, concerning) for incident in found]}


@router.get(
    "/incidents/{id}",
    response={200: IncidentDetail, **ERRORS},
    url_name="incident_get",
    summary="A known incident with its updates",
)
def incident_get(request, id: Id):
    return incident_detail_out(request.auth, id)


# The desk's side -------------------------------------------------------------------------------------


@router.post(
    "/incidents",
    response={201: IncidentDetail, **ERRORS},
    summary="Declare a known incident for one of the caller's desks",
)
def incident_create(request, payload: IncidentIn):
    user = request.auth
    desk = _unit(
        policy.incident_desks(user),
        payload.desk,
        "desk",
        _("Choose one of the desks you work: its code."),
    )
    scope = _unit(OrgUnit.objects.all(), payload.scope, "scope", _("No unit has this code."))
    incident = incidents.incident_declare(
        user,
        desk=desk,
        category=_category(payload.category),
        scope=scope,
        title=payload.title,
        description=payload.description,
    )
    return Status(201, incident_detail_out(user, incident.pk))


@router.post(
    "/incidents/{id}/updates",
    response={201: IncidentUpdateOut, **ERRORS},
    summary="Tell the requesters who follow the incident what is new (its desk only)",
)
def incident_update(request, id: Id, payload: IncidentUpdateIn):
    update = incidents.incident_post_update(request.auth, id, payload.body)
    return Status(201, update_out(update))


@router.post(
    "/incidents/{id}/resolve",
    response={200: IncidentDetail, **ERRORS},
    summary="Resolve the incident, and with it every request that follows it (its desk only)",
)
def incident_resolve(request, id: Id, payload: IncidentResolveIn):
    incidents.incident_resolve(request.auth, id, payload.resolution)
    return incident_detail_out(request.auth, id)
