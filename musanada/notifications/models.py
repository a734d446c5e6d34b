"""What concerns a user in the product: one row per (user, event), read or not.

Rows are written by `services.notify` in the transaction that appends the events, so that a refused action
leaves none and an accepted one never misses its notifications.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Why the user is told: the same kinds serve the bell and, later, the e-mails."""

    NEW_TICKET = "new_ticket", _("A request arrived at your desk")
    REPLY = "reply", _("New reply")
    INFO_REQUESTED = "info_requested", _("Information asked of you")
    INFO_PROVIDED = "info_provided", _("Information provided")
    RESOLVED = "resolved", _("Your request is resolved")
    REOPENED = "reopened", _("A request was reopened")
    ASSIGNED = "assigned", _("A request was assigned to you")
    MERGED = "merged", _("Your request was merged into another")
    INCIDENT = "incident", _("News of a known incident your request follows")
    SLA_AT_RISK = "sla_at_risk", _("A request is about to miss its service-level target")
    SLA_BREACHED = "sla_breached", _("A request missed its service-level target")


class Notification(models.Model):
    # No index of its own: notification_once_per_event and the two below begin with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        "tickets.Event", verbose_name=_("event"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The bell's unread count and the list, newest first (keyset on created_at, id).
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread"),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_recent"),
        ]
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.ticket_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """A user's choice to receive one kind of notification by e-mail or not. No row means yes: the
    defaults need no rows, and a kind added later reaches everyone until they turn it off."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} email={self.email}"
