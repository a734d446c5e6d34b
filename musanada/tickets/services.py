"""The verbs of the help desk: one function per action, each one transaction that appends its events.

Web views, the API, the mail intake and the jobs all call these; none of them changes a ticket by itself.
Each function checks its input, asks the policy (404/403/409: the workflow table's decision, guards included),
appends the events, runs the reactions other apps registered (service levels, notifications:
musanada.tickets.reactions), and saves the ticket with one conditional update on the version (so two agents
acting at once cannot overwrite each other). A refusal raises a DomainError and leaves the database as it was.
"""

import secrets
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musanada.core import files as file_store
from musanada.core.actors import SYSTEM, is_system
from musanada.core.errors import Conflict, ErrorCode, IllegalTransition, InvalidInput, NotFound
from musanada.core.text import normalize, plain_line, plain_text, required_text
from musanada.org.models import Category, OrgUnit, UnitKind
from musanada.tickets import incidents, policy, reactions, references, routing, search
from musanada.tickets.attachments import check_files
from musanada.tickets.models import Attachment, Event, Incident, Ticket, TicketHolding, TicketLink
from musanada.tickets.workflow import Action, Channel, EventKind, Party, Priority, Status

SUBJECT_MAX = 200
TEXT_MAX = 20_000


# Input checks ------------------------------------------------------------------------------------------


def _required_text(value, field: str, message, *, max_length: int = TEXT_MAX, line: bool = False) -> str:
    # What people write is echoed in pages, mails and answers: never with controls that could reorder it.
    return required_text(value, field, message, max_length=max_length, line=line)


def _valid_priority(value) -> str:
    if value not in Priority.values:
        raise InvalidInput(_("Choose a valid priority."), code=ErrorCode.INVALID_PRIORITY, field="priority")
    return value


def _valid_category(value) -> Category:
    if not isinstance(value, Category) or not value.is_active:
        raise InvalidInput(_("Choose a valid category."), code=ErrorCode.INVALID_CATEGORY, field="category")
    return value


# The acting frame --------------------------------------------------------------------------------------


class _Change:
    """What one action does to one ticket, written at the end of the frame in one go."""

    def __init__(self, actor, ticket: Ticket, decision, facts: policy.TicketFacts, expected_version: int):
        self.actor = actor
        self.ticket = ticket
        self.rule = decision.rule
        self.facts = facts
        self.expected_version = expected_version
        self.now = facts.now
        self.updates: dict = {}
        self.events: list[tuple[Event, list]] = []
        self.new_desks: list[OrgUnit] = []
        self.left_desk_id: int | None = None
        if decision.target and decision.target != ticket.status:
            self.updates["status"] = decision.target

    @property
    def party(self) -> str:
        return self.rule.party

    def set(self, **fields) -> None:
        self.updates.update(fields)

    def event(self, kind: str, *, body: str = "", public: bool = True, data=None, files=()) -> None:
        self.events.append(
            (_new_event(self.ticket, kind, self.actor, self.now, body, public, data), list(files))
        )

    def move_to(self, desk: OrgUnit) -> None:
        if not self.new_desks:
            self.left_desk_id = self.ticket.desk_id
        self.updates.update(desk=desk, assignee=None)
        self.new_desks.append(desk)

    def commit(self) -> None:
        # The reactions read the ticket as the action leaves it, so the new values are set first; the row
        # itself is written last, with what the reactions keep, in one update guarded by the version.
        updates = {**self.updates, "updated_at": self.now, "version": self.expected_version + 1}
        events = [event for event, _files in self.events]
        words = search.words_after(
            self.ticket.search_text, self.ticket.note_text, events, subject=self.updates.get("subject")
        )
        updates.update(words)
        if self.new_desks:
            added = policy.access_keys(self.new_desks)
            updates["access_keys"] = sorted(set(self.ticket.access_keys) | set(added))
        for name, value in updates.items():
            setattr(self.ticket, name, value)
        if self.left_desk_id is not None:
            TicketHolding.objects.filter(ticket=self.ticket, desk_id=self.left_desk_id).update(
                left_at=self.now
            )
        for desk in self.new_desks:
            _hold(self.ticket, desk, self.now)
        # One insert for the action's events (a referral appends two or three), in the order they happened.
        Event.objects.bulk_create(events)
        for event, files in self.events:
            _store_attachments(self.ticket, event, files)
        kept = reactions.run(self.ticket, events)
        for name, value in kept.items():
            setattr(self.ticket, name, value)
        saved = Ticket.objects.filter(pk=self.ticket.pk, version=self.expected_version).update(
            **updates, **kept
        )
        if saved != 1:
            raise _conflict()


