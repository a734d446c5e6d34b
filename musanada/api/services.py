"""Personal API tokens, and the records that make a retried filing idempotent."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musanada.api.models import VISIBLE_LENGTH, ApiToken, IdempotencyRecord, new_token_value, token_digest
from musanada.core.errors import ErrorCode, InvalidInput, NotFound

NAME_MAX = 100

# A key older than this is forgotten: a retry comes within minutes, not days.
IDEMPOTENCY_TTL = timedelta(hours=24)


def token_create(user, *, name: str) -> tuple[ApiToken, str]:
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
    value = new_token_value()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=value[:VISIBLE_LENGTH], digest=token_digest(value)
    )
    return token, value


def token_revoke(user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; it stops working at once. Revoking twice changes nothing."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


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
