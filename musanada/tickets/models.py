"""Tickets and their append-only history.

The ticket row is a projection kept for fast lists; the events are the record. Every change goes through
`services.py`, which appends the event in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from musanada.org.models import Category, OrgUnit
from musanada.tickets.workflow import Channel, EventKind, Priority, Status


class Ticket(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    # A foreign key with `db_index=False` has no index of its own: the index named beside it begins with its
    # column and serves its lookups, and each index less is one less to write on every filing and action
    # (docs/performance.md).
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requests",
        db_index=False,  # ticket_requester
    )
    origin_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("origin unit"),
        on_delete=models.PROTECT,
        related_name="originated_tickets",
        db_index=False,  # ticket_origin
    )
    desk = models.ForeignKey(
        OrgUnit,
        verbose_name=_("desk"),
        on_delete=models.PROTECT,
        related_name="held_tickets",
        db_index=False,  # ticket_desk_recent
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
        db_index=False,  # ticket_assignee
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    filed_at = models.DateTimeField(_("filed"))
    updated_at = models.DateTimeField(_("updated"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # Optimistic locking: every change bumps it; a change based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    # The words keyword search matches (`tickets/search.py`), each a `core.text.word_document`, so that
    # Arabic and French spelling variants find each other: the subject's; the subject, description and public
    # conversation (what the requester reads); the internal notes. Kept by the services with the history.
    subject_text = models.TextField(_("subject words"), blank=True, default="", editable=False)
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)
    note_text = models.TextField(_("note words"), blank=True, default="", editable=False)
    # Who reaches the ticket through desks and subtrees, as keys (`policy.access_keys`): "d<id>" for every
    # desk that has held it, "u<id>" for every unit at or above its origin and those desks. A copy of the
    # holdings and the tree that the services keep with the holdings: on PostgreSQL, keyword search looks up a
    # word and a reader together in one GIN index (`ticket_search_access`).
    access_keys = models.JSONField(_("access keys"), default=list, blank=True, editable=False)
    # The known incident the request follows (filed as following it, or attached by its desk): it is resolved
    # with the incident and is not referred up on its own (docs/workflow.md, "Known incidents").
    incident = models.ForeignKey(
        "Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # ticket_incident (a lookup of one incident implies it is not null)
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # A desk's inbox: its open tickets, newest activity first (keyset on updated_at, id).
            models.Index(fields=["desk", "status", "-updated_at", "-id"], name="ticket_desk_inbox"),
            models.Index(fields=["desk", "-updated_at", "-id"], name="ticket_desk_recent"),
            # The inbox's default tab, a desk's open tickets: one ordered range instead of three to merge.
            models.Index(
                fields=["desk", "-updated_at", "-id"],
                name="ticket_desk_open",
                condition=models.Q(status__in=["new", "open", "waiting"]),
            ),
            # "My requests".
            models.Index(fields=["requester", "-updated_at", "-id"], name="ticket_requester"),
            models.Index(fields=["origin_unit", "-updated_at", "-id"], name="ticket_origin"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
            # The auto-close sweep.
            models.Index(fields=["status", "resolved_at"], name="ticket_resolved_sweep"),
            # The open tickets of a subtree (supervisors' and observers' tab, the unit tree's counts): only
            # the open ones, a few percent of the history, so they are read without the rest.
            models.Index(
                fields=["origin_unit", "-updated_at", "-id"],
                name="ticket_origin_open",
                condition=models.Q(status__in=["new", "open", "waiting"]),
            ),
            # The whole history by last activity: a reader whose tickets are a large share of the country
            # (a central observer, a search over a big subtree) walks it and filters.
            models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
            # An incident's requests: a few hundred among millions, so only those are indexed.
            models.Index(
                fields=["incident", "status"],
                name="ticket_incident",
                condition=models.Q(incident__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def referring_desk(self):
        """The desk that referred the ticket into the level it is at now (the last referral into that level);
        None for a ticket filed at this level. Read from the history: one query."""
        level = self.desk.level
        for data in (
            self.events.filter(kind=EventKind.ESCALATED)
            .order_by("-created_at", "-id")
            .values_list("data", flat=True)
        ):
            if (data.get("to") or {}).get("level") == level:
                return OrgUnit.objects.filter(code=data["from"]["code"]).first()
        return None


class TicketHolding(models.Model):
    """Every desk that has held a ticket keeps read access to it: one row per (ticket, desk)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="holdings")
    # No index of its own: holding_unique begins with it (see Ticket's foreign keys).
    desk = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="holdings", db_index=False)
    since = models.DateTimeField()
    # When the ticket last left the desk (None while the desk holds it): a former desk reads the internal
    # notes written until then, not those written after it (docs/access-policy.md).
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["desk", "ticket"], name="holding_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.desk_id}"


