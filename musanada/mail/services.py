"""Configuring the desks' mailboxes (the `musanada mailbox` command and the admin share these checks)."""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput, NotFound
from musanada.mail.models import DEFAULT_PORTS, Mailbox, Scheme
from musanada.org.models import Category, OrgUnit

# New tickets need a category; "other" is the seed's catch-all, requalified by the desk.
FALLBACK_CATEGORY = "other"


@dataclass(frozen=True)
class MailboxAddress:
    scheme: str
    host: str
    port: int
    username: str
    folder: str


def parse_mailbox_url(url: str) -> MailboxAddress:
    """`imaps://USER@HOST:PORT/FOLDER` (or `imap://` for plain IMAP) into its parts. The user name may be
    an e-mail address; the password is never part of the URL (it would end up in shell histories)."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise InvalidInput(
            _("This is not a mailbox address."), code=ErrorCode.INVALID_URL, field="url"
        ) from None
    if parts.scheme not in Scheme.values:
        raise InvalidInput(
            _("A mailbox address starts with imaps:// (or imap:// without TLS)."),
            code=ErrorCode.INVALID_SCHEME,
            field="url",
        )
    if parts.password is not None:
        raise InvalidInput(
            _("Give the password in a file (--password-file), not in the address."),
            code=ErrorCode.PASSWORD_IN_URL,
            field="url",
        )
    if not parts.hostname or not parts.username:
        raise InvalidInput(
            _("A mailbox address names the user and the server: imaps://USER@HOST:PORT/FOLDER."),
            code=ErrorCode.INVALID_URL,
            field="url",
        )
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if not folder.isascii():
        raise InvalidInput(
            _("Use a folder name in plain ASCII letters."), code=ErrorCode.INVALID_FOLDER, field="url"
        )
    return MailboxAddress(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or DEFAULT_PORTS[parts.scheme],
        username=unquote(parts.username),
        folder=folder,
    )


def check_mailbox_desk(desk: OrgUnit) -> None:
    if not desk.has_desk or not desk.is_active:
        raise InvalidInput(
            _(
                "%(code)s has no support desk: a mailbox belongs to a school, a directorate, an academy or a "
                "central service."
            ),
            code=ErrorCode.NOT_A_DESK,
            field="desk",
            params={"code": desk.code},
        )


def mailbox_add(*, desk_code: str, url: str, password: str, category_code: str | None = None) -> Mailbox:
    """Register a desk's mailbox; its new mails become tickets on that desk at the next poll."""
    desk = OrgUnit.objects.filter(code=desk_code).first()
    if desk is None:
        raise InvalidInput(
            _("No unit has the code %(code)s."), code=ErrorCode.UNKNOWN_DESK, params={"code": desk_code}
        )
    check_mailbox_desk(desk)
    address = parse_mailbox_url(url)
    password = (password or "").rstrip("\r\n")
    if not password:
        raise InvalidInput(_("The password file is empty."), code=ErrorCode.EMPTY_PASSWORD, field="password")
    code = category_code or FALLBACK_CATEGORY
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise InvalidInput(
            _("No active category has the code %(code)s."),
            code=ErrorCode.UNKNOWN_CATEGORY,
            params={"code": code},
        )
    try:
        with transaction.atomic():
            return Mailbox.objects.create(
                desk=desk,
                scheme=address.scheme,
                host=address.host,
                port=address.port,
                username=address.username,
                password=password,
                folder=address.folder,
                default_category=category,
            )
    except IntegrityError:
        raise InvalidInput(
            _("This mailbox folder is already registered."), code=ErrorCode.DUPLICATE_MAILBOX, field="url"
        ) from None


def mailbox_remove(mailbox_id) -> Mailbox:
    """Stop reading a mailbox. What it received stays recorded, so its mails are never processed twice."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).select_related("desk").first()
    if mailbox is None:
        raise NotFound(_("No mailbox has the number %(id)s."), params={"id": mailbox_id})
    mailbox.delete()
    return mailbox