def _conflict() -> Conflict:
    return Conflict(_("Someone else changed this ticket in the meantime. Reload it and try again."))


def _new_event(ticket, kind, actor, now, body="", public=True, data=None) -> Event:
    system = is_system(actor)
    return Event(
        ticket=ticket,
        kind=kind,
        actor=None if system else actor,
        by_system=system,
        created_at=now,
        body=body,
        public=public,
        data=data or {},
    )


def _hold(ticket: Ticket, desk: OrgUnit, now) -> None:
    # A desk the ticket comes back to holds it again: its first `since` stays, its `left_at` is cleared.
    TicketHolding.objects.bulk_create(
        [TicketHolding(ticket=ticket, desk=desk, since=now, left_at=None)],
        update_conflicts=True,
        unique_fields=["desk", "ticket"],
        update_fields=["left_at"],
    )


def tickets_refresh_access_keys(path: str) -> int:
    """Recompute the access keys of the tickets that originate or were held under `path`, after that subtree
    moved there (the units above them changed). The version is bumped, so that an action read before is
    refused as a conflict instead of writing the old keys back. Returns how many tickets changed."""
    units = OrgUnit.objects.filter(path__startswith=path).values("pk")
    ids = set(Ticket.objects.filter(origin_unit__in=units).values_list("pk", flat=True))
    ids |= set(TicketHolding.objects.filter(desk__in=units).values_list("ticket_id", flat=True))
    unit_ids = dict(OrgUnit.objects.values_list("path", "pk"))
    changed = 0
    ordered = sorted(ids)
    with transaction.atomic():
        for start in range(0, len(ordered), 1000):
            chunk = ordered[start : start + 1000]
            desks: dict[int, list] = {pk: [] for pk in chunk}
            for holding in TicketHolding.objects.filter(ticket_id__in=chunk).select_related("desk"):
                desks[holding.ticket_id].append(holding.desk)
            tickets = (
                Ticket.objects.filter(pk__in=chunk)
                .select_related("origin_unit")
                .select_for_update(of=("self",))
            )
            for ticket in tickets.only("pk", "access_keys", "origin_unit__path"):
                keys = policy.access_keys(desks[ticket.pk], ticket.origin_unit, unit_ids=unit_ids)
                if keys != ticket.access_keys:
                    Ticket.objects.filter(pk=ticket.pk).update(access_keys=keys, version=F("version") + 1)
                    changed += 1
    return changed


def _store_attachments(ticket, event, checked_files) -> None:
    for checked in checked_files:
        attachment = Attachment(
            ticket=ticket,
            event=event,
            token=secrets.token_hex(16),
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=None if event.by_system else event.actor,
            created_at=event.created_at,
        )
        checked.upload.seek(0)
        # Inside the action's `file_store.kept_if_committed`: removed again if the action does not commit.
        file_store.save(attachment.file, attachment.token, File(checked.upload))
        attachment.save()


def _show_saved(ticket: Ticket, saved: Ticket) -> None:
    """The caller's object shows the ticket as saved. Setting a foreign key's id drops the related object
    Django cached when the id changed, so `ticket.desk` is read again where the desk moved."""
    for field in Ticket._meta.concrete_fields:
        setattr(ticket, field.attname, getattr(saved, field.attname))
        # The related objects the fresh copy already holds (the desk it moved to) come along.
        if isinstance(field, models.ForeignKey) and field.is_cached(saved):
            field.set_cached_value(ticket, field.get_cached_value(saved))
    policy.forget_reads_internal(ticket)
    policy.forget_reads_internal(saved, into=ticket)


