"""What the API reads and writes: inputs carry the web forms' fields; the services check their meaning."""

from datetime import datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field

from musanada.org.models import Role, UnitKind
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


# Actions: one schema each, the fields of the web form and the version the caller saw ----------------------


class ActionIn(Schema):
    version: Version | None = Field(
        None, description="The version the caller saw; the action is refused with 409 if it changed since"
    )


class BodyIn(ActionIn):
    body: Text


class AssignIn(ActionIn):
    assignee: Code = Field(description="Username of an agent of the holding desk")


class EscalateIn(ActionIn):
    note: Text = Field(description="What was tried before referring the request")
    category: Code | None = None
    priority: Priority | None = None
    subject: Text | None = None


class ReturnIn(ActionIn):
    instructions: Text


class TransferIn(ActionIn):
    to_desk: Code = Field(description="Code of the central service")
    note: Text


class ResolveIn(ActionIn):
    resolution: Text


class ReopenIn(ActionIn):
    reason: Text


class RateIn(ActionIn):
    score: int = Field(ge=1, le=5)
    comment: Text = ""
