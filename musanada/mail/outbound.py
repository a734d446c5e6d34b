"""Notification mails: what the bell says, also sent by e-mail, one mail per (recipient, notification).

The mails are queued as jobs by `notifications.services.notify`, in the transaction of the action that
caused them (an action and its mails commit together or not at all), and sent by a worker after the commit:
an SMTP server that is down only delays them, retried with back-off, and never undoes the action. The job's
key is the notification, so a notification is mailed at most once however often the job is queued.

Each mail is written in its recipient's language when it is sent, carries a Message-ID that names its ticket
(`mail.parsing.ticket_message_id`), so that an answer to it comes back to the ticket through the intake, and
points at the ticket's root Message-ID so that mail clients group the mails of one ticket.
"""

import re

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from musanada.core.text import isolated
from musanada.jobs.runner import enqueue_many
from musanada.mail.models import Mailbox, OutboundMessage
from musanada.mail.parsing import ticket_message_id
from musanada.notifications.models import Notification, NotificationKind, NotificationPreference
from musanada.org.models import localized_name
from musanada.tickets import policy
from musanada.tickets.events import describe_all
from musanada.tickets.models import Event
from musanada.tickets.workflow import EventKind

NOTIFICATION_JOB = "mail.send_notification"

# Every kind of the bell also goes by e-mail, each one until its recipient turns it off: the agents need
# "information provided", "reopened" and "assigned" as much as the requester needs "resolved" (docs/mail.md).
EMAIL_KINDS = frozenset(NotificationKind.values)

# The number of the ticket's first, never sent, mail: every mail about the ticket refers to it.
ROOT_NUMBER = 0


def _job_key(notification_id) -> str:
    return f"{NOTIFICATION_JOB}:{notification_id}"


def email_turned_off(user_ids) -> set:
    """(user id, kind) for every kind those users turned off by e-mail."""
    return set(
        NotificationPreference.objects.filter(user_id__in=set(user_ids), email=False).values_list(
            "user_id", "kind"
        )
    )


def queue_notification_mails(notifications) -> list:
    """Queue the mail of each notification whose recipient wants it, inside the caller's transaction."""
    candidates = [n for n in notifications if n.kind in EMAIL_KINDS and n.user.email and n.pk is not None]
    if not candidates:
        return []
    off = email_turned_off(n.user_id for n in candidates)
    return enqueue_many(
        NOTIFICATION_JOB,
        [({"notification": n.pk}, _job_key(n.pk)) for n in candidates if (n.user_id, n.kind) not in off],
    )


# Writing one mail --------------------------------------------------------------------------------------


def mail_domain() -> str:
    """The right-hand side of our Message-IDs: the setting MUSANADA_MAIL_DOMAIN (by default, the domain
    Musanada sends from)."""
    sender_domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ")
    return settings.MUSANADA_MAIL_DOMAIN or sender_domain or "musanada.invalid"


def root_message_id(ticket) -> str:
    return ticket_message_id(ticket.reference, ROOT_NUMBER, mail_domain())


def remember_sent(message: EmailMessage, ticket_id: int) -> None:
    """Keep the Message-ID of a mail about to be sent about a ticket: a mail citing it answers that ticket
    (intake.answered_ticket). Kept before sending, so that an answer arriving at once finds it; a retried
    send keeps the same ID."""
    OutboundMessage.objects.get_or_create(
        message_id=message.extra_headers["Message-ID"],
        defaults={"ticket_id": ticket_id, "sent_at": timezone.now()},
    )


def reply_address(ticket) -> str:
    """The official address of the desk holding the ticket, where answers are read back into it."""
    mailbox = (
        Mailbox.objects.filter(desk_id=ticket.desk_id, is_active=True, username__contains="@")
        .order_by("pk")
        .first()
    )
    return mailbox.username if mailbox is not None else settings.MUSANADA_REPLY_TO


def _language(user) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in available else settings.LANGUAGE_CODE


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _public_url(path: str) -> str:
    return settings.MUSANADA["PUBLIC_URL"] + path


