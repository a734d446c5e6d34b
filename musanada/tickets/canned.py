"""Canned replies: ready answers a desk or a central service writes once and its agents insert, then edit,
in a reply (policy.canned_replies_for says who is offered which)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput, NotFound
from musanada.core.text import required_text
from musanada.org.models import OrgUnit
from musanada.tickets import policy
from musanada.tickets.models import CannedReply

TITLE_MAX = 120
BODY_MAX = 5000


def canned_reply_add(user, *, unit: OrgUnit, language: str, title: str, body: str) -> CannedReply:
    """A new canned reply of `unit`, written by one of its supervisors (or an administrator)."""
    if not isinstance(unit, OrgUnit) or not policy.writes_canned_replies(user, unit):
        raise InvalidInput(
            _("Choose a desk whose replies you write."), code=ErrorCode.INVALID_UNIT, field="unit"
        )
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Choose the reply's language."), code=ErrorCode.INVALID, field="language")
    title = required_text(title, "title", _("Give the reply a title."), max_length=TITLE_MAX, line=True)
    body = required_text(body, "body", _("Write the reply's text."), max_length=BODY_MAX)
    return CannedReply.objects.create(unit=unit, language=language, title=title, body=body, created_by=user)


def canned_reply_remove(user, reply_id: int) -> None:
    """Remove a canned reply of a desk the user writes for (replies already sent stay in their tickets)."""
    reply = CannedReply.objects.select_related("unit").filter(pk=reply_id).first()
    if reply is None or not policy.writes_canned_replies(user, reply.unit):
        raise NotFound(_("No such canned reply."))
    reply.delete()