class EventQuerySet(models.QuerySet):
    """Bulk writes that would rewrite the history are refused like single ones."""

    def update(self, **kwargs):
        raise ValueError("Ticket events are append-only: events are never changed.")

    def delete(self):
        raise ValueError("Ticket events are append-only: events are never deleted.")


class Event(models.Model):
    """One line of a ticket's history. Never edited, never deleted.

    Stores codes and values; the text people read is made when displaying (see `events.py`).
    """

    # No index of its own: event_ticket_history begins with it (see Ticket's foreign keys).
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    # NULL actor means the SYSTEM actor (jobs, intakes), said explicitly by `by_system`.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    by_system = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    # Internal notes and desk-only facts are not public: requesters never see them.
    public = models.BooleanField(default=True)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_history"),
            # The dashboards' daily rollup reads one kind of event over a day.
            models.Index(fields=["kind", "created_at"], name="event_kind_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(by_system=True, actor__isnull=True)
                | models.Q(by_system=False, actor__isnull=False),
                name="event_actor_or_system",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ticket events are append-only: an event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ticket events are append-only: an event is never deleted.")


def attachment_path(instance, filename):
    # The stored name is not the user's (no collisions, no path tricks); the original name is kept aside.
    return f"attachments/{instance.ticket.filed_at:%Y/%m}/{instance.ticket.reference}/{instance.token}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="attachments")
    token = models.CharField(max_length=40, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=128)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.original_name


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Ongoing")
    RESOLVED = "resolved", _("Resolved")


class Incident(models.Model):
    """A known problem that many requests report at once (Massar down in an academy, a national outage),
    declared by a desk for a category and a part of the tree (`scope`: every unit under it). Requests of that
    category from that part of the tree are offered to follow it; its updates go to their requesters, and
    resolving it resolves them (docs/workflow.md, "Known incidents")."""

    desk = models.ForeignKey(
        OrgUnit, verbose_name=_("declared by"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    scope = models.ForeignKey(
        OrgUnit, verbose_name=_("units concerned"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("declared"))
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["status", "-created_at"], name="incident_status")]

    def __str__(self) -> str:
        return self.title


class IncidentUpdate(models.Model):
    """What the desk handling an incident tells its requesters, once each. Appended, never changed."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="updates")
    body = models.TextField(_("update"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An incident's updates are never changed.")
        super().save(*args, **kwargs)


class TicketLink(models.Model):
    """Two related requests tied together by a desk (a merge ties the duplicate to the request it repeats).
    Stored once per pair, the smaller id first; never removed: the history says when and by whom."""

    first = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="ticket_link_ordered"
            ),
        ]
        indexes = [models.Index(fields=["second"], name="ticket_link_second")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"


class ReferenceCounter(models.Model):
    """The last reference number given in a year: `MSN-2026-000123`."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CannedReply(models.Model):
    """A ready answer a desk (or a central service) wrote once, offered in the reply form of the desks that
    may use it (policy.canned_replies_for), inserted and edited before it is sent."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("desk"), on_delete=models.PROTECT, related_name="canned_replies"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    """A list a user named and keeps coming back to: the inbox's tab and filters, as its address says them
    (`query`, only the inbox's own parameters)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("list"), max_length=1000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name
