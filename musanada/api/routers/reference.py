"""The caller, the org tree and the categories: reference data that every caller may read."""

import base64
import binascii

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from musanada.api.problems import ERRORS
from musanada.api.schemas import CategoryOut, Code, MembershipOut, MeOut, UnitPage
from musanada.core.errors import ErrorCode, InvalidInput
from musanada.org.models import Category, Membership, OrgUnit, UnitKind

router = Router(tags=["reference"])

UNIT_PAGE_MAX = 500


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The caller")
def me(request):
    user = request.auth
    memberships = (
        Membership.objects.filter(user=user, is_active=True, unit__is_active=True)
        .select_related("unit")
        .order_by("unit__path", "role")
    )
    if getattr(request, "api_token", None) is not None:
        by = "token"
    elif request.headers.get("Authorization", "").lower().startswith("bearer "):
        by = "bearer"
    else:
        by = "session"
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "massar_id": user.massar_id,
        "memberships": [
            MembershipOut(unit=m.unit.code, unit_name=m.unit.name, role=m.role) for m in memberships
        ],
        "authenticated_by": by,
    }


def unit_out(unit: OrgUnit, parent_code: str | None) -> dict:
    return {
        "code": unit.code,
        "kind": unit.kind,
        "level": unit.level,
        "parent": parent_code,
        "name": unit.name,
        "name_ar": unit.name_ar,
        "name_fr": unit.name_fr,
        "path": unit.path,
        "depth": unit.depth,
        "has_desk": unit.has_desk,
    }


class UnitFilters(Schema):
    parent: Code | None = Field(None, description="Only the units right under this unit code")
    kind: UnitKind | None = None
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(100, ge=1, le=UNIT_PAGE_MAX)


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(_("This page link is not valid."), code=ErrorCode.INVALID_CURSOR, field="cursor")


def _decode_path(cursor: str) -> str:
    try:
        path = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        raise _invalid_cursor() from None
    if not path.startswith("/") or "\x00" in path:
        raise _invalid_cursor()
    return path


@router.get("/units", response={200: UnitPage, **ERRORS}, summary="Units of the org tree, in tree order")
def units(request, filters: Query[UnitFilters]):
    queryset = OrgUnit.objects.filter(is_active=True).select_related("parent")
    if filters.parent is not None:
        queryset = queryset.filter(parent__code=filters.parent)
    if filters.kind is not None:
        queryset = queryset.filter(kind=filters.kind)
    if filters.cursor:
        queryset = queryset.filter(path__gt=_decode_path(filters.cursor))
    rows = list(queryset.order_by("path")[: filters.limit + 1])
    next_cursor = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        next_cursor = base64.urlsafe_b64encode(rows[-1].path.encode()).decode().rstrip("=")
    return {
        "items": [unit_out(unit, unit.parent.code if unit.parent else None) for unit in rows],
        "next_cursor": next_cursor,
    }


@router.get(
    "/categories",
    response={200: list[CategoryOut], **ERRORS},
    summary="Active categories: systems, then topics",
)
def categories(request):
    rows = Category.objects.filter(is_active=True).select_related("parent", "owner").order_by("code")
    return [
        {
            "code": category.code,
            "parent": category.parent.code if category.parent_id else None,
            "name": category.name,
            "name_ar": category.name_ar,
            "name_fr": category.name_fr,
            "owner": category.owner.code,
        }
        for category in rows
    ]
