"""Writing notifications: created with the events that cause them, read by their owner."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput, NotFound
from musanada.mail.outbound import queue_notification_mails
from musanada.notifications import selectors
from musanada.notifications.models import Notification, NotificationKind, NotificationPreference
from musanada.notifications.recipients import recipients_for_batch
from musanada.tickets import policy

# Off only for made-up data (demo and benchmark tickets): their people's addresses belong to nobody.
_email_on = ContextVar("musanada_notification_email", default=True)


@contextmanager
def notifications_without_email():
    """Within this block (or the decorated function), notifications are written but no mail is queued."""
    token = _email_on.set(False)
    try:
        yield
    finally:
        _email_on.reset(token)


def notify(ticket, events) -> None:
    """Notify whoever the events of one action concern, in one insert, and queue their e-mails.

    A reaction of every ticket action (musanada.tickets.reactions), run inside the transaction that saved the
    events: a refused or rolled-back action leaves no notification behind.
    """
    events = [event for event in events if event.pk is not None]
    rows = [
        Notification(
            user=user, ticket_id=event.ticket_id, event=event, kind=kind, created_at=event.created_at
        )
        for user, kind, event in recipients_for_batch(events)
    ]
    if not rows:
        return
    created = Notification.objects.bulk_create(rows)
    # In the same transaction: the mails exist if and only if the action committed, and go after it.
    if _email_on.get():
        queue_notification_mails(created)


def notification_mark_read(user, notification_id) -> Notification:
    """Mark one of the user's notifications read (NotFound for anyone else's, or one on a hidden ticket)."""
    notification = (
        selectors.own_notifications(user)
        .select_related("ticket__origin_unit")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or not policy.can_see(user, notification.ticket):
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_read_for_ticket(user, ticket) -> int:
    """The user opened the ticket: its notifications to them are read (the bell counts what is news)."""
    return Notification.objects.filter(user=user, ticket=ticket, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_mark_all_read(user) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def notification_preferences_set(user, *, email_kinds) -> None:
    """Keep e-mail on for the kinds in `email_kinds` and turn it off for every other kind (the bell is not
    affected). Only the kinds turned off are stored: no row means on."""
    wanted = {str(kind) for kind in email_kinds}
    unknown = wanted - set(NotificationKind.values)
    if unknown:
        raise InvalidInput(_("Unknown kind of notification."), code=ErrorCode.INVALID_KIND, field="kinds")
    with transaction.atomic():
        NotificationPreference.objects.filter(user=user).delete()
        NotificationPreference.objects.bulk_create(
            [
                NotificationPreference(user=user, kind=kind, email=False)
                for kind in NotificationKind.values
                if kind not in wanted
            ]
        )
