"""What the API reads and writes: inputs carry the web forms' fields; the services check their meaning."""

from datetime import datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field, create_model

from musanada.knowledge.models import ArticleStatus, Audience
from musanada.org.models import Role, UnitKind
from musanada.tickets.actions import Kind
from musanada.tickets.models import IncidentStatus
from musanada.tickets.workflow import Priority, Status

# Beyond this, a version is not one any ticket has: refused before it reaches the database's integer column.
MAX_VERSION = 2_147_483_647
REFERENCE_PATTERN = r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{1,12}$"


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL in text and no database stores lone surrogates: a clear 422, not a crash.
    if "\x00" in value:
        raise ValueError(_("Null characters are not allowed."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("This text is not valid Unicode.")) from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
Code = Annotated[str, Field(max_length=64), AfterValidator(_storable)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
# As the follow-incident action takes it: refused (422) before an out-of-range number reaches the database.
IncidentId = Annotated[int, Field(ge=1, le=2**31 - 1)]


# Reference data ------------------------------------------------------------------------------------------


class MembershipOut(Schema):
    unit: str
    unit_name: str
    role: Role


class MeOut(Schema):
    username: str
    first_name: str
    last_name: str
    email: str
    language: str
    massar_id: str | None
    memberships: list[MembershipOut]
    authenticated_by: str = Field(description="token, bearer or session")


class UnitOut(Schema):
    code: str
    kind: UnitKind
    level: str
    parent: str | None
    name: str
    name_ar: str
    name_fr: str
    path: str
    depth: int
    has_desk: bool


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class CategoryOut(Schema):
    code: str
    parent: str | None
    name: str
    name_ar: str
    name_fr: str
    owner: str


# Tickets --------------------------------------------------------------------------------------------------


class Ref(Schema):
    code: str
    name: str


class TicketOut(Schema):
    reference: str
    status: Status
    priority: Priority
    subject: str
    category: Ref
    origin_unit: Ref
    desk: Ref
    desk_level: str
    requester: str
    assignee: str | None
    channel: str
    rating: int | None
    filed_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    token: str
    name: str
    content_type: str
    size: int
    url: str


class EventOut(Schema):
    id: int
    kind: str
    text: str
    actor: str | None
    by_system: bool
    public: bool
    created_at: datetime
    body: str
    data: dict[str, Any]
    attachments: list[AttachmentOut]


class TicketDetail(TicketOut):
    description: str
    events: list[EventOut]
    actions: list[str] = Field(
        description="The actions the caller may take now, as in the URLs (request-info…)"
    )


class TicketIn(Schema):
    unit: Code | None = Field(None, description="The unit filed for; may be left out when the caller has one")
    category: Code
    subject: Text
    description: Text
    priority: Priority = Priority.NORMAL
    incident: IncidentId | None = Field(
        None, description="Id of a known incident the request reports (GET /incidents): it then follows it"
    )


# Known incidents -----------------------------------------------------------------------------------------


class IncidentOut(Schema):
    id: int
    title: str
    description: str
    status: IncidentStatus
    category: str = Field(description="Code of the category (an information system covers its topics)")
    scope: Ref = Field(description="The units concerned: every unit under this one")
    desk: Ref = Field(description="The desk that declared the incident and handles it")
    created_at: datetime
    resolved_at: datetime | None
    resolution: str
    concerns_me: bool = Field(
        description="Ongoing, over a unit of the caller: their new requests may follow it"
    )
    url: str = Field(description="The incident's web page")


class IncidentList(Schema):
    items: list[IncidentOut]


class IncidentUpdateOut(Schema):
    body: str
    created_at: datetime
    author: str | None = Field(description="Username of the author; only for the desk handling the incident")


class IncidentDetail(IncidentOut):
    updates: list[IncidentUpdateOut] = Field(description="Oldest first")
    following: int | None = Field(
        description="How many requests follow the incident; only for the desk handling it"
    )


class IncidentIn(Schema):
    desk: Code = Field(description="Code of the caller's desk that declares the incident")
    category: Code = Field(description="Code of the category; an information system covers its topics")
    scope: Code = Field(description="Code of the unit concerned, with every unit under it (MEN: the country)")
    title: Text
    description: Text


class IncidentUpdateIn(Schema):
    body: Text


class IncidentResolveIn(Schema):
    resolution: Text = Field(description="Every request that follows the incident is resolved with this text")


# Help articles -------------------------------------------------------------------------------------------


class ArticleSummary(Schema):
    slug: str
    title: str
    language: str = Field(description="The title's and excerpt's language: the caller's when written in it")
    excerpt: str
    category: str = Field(description="Code of the category")
    unit: Ref = Field(description="The unit that wrote the article")
    audience: Audience
    published_at: datetime
    url: str = Field(description="The article's web page")


class ArticleList(Schema):
    items: list[ArticleSummary]


class ArticleText(Schema):
    language: str
    title: str
    body: str


class ArticleDetail(Schema):
    slug: str
    status: ArticleStatus = Field(description="The state of the version returned")
    audience: Audience
    category: str = Field(description="Code of the category")
    unit: Ref = Field(description="The unit that wrote the article")
    published_at: datetime | None
    version: int = Field(
        description="The version returned: the published one, or the latest for the article's writers"
    )
    texts: list[ArticleText] = Field(description="Every language the version is written in")


class SolvedIn(Schema):
    unit: Code = Field(description="Code of the unit the caller was about to file for (one of theirs)")
    category: Code | None = Field(None, description="Code of the category the caller had chosen, if any")


class SolvedOut(Schema):
    article: str
    unit: str
    category: str | None
    counted_at: datetime


# Actions: one schema each, built from the action's declaration, with the version the caller saw ---------


class ActionIn(Schema):
    version: Version | None = Field(
        None, description="The version the caller saw; the action is refused with 409 if it changed since"
    )


# What the API takes for each kind of field of an action's declaration (tickets/actions.py): objects by code.
_KIND_TYPES: dict[Kind, tuple[Any, str | None]] = {
    Kind.TEXT: (Text, None),
    Kind.SUBJECT: (Text, None),
    Kind.PRIORITY: (Priority, None),
    Kind.CATEGORY: (Code, "Code of a category"),
    Kind.DESK_AGENT: (Code, "Username of an agent of the holding desk"),
    Kind.CENTRAL_SERVICE: (Code, "Code of the central service"),
    Kind.SCORE: (Annotated[int, Field(ge=1, le=5)], "1: very unsatisfied, 5: very satisfied"),
    Kind.INCIDENT: (IncidentId, "Id of a known incident about the request"),
    Kind.REFERENCE: (
        Annotated[str, Field(max_length=32)],
        "Reference of another request, e.g. MSN-2026-000123",
    ),
}


def action_schema(spec) -> type[ActionIn]:
    """The input schema of an action, from its declaration: its fields and the version the caller saw.

    A field that requalifies the ticket (`from_ticket`) may be left out to keep the ticket's value; an
    optional text defaults to empty.
    """
    fields: dict[str, Any] = {}
    # Files come as multipart on the attachments route, never inside a JSON action.
    for field in (field for field in spec.fields if field.kind != Kind.FILES):
        annotation, description = _KIND_TYPES[field.kind]
        info = Field(description=description) if description else Field()
        if field.from_ticket:
            fields[field.name] = (annotation | None, Field(None, description=description))
        elif not field.required:
            fields[field.name] = (annotation, Field("", description=description))
        else:
            fields[field.name] = (annotation, info)
    if not fields:
        return ActionIn
    name = "".join(part.title() for part in spec.action.split("_")) + "In"
    return create_model(name, __base__=ActionIn, **fields)  # type: ignore[call-overload]
