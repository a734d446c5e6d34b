"""Service levels: targets per level and priority, the holiday list, auto-escalation rules, and the clocks.

A `LevelVisit` is one stay of a ticket at one desk level, with its own clock: the targets restart at each
escalation while the ticket's `filed_at` → `resolved_at` keeps the whole journey. The services write the
visits in the transaction of the action that caused them (`services.record`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from musanada.org.models import Level, OrgUnit
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Priority

# Escalation exists below the central level only (workflow.py).
ESCALATING_LEVELS = (Level.SCHOOL, Level.PROVINCE, Level.ACADEMY)


class SlaPolicy(models.Model):
    """The targets of one level for one priority, in working minutes of the calendar."""

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (working minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (working minutes)"))

    class Meta:
        verbose_name = _("service-level target")
        verbose_name_plural = _("service-level targets")
        ordering = ["level", "priority"]
        constraints = [models.UniqueConstraint(fields=["level", "priority"], name="sla_policy_once")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} / {self.get_priority_display()}"


class Holiday(models.Model):
    """A day off for the whole country. Religious holidays follow the lunar calendar: their expected dates
    are entered ahead and marked unconfirmed until the announcement; they count as holidays either way."""

    date = models.DateField(_("date"), unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    confirmed = models.BooleanField(
        _("date confirmed"),
        default=True,
        help_text=_("Untick for a religious holiday whose date is expected but not yet announced."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name_fr}"


class AutoEscalationRule(models.Model):
    """Whether tickets overrunning their resolution target at a level go up by themselves, and when."""

    level = models.CharField(
        _("level"),
        max_length=16,
        choices=[(level.value, level.label) for level in ESCALATING_LEVELS],
        unique=True,
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    overrun_minutes = models.PositiveIntegerField(
        _("overrun (working minutes)"),
        default=240,
        help_text=_("Working minutes after the resolution target is missed before the ticket goes up."),
    )

    class Meta:
        verbose_name = _("automatic escalation rule")
        verbose_name_plural = _("automatic escalation rules")
        ordering = ["level"]

    def __str__(self) -> str:
        return str(self.get_level_display())


class VisitOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    ESCALATED = "escalated", _("Escalated")
    RETURNED = "returned", _("Returned")
    TRANSFERRED = "transferred", _("Transferred")
    # Closed into the request it repeated (the duplicate of a request filed twice).
    MERGED = "merged", _("Merged")


class LevelVisit(models.Model):
    # No index of their own: visit_ticket and visit_desk_arrived begin with them (an index less to write
    # on every filing and referral).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="level_visits", db_index=False)
    desk = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    arrived_at = models.DateTimeField(_("arrived"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # Working seconds the clock stood still (waiting for the requester, resolved until reopened).
    paused_seconds = models.PositiveIntegerField(_("paused (working seconds)"), default=0)
    # While the ticket waits for the requester: since when. The clock does not run.
    paused_since = models.DateTimeField(null=True, blank=True)
    response_breached = models.BooleanField(_("first response target missed"), default=False)
    resolution_breached = models.BooleanField(_("resolution target missed"), default=False)
    # NULL while the ticket is at the desk (the shared schema the dashboards read says so).
    outcome = models.CharField(  # noqa: DJ001
        _("outcome"), max_length=16, choices=VisitOutcome.choices, null=True, blank=True
    )
    # When the share of AT_RISK_PERCENT of each target is used: the sweep reads them with an index.
    response_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_risk_at = models.DateTimeField(null=True, blank=True)
    # Set once by the sweep (a conditional update), so that a second run notifies nobody again.
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)
    auto_escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("level visit")
        verbose_name_plural = _("level visits")
        indexes = [
            models.Index(fields=["level", "arrived_at"], name="visit_level_arrived"),
            models.Index(fields=["desk", "arrived_at"], name="visit_desk_arrived"),
            models.Index(fields=["ticket", "arrived_at"], name="visit_ticket"),
            # The sweeps: open visits only.
            models.Index(
                fields=["resolution_due_at"], name="visit_open_resolution", condition=models.Q(left_at=None)
            ),
            models.Index(
                fields=["response_due_at"], name="visit_open_response", condition=models.Q(left_at=None)
            ),
            models.Index(
                fields=["resolution_risk_at"], name="visit_open_risk", condition=models.Q(left_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.desk_id} ({self.level})"