def _told_events(event) -> list:
    """The event and what the same action wrote before it that the reader needs: an escalation's note of
    what was tried is on the requalification that precedes it (the ticket's lock keeps the two adjacent)."""
    if event.kind != EventKind.ESCALATED:
        return [event]
    requalified = (
        Event.objects.filter(ticket_id=event.ticket_id, kind=EventKind.REQUALIFIED, pk__lt=event.pk)
        .order_by("-pk")
        .first()
    )
    return [event] if requalified is None else [requalified, event]


def _context(notification: Notification) -> dict:
    user, ticket, event = notification.user, notification.ticket, notification.event
    # Only what the recipient may read of the history, whatever put them on the list: never an internal
    # note to the requester, nor one written after their desk let the ticket go.
    candidates = _told_events(event)
    readable = set(
        policy.visible_events(user, ticket)
        .filter(pk__in=[told.pk for told in candidates])
        .values_list("pk", flat=True)
    )
    told = [told for told in candidates if told.pk in readable]
    lines = [(what, told.body.strip()) for told, what in describe_all(told)]
    # A request that arrives on a desk by any way but its filing comes with what the requester wrote.
    arrived = notification.kind == NotificationKind.NEW_TICKET and event.kind != EventKind.FILED
    return {
        # Names, subjects and units are isolated in their own direction inside the mail's sentences.
        "name": isolated(str(user)),
        "kind": notification.get_kind_display(),
        "lines": lines,
        "actor": _("Musanada (automatic)") if event.by_system else isolated(str(event.actor)),
        "when": formats.date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT"),
        "description": ticket.description.strip() if arrived else "",
        "reference": ticket.reference,
        "subject": isolated(_one_line(ticket.subject)),
        "status": ticket.get_status_display(),
        "desk": isolated(localized_name(ticket.desk)),
        "url": _public_url(reverse("ticket-detail", args=[ticket.reference])),
        "settings_url": _public_url(reverse("notifications:settings")),
        "resolved": notification.kind == NotificationKind.RESOLVED,
        "info_requested": notification.kind == NotificationKind.INFO_REQUESTED,
        "reopen_days": settings.MUSANADA["REOPEN_DAYS"],
        "close_days": settings.MUSANADA["AUTO_CLOSE_DAYS"],
    }


def _tidy(text: str) -> str:
    # Template tags leave blank lines where a branch was not taken: at most one blank line in a row.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def notification_message(notification: Notification) -> EmailMessage | None:
    """The mail telling the notification's recipient what happened, or None when it must not go:
    no address, the kind turned off, or the ticket out of the recipient's sight since."""
    user, ticket = notification.user, notification.ticket
    if not user.is_active or not user.email or notification.kind not in EMAIL_KINDS:
        return None
    if (user.pk, notification.kind) in email_turned_off([user.pk]):
        return None
    if not policy.can_see(user, ticket):
        return None
    language = _language(user)
    with translation.override(language):
        context = _context(notification)
        # The Subject header stays free of direction marks: people search their mailbox for it.
        subject = _("[%(reference)s] %(subject)s — %(what)s") % {
            "reference": context["reference"],
            "subject": _one_line(ticket.subject),
            "what": context["kind"],
        }
        body = _tidy(render_to_string("mail/notification.txt", context))
    root = root_message_id(ticket)
    return EmailMessage(
        subject=_one_line(subject),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        reply_to=[reply_address(ticket)],
        headers={
            "Message-ID": ticket_message_id(ticket.reference, notification.pk, mail_domain()),
            "In-Reply-To": root,
            "References": root,
            # RFC 3834: written by a program; vacation responders and our own intake do not answer it.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "Content-Language": language,
        },
    )


def send_notification(payload: dict) -> None:
    """Send the mail of one notification (the job NOTIFICATION_JOB); an SMTP failure raises, to be retried."""
    notification = (
        Notification.objects.select_related("user", "ticket", "ticket__desk", "event", "event__actor")
        .filter(pk=payload["notification"])
        .first()
    )
    if notification is None:
        return
    message = notification_message(notification)
    if message is not None:
        remember_sent(message, notification.ticket_id)
        message.send()
