"""Personal API tokens, and the records that make a retried filing idempotent."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musanada.api.models import (
    VISIBLE_LENGTH,
    ApiToken,
    IdempotencyRecord,
    RevokedBecause,
    TokenEvent,
    TokenEventKind,
    new_token_value,
    token_digest,
)
from musanada.core.errors import ErrorCode, InvalidInput, NotFound

NAME_MAX = 100

# Writing last_used_at on every call would make each read a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)

# A key older than this is forgotten: a retry comes within minutes, not days.
IDEMPOTENCY_TTL = timedelta(hours=24)


def token_create(user, *, name: str, address=None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the token a name, e.g. the program that will use it."), field="name")
    if len(name) > NAME_MAX or "\x00" in name:
        raise InvalidInput(
            _("This text is too long (%(max)s characters at most)."),
            code=ErrorCode.TOO_LONG,
            field="name",
            params={"max": NAME_MAX},
        )
    if not user.is_active:
        raise InvalidInput(_("Only an active user can have API tokens."), code=ErrorCode.INACTIVE_USER)
    limit = settings.MUSANADA_TOKENS_PER_USER
    with transaction.atomic():
        # The user's row is the lock: two creations at once cannot both pass the count.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= limit:
            raise InvalidInput(
                _("You have %(limit)s active tokens, the most allowed: revoke one you no longer use."),
                code=ErrorCode.TOO_MANY_TOKENS,
                params={"limit": limit},
            )
        value = new_token_value()
        token = ApiToken.objects.create(
            user=user, name=name, prefix=value[:VISIBLE_LENGTH], digest=token_digest(value)
        )
        TokenEvent.objects.create(token=token, kind=TokenEventKind.CREATED, address=address)
    return token, value


def token_revoke(user, token_id: int, *, address=None) -> ApiToken:
    """Revoke one of the user's own tokens; it stops working at once. Revoking twice changes nothing."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    tokens_revoke(ApiToken.objects.filter(pk=token.pk), RevokedBecause.OWNER, address=address)
    token.refresh_from_db()
    return token


def tokens_revoke(tokens, because: str, *, address=None) -> int:
    """Revoke the live ones among `tokens` (a queryset), saying why (the owner sees it on the tokens
    page) in each token and in the audit log. Returns how many were revoked."""
    now = timezone.now()
    with transaction.atomic():
        live = list(tokens.filter(revoked_at__isnull=True).select_for_update().values_list("pk", flat=True))
        ApiToken.objects.filter(pk__in=live).update(revoked_at=now, revoked_because=because)
        TokenEvent.objects.bulk_create(
            TokenEvent(token_id=pk, kind=TokenEventKind.REVOKED, at=now, address=address, detail=because)
            for pk in live
        )
    return len(live)


def token_used(token: ApiToken, address: str | None) -> None:
    """Note a use of the token: its last use, and an audit event once a minute at most, or at once when
    it comes from another address than the last time."""
    now = timezone.now()
    moved = address != token.last_used_from
    if not moved and token.last_used_at is not None and now - token.last_used_at <= LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
    TokenEvent.objects.create(token=token, kind=TokenEventKind.USED, at=now, address=address)


def idempotency_recorded(user, key: str) -> IdempotencyRecord | None:
    """The answer kept for the user's Idempotency-Key, if it is recent; an expired one is forgotten."""
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is not None and timezone.now() - record.created_at > IDEMPOTENCY_TTL:
        record.delete()
        return None
    return record


def idempotency_record(user, key: str, *, fingerprint: str, status: int, body: dict, location: str) -> None:
    """Keep the answer given to a request with an Idempotency-Key. Call it in the transaction that did the
    work: a concurrent retry with the same key then fails on the unique constraint and rolls back its work."""
    IdempotencyRecord.objects.create(
        user=user, key=key, fingerprint=fingerprint, status=status, body=body, location=location
    )
