"""The official e-mail channel: the mailboxes Musanada reads, and what it did with each mail it read."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from musanada.org.models import Category, OrgUnit


class Scheme(models.TextChoices):
    IMAPS = "imaps", _("IMAP over TLS")
    IMAP = "imap", _("IMAP without TLS (tests and local relays only)")


DEFAULT_PORTS = {Scheme.IMAPS: 993, Scheme.IMAP: 143}


class Mailbox(models.Model):
    """An IMAP folder whose new mails become tickets on `desk` (typically a regional IS centre's address)."""

    desk = models.ForeignKey(
        OrgUnit, verbose_name=_("desk"), on_delete=models.PROTECT, related_name="mailboxes"
    )
    scheme = models.CharField(_("connection"), max_length=8, choices=Scheme.choices, default=Scheme.IMAPS)
    host = models.CharField(_("server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    username = models.CharField(_("user name"), max_length=255)
    # Stored as given: IMAP needs the password itself at every poll (see docs/mail.md on protecting it).
    password = models.CharField(_("password"), max_length=255)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    default_category = models.ForeignKey(
        Category,
        verbose_name=_("category of new tickets"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The desk requalifies the ticket if the request is about something else."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    # Why the last scheduled poll could not read the mailbox (empty once it could again): the next poll is
    # the retry, and administrators see here that the address is not being read.
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["desk__path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["host", "port", "username", "folder"], name="mailbox_unique_folder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.desk.code} · {self.url}"

    @property
    def url(self) -> str:
        """The mailbox as `musanada mailbox add` takes it, without the password."""
        return f"{self.scheme}://{self.username}@{self.host}:{self.port}/{self.folder}"


class Outcome(models.TextChoices):
    TICKET_FILED = "ticket_filed", _("Ticket filed")
    REPLY_ADDED = "reply_added", _("Added to its ticket")
    IGNORED_ROBOT = "ignored_robot", _("Ignored: sent by a program")
    REFUSED_UNKNOWN_SENDER = "refused_unknown_sender", _("Refused: unknown sender")
    REFUSED_NOT_ALLOWED = "refused_not_allowed", _("Refused: not allowed")
    REFUSED_INVALID = "refused_invalid", _("Refused: incomplete or invalid")
    # Held for review: a sender who must authenticate did not (docs/mail.md, "Sender authentication").
    QUARANTINED = "quarantined", _("Quarantined: sender not authenticated")
    DISCARDED = "discarded", _("Discarded after review")


class InboundMessage(models.Model):
    """One mail read from a mailbox, and what became of it. The unique Message-ID is what makes reading
    idempotent: a mail read twice (a crash before it was marked on the server) is acted on once."""

    # Kept when a mailbox is removed: its Message-IDs must stay known if it is added again.
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    sender = models.CharField(_("sender"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices)
    # A stable code saying why (the robot signal, the refused rule): for administrators and statistics.
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_messages",
    )
    answered = models.BooleanField(_("answered"), default=False)
    received_at = models.DateTimeField(_("processed"))
    # The mail as it arrived, so that any outcome can be inspected and a quarantined mail released. Kept
    # MUSANADA_MAIL_KEEP_DAYS (a quarantined one until its review); a discarded one is removed at once.
    raw = models.FileField(_("raw message"), upload_to="mail/received/%Y/%m/", max_length=255, blank=True)
    # Who released or discarded a quarantined mail, and when.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("received mail")
        verbose_name_plural = _("received mails")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["sender", "answered", "received_at"], name="inbound_answers_by_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.outcome}"


class HeldFile(models.Model):
    """An attachment the intake refused (a type not accepted, a disguised file, too large): the request was
    filed without it and its sender told why. Kept MUSANADA_MAIL_KEEP_DAYS, for administrators only."""

    message = models.ForeignKey(
        InboundMessage, verbose_name=_("received mail"), on_delete=models.CASCADE, related_name="held_files"
    )
    name = models.CharField(_("file name"), max_length=255)
    # The refusal's code (core.errors.ErrorCode) and its text as the sender was told it.
    reason = models.CharField(_("reason"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    file = models.FileField(_("file"), upload_to="mail/held/%Y/%m/", max_length=255, blank=True)

    class Meta:
        verbose_name = _("held file")
        verbose_name_plural = _("held files")
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.name


class OutboundMessage(models.Model):
    """A mail Musanada sent about a ticket, by its Message-ID: a mail that cites one of these answers that
    ticket (docs/mail.md, "Threading")."""

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mails")

    def __str__(self) -> str:
        return self.message_id