@contextmanager
def _acting(actor, ticket: Ticket, action: str, version: int | None):
    """Load the ticket fresh, check visibility, version and the workflow's decision, then write the change."""
    expected = ticket.version if version is None else int(version)
    with file_store.kept_if_committed(), transaction.atomic():
        try:
            # The desk above is read by referrals and returns: with the ticket, in the same query.
            current = Ticket.objects.select_related("desk__parent", "category__owner", "origin_unit").get(
                pk=ticket.pk
            )
        except Ticket.DoesNotExist:
            raise NotFound(_("No such ticket.")) from None
        # What the caller's object already knows of the reader's side holds for the fresh one.
        policy.forget_reads_internal(ticket, into=current)
        if not policy.can_see(actor, current):
            raise NotFound(_("No such ticket."))
        if current.version != expected:
            raise _conflict()
        facts = policy.TicketFacts(current, actor=actor)
        decision = policy.authorize(actor, current, action, facts, seen=True)
        change = _Change(actor, current, decision, facts, expected)
        yield change
        change.commit()
    _show_saved(ticket, current)


# Filing ------------------------------------------------------------------------------------------------


def ticket_file(
    requester,
    *,
    unit: OrgUnit,
    category: Category,
    subject: str,
    description: str,
    priority: str = Priority.NORMAL,
    channel: str = Channel.WEB,
    files=(),
    mailbox_desk: OrgUnit | None = None,
    incident: Incident | int | None = None,
) -> Ticket:
    """File a request for `unit` (a unit the requester belongs to); it lands on the desk the memo names.

    `incident`: the known incident the requester says the request reports (one they can see, about this
    category and unit); the request then follows it.

    `mailbox_desk` is for the e-mail channel only: a mail sent to a desk's official address lands on that
    desk (routing.mailbox_landing) instead of the one the web form would choose.
    """
    if is_system(requester) or not getattr(requester, "is_active", False):
        raise InvalidInput(_("Only an active user can file a request."), code=ErrorCode.INACTIVE_USER)
    subject = _required_text(
        subject, "subject", _("Give the request a subject."), max_length=SUBJECT_MAX, line=True
    )
    description = _required_text(description, "description", _("Describe the problem."))
    priority = _valid_priority(priority)
    category = _valid_category(category)
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), code=ErrorCode.INVALID_CHANNEL, field="channel")
    if not isinstance(unit, OrgUnit) or not unit.is_active:
        raise InvalidInput(_("Choose the unit you file for."), code=ErrorCode.INVALID_UNIT, field="unit")
    checked = check_files(files)
    if mailbox_desk is None:
        landing = routing.filing_desk(requester, unit, category)
    elif channel != Channel.EMAIL:
        raise InvalidInput(_("Unknown channel."), code=ErrorCode.INVALID_CHANNEL, field="channel")
    else:
        landing = routing.mailbox_landing(requester, unit, mailbox_desk, category)
    keys = policy.access_keys([landing.desk], origin=unit)
    if incident is not None:
        incident = _incident_for(requester, incident, unit, category)

    with file_store.kept_if_committed(), transaction.atomic():
        now = timezone.now()
        reference = references.next_reference(now)
        ticket = Ticket(
            reference=reference,
            requester=requester,
            origin_unit=unit,
            desk=landing.desk,
            status=Status.NEW,
            priority=priority,
            category=category,
            subject=subject,
            description=description,
            channel=channel,
            filed_at=now,
            updated_at=now,
            **search.ticket_words(subject, description),
            access_keys=keys,
            incident=incident,
        )
        for name, value in reactions.filing_fields(ticket).items():
            setattr(ticket, name, value)
        ticket.save(force_insert=True)
        _hold(ticket, landing.desk, now)
        filed = _new_event(
            ticket,
            EventKind.FILED,
            requester,
            now,
            body=description,
            data={
                "unit": unit.code,
                "desk": landing.desk.code,
                "category": category.code,
                "priority": priority,
                "subject": subject,
                "channel": channel,
            },
        )
        appended = [filed]
        if incident is not None:
            appended.append(
                _new_event(
                    ticket,
                    EventKind.INCIDENT_FOLLOWED,
                    requester,
                    now,
                    data=incidents.followed_data(incident),
                )
            )
        if landing.skipped:
            appended.append(_routed_up(ticket, landing, now))
        Event.objects.bulk_create(appended)
        _store_attachments(ticket, filed, checked)
        kept = reactions.run(ticket, appended)
        if kept:
            # Fields a reaction could not give before the events (`reactions.filing_fields`). The row was
            # inserted in this transaction: nobody else can have changed its version.
            Ticket.objects.filter(pk=ticket.pk, version=ticket.version).update(**kept)
            for name, value in kept.items():
                setattr(ticket, name, value)
    return ticket


