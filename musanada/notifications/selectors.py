"""Reading notifications: only those whose ticket the user may still see, through the tickets policy."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput
from musanada.notifications.models import Notification, NotificationKind, NotificationPreference
from musanada.tickets import policy
from musanada.tickets.events import describe_all


def own_notifications(user) -> QuerySet:
    """The user's notifications, whatever their tickets: callers keep only those on tickets the user may
    still see (`policy.visible_among`, `policy.can_see`), since one lost from sight tells nothing more. The
    policy is asked about the few tickets at hand, never as a filter of everything the user may see."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)


# The bell counts this many unread notifications at most, then says "99+".
BELL_CAP = 99


def unread_count(user) -> int:
    """The bell's number, up to BELL_CAP + 1: the newest unread notifications (one index range), kept when
    the user may still see their ticket (`policy.visible_among`, bounded)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return 0
    unread = list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .order_by("-created_at")
        .values_list("ticket_id", flat=True)[: BELL_CAP + 1]
    )
    visible = policy.visible_among(user, unread)
    return sum(1 for ticket_id in unread if ticket_id in visible)


@dataclass
class Page:
    items: list  # (notification, text saying what happened)
    next_cursor: str | None


def _encode_cursor(notification: Notification) -> str:
    raw = json.dumps([notification.created_at.isoformat(), notification.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(stamp), int(pk)
    except (ValueError, TypeError):
        raise InvalidInput(
            _("This page link is not valid."), code=ErrorCode.INVALID_CURSOR, field="cursor"
        ) from None


def notification_page(user, *, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the user's notifications, newest first (keyset pagination), each with its event described.

    Fixed queries whatever the page size: the reach, the page, then the names the descriptions use.
    """
    limit = min(limit or settings.MUSANADA["PAGE_SIZE"], 200)
    queryset = own_notifications(user)
    if cursor:
        stamp, pk = _decode_cursor(cursor)
        queryset = queryset.filter(Q(created_at__lt=stamp) | Q(created_at=stamp, pk__lt=pk))
    rows = list(
        queryset.select_related("ticket", "event", "event__actor").order_by("-created_at", "-id")[: limit + 1]
    )
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    # A page may come out shorter than `limit` when tickets were lost from sight; the cursor goes on.
    visible = policy.visible_among(user, {row.ticket_id for row in rows})
    rows = [row for row in rows if row.ticket_id in visible]
    texts = describe_all(row.event for row in rows)
    return Page([(row, text) for row, (_event, text) in zip(rows, texts, strict=True)], next_cursor)


def email_preferences(user) -> dict:
    """{kind: whether the user receives it by e-mail} for every kind, in the kinds' order."""
    off = set(NotificationPreference.objects.filter(user=user, email=False).values_list("kind", flat=True))
    return {kind: kind not in off for kind in NotificationKind.values}
