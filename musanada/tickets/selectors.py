"""Reading tickets: always through the policy, with a fixed number of queries per page."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import InvalidInput, NotFound
from musanada.tickets import policy
from musanada.tickets.models import Ticket

LIST_RELATED = ("desk", "origin_unit", "category", "category__parent", "requester", "assignee")


def ticket_get_for(user, reference: str) -> Ticket:
    """The ticket if the user may see it, else NotFound: exactly as for a reference that does not exist."""
    ticket = policy.visible_tickets(user).select_related(*LIST_RELATED).filter(reference=reference).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


@dataclass
class Page:
    items: list
    next_cursor: str | None


def _encode_cursor(ticket: Ticket) -> str:
    raw = json.dumps([ticket.updated_at.isoformat(), ticket.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(stamp), int(pk)
    except (ValueError, TypeError):
        raise InvalidInput(_("This page link is not valid."), code="invalid_cursor", field="cursor") from None


def ticket_list(
    user,
    *,
    filters: Q | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page:
    """A page of the tickets the user may list, most recently active first (keyset pagination).

    Two queries whatever the page size: the user's reach, then the page with its related rows.
    """
    limit = min(limit or settings.MUSANADA["PAGE_SIZE"], 200)
    queryset: QuerySet = policy.visible_tickets(user)
    if filters is not None:
        queryset = queryset.filter(filters)
    if cursor:
        stamp, pk = _decode_cursor(cursor)
        queryset = queryset.filter(Q(updated_at__lt=stamp) | Q(updated_at=stamp, pk__lt=pk))
    rows = list(queryset.select_related(*LIST_RELATED).order_by("-updated_at", "-id")[: limit + 1])
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return Page(rows[:limit], next_cursor)