def _routed_up(ticket, landing: routing.Landing, now) -> Event:
    # Said by the system: nobody chose it, the empty desks made it so.
    return _new_event(
        ticket,
        EventKind.ROUTED_UP,
        SYSTEM,
        now,
        data={
            "skipped": [desk.code for desk in landing.skipped],
            "desk": landing.desk.code,
            "reason": "no_active_agent",
        },
    )


# Desk actions ------------------------------------------------------------------------------------------


def ticket_take(actor, ticket: Ticket, *, version: int | None = None) -> Ticket:
    """An agent of the holding desk takes the ticket for themselves."""
    with _acting(actor, ticket, Action.TAKE, version) as change:
        change.set(assignee=actor)
        change.event(EventKind.ASSIGNED, public=False, data={"assignee": actor.username})
    return ticket


def ticket_assign(actor, ticket: Ticket, *, assignee, version: int | None = None) -> Ticket:
    """Give the ticket to an agent of the holding desk."""
    with _acting(actor, ticket, Action.ASSIGN, version) as change:
        if assignee is None or not policy.is_desk_agent(assignee, change.ticket.desk):
            raise InvalidInput(
                _("The ticket can only be assigned to an agent of the desk that holds it."),
                code=ErrorCode.INVALID_ASSIGNEE,
                field="assignee",
            )
        change.set(assignee=assignee)
        change.event(EventKind.ASSIGNED, public=False, data={"assignee": assignee.username})
    return ticket


def _first_response(change: _Change) -> None:
    if change.party == Party.DESK and change.ticket.first_response_at is None:
        change.set(first_response_at=change.now)


def ticket_reply(actor, ticket: Ticket, *, body: str, files=(), version: int | None = None) -> Ticket:
    """A public message, from the holding desk to the requester or from the requester to the desk."""
    body = _required_text(body, "body", _("Write your reply."))
    checked = check_files(files)
    with _acting(actor, ticket, Action.REPLY, version) as change:
        _first_response(change)
        change.event(EventKind.REPLY, body=body, files=checked, data={"party": change.party})
    return ticket


def ticket_note(actor, ticket: Ticket, *, body: str, files=(), version: int | None = None) -> Ticket:
    """An internal note: desks see it, the requester never does."""
    body = _required_text(body, "body", _("Write the note."))
    checked = check_files(files)
    with _acting(actor, ticket, Action.NOTE, version) as change:
        change.event(EventKind.NOTE, body=body, public=False, files=checked)
    return ticket


def ticket_request_info(actor, ticket: Ticket, *, body: str, version: int | None = None) -> Ticket:
    """Ask the requester for information; the ticket waits for their answer."""
    body = _required_text(body, "body", _("Say what information you need."))
    with _acting(actor, ticket, Action.REQUEST_INFO, version) as change:
        _first_response(change)
        change.event(EventKind.INFO_REQUESTED, body=body)
    return ticket


def ticket_provide_info(actor, ticket: Ticket, *, body: str, files=(), version: int | None = None) -> Ticket:
    """The requester answers a request for information; the desk can go on."""
    body = _required_text(body, "body", _("Write the information asked for."))
    checked = check_files(files)
    with _acting(actor, ticket, Action.PROVIDE_INFO, version) as change:
        change.event(EventKind.INFO_PROVIDED, body=body, files=checked)
    return ticket


def _desk_data(desk: OrgUnit) -> dict:
    return {"code": desk.code, "level": desk.level}


