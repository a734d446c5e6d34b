"""Tickets over the API: list, file, read, one endpoint per workflow action, and files.

Each handler only translates: the policy decides what the caller sees (404 for what they may not see, like a
missing ticket), the services decide what an action does, and refusals become problem documents.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import FileResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Header, Path, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from musanada.api import services as api_services
from musanada.api.models import IdempotencyRecord
from musanada.api.problems import ERRORS
from musanada.api.schemas import (
    REFERENCE_PATTERN,
    ActionIn,
    Code,
    TicketDetail,
    TicketIn,
    TicketPage,
    Version,
    action_schema,
)
from musanada.core.errors import ErrorCode, InvalidInput, NotFound
from musanada.org.models import Category, OrgUnit, UnitKind
from musanada.tickets import actions, events, policy, selectors, services
from musanada.tickets.actions import Kind
from musanada.tickets.models import Attachment
from musanada.tickets.selectors import Sort
from musanada.tickets.workflow import Action, Channel, Status

router = Router(tags=["tickets"])

Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="e.g. MSN-2026-000123")]


def api_action_name(action: str) -> str:
    """Workflow names use underscores; URLs use dashes (request_info → request-info)."""
    return action.replace("_", "-")


# Output ----------------------------------------------------------------------------------------------


def _ref(obj) -> dict:
    return {"code": obj.code, "name": obj.name}


def ticket_out(ticket) -> dict:
    return {
        "reference": ticket.reference,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "category": _ref(ticket.category),
        "origin_unit": _ref(ticket.origin_unit),
        "desk": _ref(ticket.desk),
        "desk_level": ticket.desk.level,
        "requester": ticket.requester.username,
        "assignee": ticket.assignee.username if ticket.assignee_id else None,
        "channel": ticket.channel,
        "rating": ticket.rating,
        "filed_at": ticket.filed_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "version": ticket.version,
    }


def ticket_detail_out(user, ticket) -> dict:
    history = policy.visible_events(user, ticket).select_related("actor").prefetch_related("attachments")
    items = []
    for event, text in events.describe_all(history, known_units=(ticket.desk, ticket.origin_unit)):
        items.append(
            {
                "id": event.pk,
                "kind": event.kind,
                "text": text,
                "actor": event.actor.username if event.actor_id else None,
                "by_system": event.by_system,
                "public": event.public,
                "created_at": event.created_at,
                "body": event.body,
                "data": event.data or {},
                "attachments": [
                    {
                        "token": attachment.token,
                        "name": attachment.original_name,
                        "content_type": attachment.content_type,
                        "size": attachment.size,
                        "url": reverse(
                            "api-v1:ticket_attachment_download",
                            kwargs={"reference": ticket.reference, "token": attachment.token},
                        ),
                    }
                    for attachment in event.attachments.all()
                ],
            }
        )
    return {
        **ticket_out(ticket),
        "description": ticket.description,
        "events": items,
        "actions": [api_action_name(action) for action in policy.available_actions(user, ticket)],
    }


def _fresh_detail(user, reference: str) -> dict:
    return ticket_detail_out(user, selectors.ticket_get_for(user, reference))


# Listing ---------------------------------------------------------------------------------------------


class TicketListParams(Schema):
    status: Status | None = None
    desk: Code | None = Field(None, description="Code of the desk holding the ticket now")
    category: Code | None = Field(
        None, description="A category code; an information system includes its topics"
    )
    origin_unit: Code | None = Field(None, description="A unit code: tickets filed there or under it")
    updated_since: datetime | None = Field(None, description="Changed at or after this moment")
    q: str | None = Field(
        None,
        max_length=200,
        description=(
            "Keywords: the reference, or words that start words of the subject, the description or the "
            "conversation the caller may read (internal notes for those who read them all), after folding "
            "accents, hamza forms and the Arabic article"
        ),
    )
    sort: Sort | None = Field(None, description="By default, relevance with q and last activity without")
    cursor: str | None = Field(None, max_length=512, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=200)


def _moment(value: datetime) -> datetime:
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(
            _("This date is out of range."), code=ErrorCode.INVALID_DATE, field="updated_since"
        ) from None


def _list_query(user, params: TicketListParams) -> selectors.TicketQuery | None:
    """The web inbox's query object, from the API's parameters. None for an unknown desk or category (the
    list is empty, as for one with no tickets); an origin unit outside reach is refused, as on the web."""
    desk = category = None
    if params.desk:
        desk = OrgUnit.objects.filter(code=params.desk).first()
        if desk is None:
            return None
    if params.category:
        category = Category.objects.filter(code=params.category).first()
        if category is None:
            return None
    return selectors.TicketQuery(
        status=params.status or "",
        desk=desk,
        category=category,
        unit=selectors.origin_unit(user, params.origin_unit or ""),
        updated_since=_moment(params.updated_since) if params.updated_since else None,
        query=params.q or "",
        sort=params.sort or "",
    )


@router.get("/tickets", response={200: TicketPage, **ERRORS}, summary="The tickets the caller may list")
def ticket_list(request, params: Query[TicketListParams]):
    query = _list_query(request.auth, params)
    if query is None:
        return {"items": [], "next_cursor": None}
    page = query.page(request.auth, cursor=params.cursor, limit=params.limit)
    return {"items": [ticket_out(ticket) for ticket in page.items], "next_cursor": page.next_cursor}


# Filing ----------------------------------------------------------------------------------------------


def _filing_unit(user, code: str | None) -> OrgUnit:
    units = policy.filing_units(user)
    if code is not None:
        unit = units.filter(code=code).first()
    else:
        only = list(units[:2])
        unit = only[0] if len(only) == 1 else None
    if unit is None:
        raise InvalidInput(
            _("Choose the unit you file for: the code of one of your units."),
            code=ErrorCode.INVALID_UNIT,
            field="unit",
        )
    return unit


def _category_by_code(code: str | None, field: str = "category") -> Category:
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    if category is None:
        raise InvalidInput(_("Choose a valid category."), code=ErrorCode.INVALID_CATEGORY, field=field)
    return category


def _idempotency_key_problem():
    return InvalidInput(
        _("The Idempotency-Key header must be 1 to 255 visible ASCII characters."),
        code=ErrorCode.INVALID,
        field="Idempotency-Key",
    )


def _check_key(key: str) -> str:
    if not key or len(key) > 255 or not all(33 <= ord(c) <= 126 for c in key):
        raise _idempotency_key_problem()
    return key


def _replay(record: IdempotencyRecord, fingerprint: str):
    if record.fingerprint != fingerprint:
        raise InvalidInput(
            _("This Idempotency-Key was already used for another request."),
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
            field="Idempotency-Key",
        )
    response = JsonResponse(record.body, status=record.status, json_dumps_params={"ensure_ascii": False})
    response["Idempotent-Replayed"] = "true"
    if record.location:
        response["Location"] = record.location
    return response


@router.post(
    "/tickets",
    response={201: TicketDetail, **ERRORS},
    summary="File a request for the caller",
    description=(
        "Routed as on the web. With an `Idempotency-Key` header, a retry with the same key and the same body "
        "returns the first answer and files nothing; the same key with another body is refused (422)."
    ),
)
def ticket_create(
    request,
    payload: TicketIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
):
    user = request.auth
    # A body without an incident keeps the fingerprint it had before the field existed: a retry sent across
    # an upgrade still replays its answer.
    sent = payload.model_dump(mode="json", exclude={"incident"} if payload.incident is None else None)
    fingerprint = hashlib.sha256(json.dumps(sent, sort_keys=True, ensure_ascii=True).encode()).hexdigest()
    if idempotency_key is not None:
        key = _check_key(idempotency_key)
        record = api_services.idempotency_recorded(user, key)
        if record is not None:
            return _replay(record, fingerprint)

    def file():
        ticket = services.ticket_file(
            user,
            unit=_filing_unit(user, payload.unit),
            category=_category_by_code(payload.category),
            subject=payload.subject,
            description=payload.description,
            priority=payload.priority,
            channel=Channel.API,
            incident=payload.incident,
        )
        # The service's own object, with its unit, desk and category: the requester sees what they filed.
        detail = TicketDetail.model_validate(ticket_detail_out(user, ticket))
        return ticket, detail.model_dump(mode="json")

    if idempotency_key is None:
        ticket, body = file()
    else:
        try:
            # The ticket and the record of its answer commit together: a concurrent retry with the same key
            # fails on the unique constraint, rolls its ticket back, and replays the winner's answer.
            with transaction.atomic():
                ticket, body = file()
                location = reverse("api-v1:ticket_get", kwargs={"reference": ticket.reference})
                api_services.idempotency_record(
                    user, key, fingerprint=fingerprint, status=201, body=body, location=location
                )
        except IntegrityError:
            record = api_services.idempotency_recorded(user, key)
            if record is None:
                raise
            return _replay(record, fingerprint)
    response = JsonResponse(body, status=201, json_dumps_params={"ensure_ascii": False})
    response["Location"] = reverse("api-v1:ticket_get", kwargs={"reference": ticket.reference})
    return response


# One ticket ------------------------------------------------------------------------------------------


@router.get(
    "/tickets/{reference}",
    response={200: TicketDetail, **ERRORS},
    url_name="ticket_get",
    summary="A ticket, with the history the caller may read and the actions open to them",
)
def ticket_get(request, reference: Reference):
    return _fresh_detail(request.auth, reference)


def _user(username: str, field: str = "assignee"):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput(
            _("The ticket can only be assigned to an agent of the desk that holds it."),
            code=ErrorCode.INVALID_ASSIGNEE,
            field=field,
        )
    return user


def _service_desk(code: str):
    desk = OrgUnit.objects.filter(code=code, kind=UnitKind.SERVICE, is_active=True).first()
    if desk is None:
        raise InvalidInput(_("Choose another central service."), code=ErrorCode.INVALID_DESK, field="to_desk")
    return desk


# How the API's codes become the objects a service takes, by kind of field.
_FROM_CODE: dict[Kind, Callable[[str, str], Any]] = {
    Kind.CATEGORY: _category_by_code,
    Kind.DESK_AGENT: _user,
    Kind.CENTRAL_SERVICE: lambda code, field: _service_desk(code),
}


def _arguments(spec, payload) -> dict:
    """The service's arguments from an action's payload: codes looked up, left-out requalifications kept."""
    arguments = {}
    for field in spec.fields:
        if field.kind == Kind.FILES:
            continue
        value = getattr(payload, field.name)
        if value is not None and field.kind in _FROM_CODE:
            value = _FROM_CODE[field.kind](value, field.name)
        arguments[field.name] = value
    return arguments


def _act(request, reference: str, action: str, payload) -> dict:
    user = request.auth
    ticket = selectors.ticket_get_for(user, reference)
    # As on the web: who may act is said before what they typed is checked.
    policy.authorize(user, ticket, action)
    spec = actions.BY_ACTION[action]
    # Only an action with no fields may come without a body.
    payload = payload if payload is not None else ActionIn(version=None)
    actions.perform(user, ticket, action, version=payload.version, **_arguments(spec, payload))
    # The service updated `ticket` in place; whoever acted keeps sight of it (its desk's holding stays).
    return ticket_detail_out(user, ticket)


def _register(spec) -> None:
    action = spec.action
    schema = action_schema(spec)
    name = api_action_name(action)
    # Actions with nothing but the version may be posted with no body at all.
    optional = not (set(schema.model_fields) - {"version"})

    # The schema is built from the declaration at start-up: ninja reads it from the annotation, which a type
    # checker cannot follow (hence the ignores).
    if optional:

        def view(request, reference: Reference, payload: schema | None = None):  # type: ignore[valid-type]
            return _act(request, reference, action, payload)

    else:

        def view(request, reference: Reference, payload: schema):  # type: ignore[valid-type,misc]
            return _act(request, reference, action, payload)

    view.__name__ = f"ticket_{action}"
    router.post(
        f"/tickets/{{reference}}/{name}",
        response={200: TicketDetail, **ERRORS},
        operation_id=f"ticket_{action}",
        url_name=f"ticket_{action}",
        summary=str(Action(action).label),
    )(view)


# Built from the declarations: adding an action adds its route. Files come as multipart, on a route below.
for _spec in actions.SPECS:
    if _spec.json_api:
        _register(_spec)


# Files -----------------------------------------------------------------------------------------------


@router.post(
    "/tickets/{reference}/attachments",
    response={200: TicketDetail, **ERRORS},
    summary="Add files to an open ticket (multipart/form-data, field `files`)",
)
def ticket_attach(
    request,
    reference: Reference,
    files: File[list[UploadedFile]],
    version: Form[Version | None] = None,
):
    user = request.auth
    ticket = selectors.ticket_get_for(user, reference)
    services.ticket_attach(user, ticket, files=files, version=version)
    return _fresh_detail(user, reference)


@router.get(
    "/tickets/{reference}/attachments/{token}",
    response={200: None, **ERRORS},
    url_name="ticket_attachment_download",
    summary="Download a file of the ticket",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as uploaded",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def ticket_attachment_download(
    request, reference: Reference, token: Annotated[str, Path(pattern=r"^[0-9a-f]{1,40}$")]
):
    user = request.auth
    ticket = selectors.ticket_get_for(user, reference)
    attachment = Attachment.objects.filter(
        ticket=ticket, token=token, event__in=policy.visible_events(user, ticket)
    ).first()
    if attachment is None:
        raise NotFound(_("No such file."), code=ErrorCode.NOT_FOUND)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