def ticket_escalate(
    actor,
    ticket: Ticket,
    *,
    note: str,
    category: Category | None = None,
    priority: str | None = None,
    subject: str | None = None,
    version: int | None = None,
) -> Ticket:
    """Requalify the ticket and refer it to the level above (memo 059X20: إحالة بعد التكييف).

    From a school to its province, from a province to its academy, from an academy to the central service
    that owns the requalified category. The note of what was tried is required; category, priority and
    subject may change, and the requalification event keeps the old and new values.
    """
    note = _required_text(note, "note", _("Say what was tried before referring the request."))
    new_category = _valid_category(category) if category is not None else None
    new_priority = _valid_priority(priority) if priority is not None else None
    new_subject = (
        _required_text(
            subject, "subject", _("Give the request a subject."), max_length=SUBJECT_MAX, line=True
        )
        if subject is not None
        else None
    )
    with _acting(actor, ticket, Action.ESCALATE, version) as change:
        current = change.ticket
        changes = {}
        if new_category is not None and new_category.pk != current.category_id:
            changes["category"] = [current.category.code, new_category.code]
            change.set(category=new_category)
        if new_priority is not None and new_priority != current.priority:
            changes["priority"] = [current.priority, new_priority]
            change.set(priority=new_priority)
        if new_subject is not None and new_subject != current.subject:
            changes["subject"] = [current.subject, new_subject]
            change.set(subject=new_subject)
        landing = routing.escalation_desk(current.desk, new_category or current.category)
        change.event(EventKind.REQUALIFIED, body=note, public=False, data={"changes": changes})
        change.event(
            EventKind.ESCALATED,
            data={"from": _desk_data(current.desk), "to": _desk_data(landing.desk)},
        )
        if landing.skipped:
            change.events.append((_routed_up(current, landing, change.now), []))
        change.move_to(landing.desk)
    return ticket


def ticket_auto_escalate(ticket: Ticket, *, overrun_minutes: int) -> Ticket:
    """The service-level sweep refers a ticket to the level above, as the SYSTEM actor, when its level turned
    automatic escalation on and the resolution target was overrun by `overrun_minutes` working minutes.

    Nothing is requalified; the requalification event says the referral was automatic and why.
    """
    with _acting(SYSTEM, ticket, Action.ESCALATE, None) as change:
        current = change.ticket
        landing = routing.escalation_desk(current.desk, current.category)
        change.event(
            EventKind.REQUALIFIED,
            public=False,
            data={"changes": {}, "automatic": True, "overrun_minutes": overrun_minutes},
        )
        change.event(
            EventKind.ESCALATED,
            data={"from": _desk_data(current.desk), "to": _desk_data(landing.desk), "automatic": True},
        )
        if landing.skipped:
            change.events.append((_routed_up(current, landing, change.now), []))
        change.move_to(landing.desk)
    return ticket


def ticket_return(actor, ticket: Ticket, *, instructions: str, version: int | None = None) -> Ticket:
    """Send the ticket back to the desk that referred it, with instructions to finish the job there."""
    instructions = _required_text(instructions, "instructions", _("Give the lower desk instructions."))
    with _acting(actor, ticket, Action.RETURN, version) as change:
        # The workflow's guards checked there is one, with an agent to answer.
        target = change.facts.referrer
        change.event(
            EventKind.RETURNED,
            body=instructions,
            public=False,
            data={"from": _desk_data(change.ticket.desk), "to": _desk_data(target)},
        )
        change.move_to(target)
    return ticket


def ticket_transfer(
    actor, ticket: Ticket, *, to_desk: OrgUnit, note: str, version: int | None = None
) -> Ticket:
    """Hand the ticket to another central service, with a note."""
    note = _required_text(note, "note", _("Say why the ticket goes to that service."))
    with _acting(actor, ticket, Action.TRANSFER, version) as change:
        if (
            not isinstance(to_desk, OrgUnit)
            or to_desk.kind != UnitKind.SERVICE
            or not to_desk.is_active
            or to_desk.pk == change.ticket.desk_id
        ):
            raise InvalidInput(
                _("Choose another central service."), code=ErrorCode.INVALID_DESK, field="to_desk"
            )
        change.event(
            EventKind.TRANSFERRED,
            body=note,
            public=False,
            data={"from": _desk_data(change.ticket.desk), "to": _desk_data(to_desk)},
        )
        change.move_to(to_desk)
    return ticket


def ticket_resolve(actor, ticket: Ticket, *, resolution: str, version: int | None = None) -> Ticket:
    """The holding desk solved the problem; the requester can confirm or reopen."""
    resolution = _required_text(resolution, "resolution", _("Explain the resolution to the requester."))
    with _acting(actor, ticket, Action.RESOLVE, version) as change:
        _first_response(change)
        change.set(resolved_at=change.now)
        change.event(EventKind.RESOLVED, body=resolution, data={"desk": _desk_data(change.ticket.desk)})
    return ticket


# Requester actions -------------------------------------------------------------------------------------


def ticket_close(actor, ticket: Ticket, *, version: int | None = None) -> Ticket:
    """The requester confirms the resolution, or the system closes it after the delay."""
    with _acting(actor, ticket, Action.CLOSE, version) as change:
        change.set(closed_at=change.now)
        change.event(EventKind.CLOSED, data={"automatic": is_system(actor)})
    return ticket


def ticket_reopen(actor, ticket: Ticket, *, reason: str, version: int | None = None) -> Ticket:
    """The requester says the problem is not solved, within the reopening delay."""
    reason = _required_text(reason, "reason", _("Say why the problem is not solved."))
    # Within the reopening delay: a guard of the workflow table.
    with _acting(actor, ticket, Action.REOPEN, version) as change:
        change.set(resolved_at=None, closed_at=None)
        change.event(EventKind.REOPENED, body=reason)
    return ticket


def ticket_rate(actor, ticket: Ticket, *, score, comment: str = "", version: int | None = None) -> Ticket:
    """The requester rates the service received, from 1 to 5, once."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise InvalidInput(_("Give a rating from 1 to 5."), code=ErrorCode.INVALID_RATING, field="score")
    comment = (comment or "").strip()[:TEXT_MAX]
    # Once only: a guard of the workflow table.
    with _acting(actor, ticket, Action.RATE, version) as change:
        change.set(rating=score)
        change.event(EventKind.RATED, body=comment, data={"score": score})
    return ticket


def ticket_attach(actor, ticket: Ticket, *, files, version: int | None = None) -> Ticket:
    """Add files to an open ticket (the requester, or the holding desk)."""
    checked = check_files(files)
    if not checked:
        raise InvalidInput(_("Choose at least one file."), code=ErrorCode.REQUIRED, field="attachments")
    with _acting(actor, ticket, Action.ATTACH, version) as change:
        change.event(EventKind.ATTACHMENT_ADDED, files=checked, data={"count": len(checked)})
    return ticket


# Duplicates and related requests ----------------------------------------------------------------------


def _partner(actor, ticket: Ticket, reference: str, field: str) -> Ticket:
    """The other request an action names by its reference: one the actor reads from the desk side, not this
    one."""
    wanted = normalize(plain_line(reference or "")).upper()
    partner = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("origin_unit", "desk")
        .filter(reference=wanted)
        .first()
        if wanted
        else None
    )
    # Read from the desk side (a request the actor only filed is not theirs to tie to others): its history
    # then names a request that desk may read.
    if partner is None or not policy.reads_internal(actor, partner):
        raise InvalidInput(
            _("No request with this reference among those your desks read."),
            code=ErrorCode.INVALID_TICKET,
            field=field,
        )
    if partner.pk == ticket.pk:
        raise InvalidInput(
            _("Give the reference of another request, not of this one."),
            code=ErrorCode.INVALID_TICKET,
            field=field,
        )
    return partner


def _tie(actor, one: Ticket, other: Ticket, now) -> bool:
    """Link the two requests; False when they already were."""
    first, second = sorted((one.pk, other.pk))
    _link, created = TicketLink.objects.get_or_create(
        first_id=first, second_id=second, defaults={"created_by": actor, "created_at": now}
    )
    return created


def _append(ticket: Ticket, kind: str, actor, now, *, public: bool, data: dict) -> None:
    # The other request of a merge or a link gets its line of history; its status and version do not change,
    # so a form an agent has open on it stays valid.
    _new_event(ticket, kind, actor, now, public=public, data=data).save()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)


def ticket_merge(actor, ticket: Ticket, *, into: str, note: str = "", version: int | None = None) -> Ticket:
    """Close a request filed twice into the one it repeats (same requester): the requester is told on the
    duplicate, which stays readable, and the other request goes on. Both are linked."""
    note = plain_text(note or "").strip()
    with _acting(actor, ticket, Action.MERGE, version) as change:
        partner = _partner(actor, change.ticket, into, "into")
        if partner.requester_id != change.ticket.requester_id:
            raise InvalidInput(
                _(
                    "Only a request filed twice by the same person is merged. Requests of different people "
                    "about one problem are linked instead."
                ),
                code=ErrorCode.NOT_SAME_REQUESTER,
                field="into",
            )
        if partner.status == Status.CLOSED:
            raise InvalidInput(
                _("That request is closed: merge into a request that is still going on."),
                code=ErrorCode.INVALID_TICKET,
                field="into",
            )
        change.set(closed_at=change.now)
        change.event(EventKind.MERGED, body=note, data={"into": partner.reference})
        _append(
            partner,
            EventKind.MERGED_IN,
            actor,
            change.now,
            public=True,
            data={"from": change.ticket.reference},
        )
        _tie(actor, change.ticket, partner, change.now)
    return ticket


def ticket_link(actor, ticket: Ticket, *, to: str, version: int | None = None) -> Ticket:
    """Tie two related requests together (desk side: the other may be someone else's request)."""
    with _acting(actor, ticket, Action.LINK, version) as change:
        partner = _partner(actor, change.ticket, to, "to")
        if not _tie(actor, change.ticket, partner, change.now):
            raise InvalidInput(
                _("These two requests are already linked."), code=ErrorCode.ALREADY_LINKED, field="to"
            )
        change.event(EventKind.LINKED, public=False, data={"to": partner.reference})
        _append(
            partner, EventKind.LINKED, actor, change.now, public=False, data={"to": change.ticket.reference}
        )
    return ticket


# Known incidents ---------------------------------------------------------------------------------------


def _incident_for(actor, incident, unit: OrgUnit, category: Category) -> Incident:
    """The incident named (an object or an id) if the actor sees it and it is about this request."""
    pk = incident.pk if isinstance(incident, Incident) else incident
    found = (
        policy.visible_incidents(actor).select_related("desk", "scope").filter(pk=pk).first() if pk else None
    )
    if found is None:
        raise InvalidInput(_("No such incident."), code=ErrorCode.INVALID_INCIDENT, field="incident")
    incidents.check_covers(found, unit, category)
    return found


def ticket_follow_incident(actor, ticket: Ticket, *, incident, version: int | None = None) -> Ticket:
    """The holding desk attaches the request to the known incident it reports: the requester hears the
    incident's updates and the request is resolved with it."""
    with _acting(actor, ticket, Action.FOLLOW_INCIDENT, version) as change:
        found = _incident_for(actor, incident, change.ticket.origin_unit, change.ticket.category)
        change.set(incident=found)
        change.event(EventKind.INCIDENT_FOLLOWED, data=incidents.followed_data(found))
    return ticket


def ticket_resolve_with_incident(ticket: Ticket, incident: Incident) -> Ticket:
    """The system resolves a request that follows the resolved incident, with the incident's resolution (the
    job that `incidents.incident_resolve` queues)."""
    with _acting(SYSTEM, ticket, Action.RESOLVE, None) as change:
        change.set(resolved_at=change.now)
        change.event(
            EventKind.RESOLVED,
            body=incident.resolution,
            data={"desk": _desk_data(change.ticket.desk), "incident": incident.pk},
        )
    return ticket


# The system's own records ------------------------------------------------------------------------------


def ticket_record_service_level(ticket: Ticket, kind: str, *, at, data: dict) -> Event:
    """The service-level sweep records that a target is at risk or missed: a desk-side event by the system,
    with the reactions of any other event (whoever answers for the delay is told). The ticket's status and
    version do not change: an agent's open form stays valid."""
    if kind not in (EventKind.SLA_AT_RISK, EventKind.SLA_BREACHED):
        raise ValueError(f"not a service-level event: {kind}")
    with transaction.atomic():
        event = _new_event(ticket, kind, SYSTEM, at, public=False, data=data)
        event.save()
        kept = reactions.run(ticket, [event])
        if kept:
            Ticket.objects.filter(pk=ticket.pk, version=ticket.version).update(**kept)
    return event


# Jobs --------------------------------------------------------------------------------------------------


def close_resolved_tickets() -> int:
    """Close the tickets resolved longer ago than the auto-close delay; returns how many were closed."""
    cutoff = timezone.now() - timedelta(days=settings.MUSANADA["AUTO_CLOSE_DAYS"])
    closed = 0
    due = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff).order_by("resolved_at", "id")
    for ticket in due.iterator(chunk_size=500):
        try:
            ticket_close(SYSTEM, ticket)
        except (Conflict, IllegalTransition):
            # The requester acted at the same moment: their action stands.
            continue
        closed += 1
    return closed
