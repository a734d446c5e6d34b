"""The verbs of the help desk as a user meets them: what each action does, what it refuses without a trace."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from musanada.core.errors import DomainError, Forbidden, IllegalTransition, InvalidInput, NotFound
from musanada.org.models import Membership, Role
from musanada.org.services import membership_grant
from musanada.tickets import selectors, services
from musanada.tickets.models import Attachment, Event, Ticket
from musanada.tickets.workflow import EventKind, Status
from tests.helpers import DESCRIPTION, file_request

LEVEL_PATH = {"school": "01001A", "province": "MA-01-01", "academy": "MA-01", "central": "MEN-MASSAR"}
AGENT_AT = {"school": "head", "province": "province", "academy": "region", "central": "central"}
ESCALATORS = ("head", "province", "region")

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def ticket_at(level, people, units):
    """A teacher's ticket referred up to `level` by the agents of the desks below it."""
    ticket = file_request(people["teacher"])
    for username in ESCALATORS[: list(LEVEL_PATH).index(level)]:
        services.ticket_escalate(people[username], ticket, note="Essayé sans succès à ce niveau.")
    assert ticket.desk == units[LEVEL_PATH[level]]
    return ticket


def resolved_ticket(people):
    ticket = file_request(people["teacher"])
    services.ticket_resolve(people["head"], ticket, resolution="Vider le cache du navigateur.")
    return ticket


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def snapshot(ticket):
    """Everything a refused action must leave as it was."""
    row = Ticket.objects.get(pk=ticket.pk)
    return {
        "version": row.version,
        "status": row.status,
        "desk": row.desk_id,
        "assignee": row.assignee_id,
        "category": row.category_id,
        "priority": row.priority,
        "subject": row.subject,
        "rating": row.rating,
        "resolved_at": row.resolved_at,
        "closed_at": row.closed_at,
        "events": Event.objects.filter(ticket=ticket).count(),
        "attachments": Attachment.objects.filter(ticket=ticket).count(),
        "holdings": row.holdings.count(),
        "files": media_files(),
    }


def assert_readable(error):
    text = str(error)
    assert text.strip() and "%(" not in text
    return text


def assert_refused(error_class, watched, action, **kwargs):
    """Run the action, expect the refusal, and check that nothing about the `watched` ticket changed."""
    before = snapshot(watched)
    with pytest.raises(error_class) as refused:
        action(**kwargs)
    assert snapshot(watched) == before
    assert_readable(refused.value)
    return refused.value


# Resolving at each level ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["school", "province", "academy", "central"])
def test_each_level_can_resolve_instead_of_referring_and_the_requester_confirms(people, units, level):
    ticket = ticket_at(level, people, units)
    agent = people[AGENT_AT[level]]
    services.ticket_take(agent, ticket)
    assert ticket.status == Status.OPEN and ticket.assignee == agent
    services.ticket_resolve(agent, ticket, resolution="Le compte a été débloqué.")
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at is not None and ticket.first_response_at is not None
    assert ticket.desk == units[LEVEL_PATH[level]]

    services.ticket_close(people["teacher"], ticket)
    saved = Ticket.objects.get(pk=ticket.pk)
    assert saved.status == Status.CLOSED and saved.closed_at is not None
    kinds = list(saved.events.values_list("kind", flat=True))
    assert kinds[-3:] == [EventKind.ASSIGNED, EventKind.RESOLVED, EventKind.CLOSED]
    assert kinds.count(EventKind.ESCALATED) == list(LEVEL_PATH).index(level)
    resolved = saved.events.get(kind=EventKind.RESOLVED)
    assert resolved.actor == agent and resolved.data["desk"]["code"] == LEVEL_PATH[level]
    closed = saved.events.get(kind=EventKind.CLOSED)
    assert closed.actor == people["teacher"] and closed.data["automatic"] is False


def test_every_change_bumps_the_version_by_one(people):
    ticket = file_request(people["teacher"])
    assert ticket.version == 1
    services.ticket_take(people["head"], ticket)
    services.ticket_reply(people["head"], ticket, body="Quel navigateur utilisez-vous ?")
    services.ticket_reply(people["teacher"], ticket, body="Firefox.")
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version == 4


def test_a_desk_asks_for_information_and_the_requester_provides_it(people):
    ticket = file_request(people["teacher"])
    services.ticket_request_info(people["head"], ticket, body="Envoyez une capture d'écran.")
    assert ticket.status == Status.WAITING and ticket.first_response_at is not None
    services.ticket_provide_info(people["teacher"], ticket, body="La voici.")
    assert ticket.status == Status.OPEN
    assert list(ticket.events.values_list("kind", flat=True)) == [
        EventKind.FILED,
        EventKind.INFO_REQUESTED,
        EventKind.INFO_PROVIDED,
    ]


# Refusals that change nothing ----------------------------------------------------------------------------


def test_the_central_level_cannot_escalate_any_further(people, units):
    ticket = ticket_at("central", people, units)
    error = assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_escalate,
        actor=people["central"],
        ticket=ticket,
        note="Je ne sais pas.",
    )
    assert error.status == 409


@pytest.mark.parametrize("note", ["", "   ", None])
def test_escalation_without_a_note_of_what_was_tried_is_refused(people, categories, note):
    ticket = file_request(people["teacher"])
    error = assert_refused(
        InvalidInput,
        ticket,
        services.ticket_escalate,
        actor=people["head"],
        ticket=ticket,
        note=note,
        category=categories["massar-grades"],
    )
    assert error.field == "note" and error.code == "required"


def test_escalation_with_an_invalid_priority_is_refused(people):
    ticket = file_request(people["teacher"])
    error = assert_refused(
        InvalidInput,
        ticket,
        services.ticket_escalate,
        actor=people["head"],
        ticket=ticket,
        note="Essayé.",
        priority="critical",
    )
    assert error.field == "priority"


@pytest.mark.parametrize(
    ("username", "error_class"),
    [
        # Cannot see it at all: answered exactly like a missing ticket.
        ("head2", NotFound),
        ("province2", NotFound),
        ("outsider", NotFound),
        ("province", NotFound),
        ("central", NotFound),
        ("admin", NotFound),
        # Reads the subtree, but works no desk that holds it.
        ("supervisor", Forbidden),
        ("observer", Forbidden),
    ],
)
def test_nobody_but_the_holding_desk_resolves_a_ticket(people, username, error_class):
    ticket = file_request(people["teacher"])
    assert_refused(
        error_class,
        ticket,
        services.ticket_resolve,
        actor=people[username],
        ticket=ticket,
        resolution="Fait.",
    )


def test_a_desk_that_referred_a_ticket_keeps_reading_it_but_can_no_longer_act(people, units):
    ticket = ticket_at("province", people, units)
    assert selectors.ticket_get_for(people["head"], ticket.reference) == ticket
    assert_refused(Forbidden, ticket, services.ticket_take, actor=people["head"], ticket=ticket)
    assert_refused(
        Forbidden,
        ticket,
        services.ticket_escalate,
        actor=people["head"],
        ticket=ticket,
        note="Encore.",
    )


def test_the_desk_cannot_confirm_a_resolution_for_the_requester(people):
    ticket = resolved_ticket(people)
    assert_refused(Forbidden, ticket, services.ticket_close, actor=people["head"], ticket=ticket)


def test_a_refused_reply_with_a_file_leaves_no_file_behind(people):
    ticket = resolved_ticket(people)
    services.ticket_close(people["teacher"], ticket)
    upload = SimpleUploadedFile("capture.png", PNG, content_type="image/png")
    assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_reply,
        actor=people["teacher"],
        ticket=ticket,
        body="Toujours en panne.",
        files=[upload],
    )
    assert media_files() == []


def test_provide_info_when_nobody_asked_is_refused(people):
    ticket = file_request(people["teacher"])
    error = assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_provide_info,
        actor=people["teacher"],
        ticket=ticket,
        body="Voici plus de détails.",
    )
    assert error.code == "illegal_transition"


# Reopening -----------------------------------------------------------------------------------------------


def test_the_requester_reopens_within_the_delay(people, clock):
    ticket = resolved_ticket(people)
    clock.now = ticket.resolved_at + timedelta(days=settings.MUSANADA["REOPEN_DAYS"]) - timedelta(minutes=1)
    services.ticket_reopen(people["teacher"], ticket, reason="Le problème est revenu.")
    saved = Ticket.objects.get(pk=ticket.pk)
    assert saved.status == Status.OPEN and saved.resolved_at is None and saved.closed_at is None
    assert saved.events.last().kind == EventKind.REOPENED
    # The desk works it again and can resolve it a second time.
    services.ticket_resolve(people["head"], ticket, resolution="Corrigé définitivement.")
    assert ticket.status == Status.RESOLVED


def test_the_requester_reopens_a_closed_ticket_within_the_delay(people):
    ticket = resolved_ticket(people)
    services.ticket_close(people["teacher"], ticket)
    services.ticket_reopen(people["teacher"], ticket, reason="Finalement non.")
    assert ticket.status == Status.OPEN and ticket.closed_at is None


@pytest.mark.parametrize("closed_first", [False, True])
def test_reopening_after_the_delay_is_refused(people, closed_first, clock):
    ticket = resolved_ticket(people)
    if closed_first:
        services.ticket_close(people["teacher"], ticket)
    days = settings.MUSANADA["REOPEN_DAYS"]
    clock.now = ticket.resolved_at + timedelta(days=days, minutes=1)
    error = assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_reopen,
        actor=people["teacher"],
        ticket=ticket,
        reason="Ça ne marche plus.",
    )
    assert error.code == "reopen_delay_passed"
    assert str(days) in str(error)


def test_reopening_without_a_reason_is_refused(people):
    ticket = resolved_ticket(people)
    error = assert_refused(
        InvalidInput,
        ticket,
        services.ticket_reopen,
        actor=people["teacher"],
        ticket=ticket,
        reason=" ",
    )
    assert error.field == "reason"


# Rating --------------------------------------------------------------------------------------------------


def test_the_requester_rates_once(people):
    ticket = resolved_ticket(people)
    services.ticket_rate(people["teacher"], ticket, score=4, comment="Rapide.")
    assert Ticket.objects.get(pk=ticket.pk).rating == 4
    rated = ticket.events.get(kind=EventKind.RATED)
    assert rated.data["score"] == 4 and rated.body == "Rapide."
    error = assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_rate,
        actor=people["teacher"],
        ticket=ticket,
        score=5,
    )
    assert error.code == "already_rated"


@pytest.mark.parametrize("score", [0, 6, -1, "abc", None, "", 2.5e10])
def test_a_rating_outside_one_to_five_is_refused(people, score):
    ticket = resolved_ticket(people)
    error = assert_refused(
        InvalidInput,
        ticket,
        services.ticket_rate,
        actor=people["teacher"],
        ticket=ticket,
        score=score,
    )
    assert error.field == "score"


def test_a_ticket_still_in_progress_cannot_be_rated(people):
    ticket = file_request(people["teacher"])
    assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_rate,
        actor=people["teacher"],
        ticket=ticket,
        score=5,
    )


# Returning with instructions -----------------------------------------------------------------------------


def test_the_province_returns_a_ticket_to_the_school_that_referred_it(people, units):
    ticket = ticket_at("province", people, units)
    services.ticket_take(people["province"], ticket)
    services.ticket_return(people["province"], ticket, instructions="Réinitialisez le mot de passe.")
    assert ticket.desk == units["01001A"] and ticket.status == Status.NEW and ticket.assignee is None
    returned = ticket.events.get(kind=EventKind.RETURNED)
    assert returned.data["from"]["code"] == "MA-01-01" and returned.data["to"]["code"] == "01001A"
    assert returned.body == "Réinitialisez le mot de passe." and not returned.public
    services.ticket_resolve(people["head"], ticket, resolution="Mot de passe réinitialisé.")
    assert ticket.status == Status.RESOLVED
    # The province keeps read access after handing it back.
    assert selectors.ticket_get_for(people["province"], ticket.reference) == ticket


def test_the_central_service_returns_a_ticket_to_the_academy_that_referred_it(people, units):
    ticket = ticket_at("central", people, units)
    services.ticket_return(people["central"], ticket, instructions="Relancez la synchronisation régionale.")
    assert ticket.desk == units["MA-01"]
    services.ticket_resolve(people["region"], ticket, resolution="Synchronisation relancée.")
    assert ticket.status == Status.RESOLVED


def test_after_a_transfer_the_new_central_service_returns_to_the_referring_academy(people, units):
    ticket = ticket_at("central", people, units)
    services.ticket_transfer(
        people["central"],
        ticket,
        to_desk=units["MEN-ACCOUNTS"],
        note="C'est un problème de compte.",
    )
    assert ticket.desk == units["MEN-ACCOUNTS"] and ticket.status == Status.NEW
    services.ticket_return(people["central2"], ticket, instructions="Débloquez le compte depuis l'AREF.")
    assert ticket.desk == units["MA-01"]
    assert ticket.events.filter(kind=EventKind.RETURNED).get().data["from"]["code"] == "MEN-ACCOUNTS"


def test_a_ticket_returned_twice_goes_down_one_level_each_time(people, units):
    ticket = ticket_at("central", people, units)
    services.ticket_return(people["central"], ticket, instructions="À traiter au niveau régional.")
    services.ticket_return(people["region"], ticket, instructions="À traiter au niveau provincial.")
    services.ticket_return(people["province"], ticket, instructions="À traiter à l'école.")
    assert ticket.desk == units["01001A"]


def test_a_ticket_filed_at_this_level_has_nobody_to_return_to(people, units):
    ticket = file_request(people["province"], units["MA-01-01"])
    error = assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_return,
        actor=people["province"],
        ticket=ticket,
        instructions="Faites-le vous-même.",
    )
    assert error.code == "no_referrer"


def test_a_school_desk_cannot_return_a_ticket(people):
    ticket = file_request(people["teacher"])
    assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_return,
        actor=people["head"],
        ticket=ticket,
        instructions="Non.",
    )


def test_a_return_without_instructions_is_refused(people, units):
    ticket = ticket_at("province", people, units)
    error = assert_refused(
        InvalidInput,
        ticket,
        services.ticket_return,
        actor=people["province"],
        ticket=ticket,
        instructions="",
    )
    assert error.field == "instructions"


# Transfer between central services -----------------------------------------------------------------------


def test_a_central_service_transfers_to_another_and_keeps_read_access(people, units):
    ticket = ticket_at("central", people, units)
    services.ticket_transfer(people["central"], ticket, to_desk=units["MEN-ACCOUNTS"], note="Comptes.")
    transferred = ticket.events.get(kind=EventKind.TRANSFERRED)
    assert transferred.data["from"]["code"] == "MEN-MASSAR"
    assert transferred.data["to"]["code"] == "MEN-ACCOUNTS"
    assert selectors.ticket_get_for(people["central"], ticket.reference) == ticket
    services.ticket_resolve(people["central2"], ticket, resolution="Compte réactivé.")
    assert ticket.status == Status.RESOLVED


@pytest.mark.parametrize("target", ["MA-01", "MEN", "01001A", "MEN-MASSAR", None])
def test_a_transfer_goes_only_to_another_central_service(people, units, target):
    ticket = ticket_at("central", people, units)
    error = assert_refused(
        InvalidInput,
        ticket,
        services.ticket_transfer,
        actor=people["central"],
        ticket=ticket,
        to_desk=units.get(target),
        note="Ailleurs.",
    )
    assert error.field == "to_desk"


@pytest.mark.parametrize("level", ["school", "province", "academy"])
def test_only_the_central_level_transfers(people, units, level):
    ticket = ticket_at(level, people, units)
    assert_refused(
        IllegalTransition,
        ticket,
        services.ticket_transfer,
        actor=people[AGENT_AT[level]],
        ticket=ticket,
        to_desk=units["MEN-ACCOUNTS"],
        note="Directement au central.",
    )


# Assignment ----------------------------------------------------------------------------------------------


def test_a_desk_assigns_a_ticket_to_one_of_its_agents(people, units, django_user_model):
    colleague = django_user_model.objects.create_user(username="province_agent_b", password="x-unused-pw")
    membership_grant(colleague, units["MA-01-01"], Role.AGENT)
    ticket = ticket_at("province", people, units)
    services.ticket_assign(people["province"], ticket, assignee=colleague)
    assert Ticket.objects.get(pk=ticket.pk).assignee == colleague
    assert ticket.events.last().data == {"assignee": "province_agent_b"}
    # The assignee works the desk and may resolve.
    services.ticket_resolve(colleague, ticket, resolution="Réglé.")
    assert ticket.status == Status.RESOLVED


@pytest.mark.parametrize(
    "assignee", ["teacher", "head2", "province2", "supervisor", "observer", "region", None]
)
def test_a_ticket_is_assigned_only_to_an_agent_of_the_holding_desk(people, units, assignee):
    ticket = ticket_at("province", people, units)
    error = assert_refused(
        InvalidInput,
        ticket,
        services.ticket_assign,
        actor=people["province"],
        ticket=ticket,
        assignee=people.get(assignee),
    )
    assert error.field == "assignee"


def test_a_ticket_is_not_assigned_to_an_agent_whose_membership_ended(people, units, django_user_model):
    former = django_user_model.objects.create_user(username="former_agent", password="x-unused-pw")
    membership = membership_grant(former, units["MA-01-01"], Role.AGENT)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    ticket = ticket_at("province", people, units)
    assert_refused(
        InvalidInput,
        ticket,
        services.ticket_assign,
        actor=people["province"],
        ticket=ticket,
        assignee=former,
    )


# Stale versions --------------------------------------------------------------------------------------------


def test_a_change_based_on_an_old_version_is_refused(people):
    from musanada.core.errors import Conflict

    ticket = file_request(people["teacher"])
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_take(people["head"], ticket)
    error = assert_refused(
        Conflict,
        ticket,
        services.ticket_resolve,
        actor=people["head"],
        ticket=stale,
        resolution="Fait.",
    )
    assert error.status == 409


# Auto-close ----------------------------------------------------------------------------------------------


def test_resolved_tickets_close_by_themselves_after_the_delay(people, clock):
    days = settings.MUSANADA["AUTO_CLOSE_DAYS"]
    now = clock.now
    clock.now = now - timedelta(days=days, hours=1)
    old = resolved_ticket(people)
    clock.now = now - timedelta(days=days) + timedelta(hours=1)
    recent = resolved_ticket(people)
    clock.now = now
    still_open = file_request(people["teacher"])

    assert services.close_resolved_tickets() == 1

    old.refresh_from_db()
    assert old.status == Status.CLOSED and old.closed_at is not None
    closed = old.events.get(kind=EventKind.CLOSED)
    assert closed.by_system is True and closed.actor is None and closed.data["automatic"] is True
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert recent.status == Status.RESOLVED and still_open.status == Status.NEW

    events = Event.objects.count()
    assert services.close_resolved_tickets() == 0
    assert Event.objects.count() == events


def test_the_requester_can_still_reopen_an_automatically_closed_ticket_within_the_delay(
    people, settings, clock
):
    settings.MUSANADA = {**settings.MUSANADA, "AUTO_CLOSE_DAYS": 2, "REOPEN_DAYS": 7}
    now = clock.now
    clock.now = now - timedelta(days=3)
    ticket = resolved_ticket(people)
    clock.now = now
    assert services.close_resolved_tickets() == 1
    ticket.refresh_from_db()
    services.ticket_reopen(people["teacher"], ticket, reason="Toujours en panne.")
    assert ticket.status == Status.OPEN


# The history is append-only --------------------------------------------------------------------------------


def test_an_event_cannot_be_edited_or_deleted_through_the_model(people):
    ticket = file_request(people["teacher"])
    event = ticket.events.get()
    event.body = "Réécrit."
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert ticket.events.get().body == DESCRIPTION


def test_bulk_updates_and_deletes_of_the_history_are_refused(people):
    ticket = file_request(people["teacher"])
    with pytest.raises(ValueError):
        Event.objects.filter(ticket=ticket).update(body="Réécrit.")
    with pytest.raises(ValueError):
        Event.objects.filter(ticket=ticket).delete()
    assert ticket.events.get().body == DESCRIPTION


def test_the_database_refuses_a_raw_update_of_the_history(people):
    ticket = file_request(people["teacher"])
    # A plain queryset, past the model's guard: the database trigger is the last line.
    with pytest.raises(DatabaseError), transaction.atomic():
        QuerySet(Event).filter(ticket=ticket).update(body="Réécrit.")
    assert ticket.events.get().body == DESCRIPTION


def test_postgresql_refuses_a_raw_delete_of_the_history(people):
    if connection.vendor != "postgresql":
        pytest.skip("the delete trigger exists on PostgreSQL only (SQLite empties test DBs with DELETE)")
    ticket = file_request(people["teacher"])
    with pytest.raises(DatabaseError), transaction.atomic():
        QuerySet(Event).filter(ticket=ticket)._raw_delete(connection.alias)
    assert ticket.events.count() == 1


# References ------------------------------------------------------------------------------------------------


def test_references_are_unique_and_numbered_per_year(people):
    tickets = [file_request(people["teacher"]) for _ in range(5)]
    year = timezone.localtime().year
    references = [t.reference for t in tickets]
    assert all(re.fullmatch(rf"MSN-{year}-\d{{6}}", ref) for ref in references)
    assert len(set(references)) == 5
    numbers = [int(ref.rsplit("-", 1)[1]) for ref in references]
    assert numbers == list(range(numbers[0], numbers[0] + 5))


def test_the_numbering_starts_again_each_year_in_moroccan_time(people, clock):
    from zoneinfo import ZoneInfo

    clock.now = timezone.datetime(2031, 1, 1, 0, 30, tzinfo=ZoneInfo("Africa/Casablanca"))
    first = file_request(people["teacher"])
    second = file_request(people["teacher"])
    assert (first.reference, second.reference) == ("MSN-2031-000001", "MSN-2031-000002")


# Messages in the reader's language -----------------------------------------------------------------------


def collect_refusals(people, units, categories, clock) -> list[DomainError]:
    """One refusal of each kind that carries a placeholder or a translated value."""
    errors = []

    def catch(call, **kwargs):
        with pytest.raises(DomainError) as refused:
            call(**kwargs)
        errors.append(refused.value)

    central_ticket = ticket_at("central", people, units)
    catch(services.ticket_escalate, actor=people["central"], ticket=central_ticket, note="Plus haut.")
    school_ticket = file_request(people["teacher"])
    catch(services.ticket_provide_info, actor=people["teacher"], ticket=school_ticket, body="Détails.")
    catch(services.ticket_return, actor=people["head"], ticket=school_ticket, instructions="Non.")
    catch(services.ticket_reply, actor=people["teacher"], ticket=school_ticket, body="x" * 20_001)
    catch(services.ticket_resolve, actor=people["supervisor"], ticket=school_ticket, resolution="Fait.")
    catch(services.ticket_resolve, actor=people["outsider"], ticket=school_ticket, resolution="Fait.")
    catch(services.ticket_assign, actor=people["head"], ticket=school_ticket, assignee=people["teacher"])
    resolved = resolved_ticket(people)
    catch(services.ticket_rate, actor=people["teacher"], ticket=resolved, score=9)
    clock.now = resolved.resolved_at + timedelta(days=settings.MUSANADA["REOPEN_DAYS"] + 1)
    catch(services.ticket_reopen, actor=people["teacher"], ticket=resolved, reason="Encore.")
    empty = SimpleUploadedFile("vide.txt", b"", content_type="text/plain")
    catch(services.ticket_attach, actor=people["teacher"], ticket=school_ticket, files=[empty])
    catch(
        services.ticket_file,
        requester=people["teacher"],
        unit=units["02001D"],
        category=categories["massar"],
        subject="Accès",
        description="Refusé.",
    )
    return errors


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_refusals_render_as_complete_sentences_in_each_language(people, units, categories, language, clock):
    errors = collect_refusals(people, units, categories, clock)
    assert len(errors) == 11
    with translation.override(language):
        texts = [assert_readable(error) for error in errors]
    assert "7" in texts[-3] or "٧" in texts[-3]
    assert "20000" in texts[3] or "20,000" in texts[3] or "20 000" in texts[3] or "٢٠" in texts[3]
    assert "vide.txt" in texts[-2]


def test_the_wrong_status_message_names_the_status_in_the_reader_language(people):
    ticket = file_request(people["teacher"])
    with pytest.raises(IllegalTransition) as refused:
        services.ticket_provide_info(people["teacher"], ticket, body="Détails.")
    with translation.override("en"):
        assert "New" in str(refused.value)


def test_a_ticket_is_not_returned_to_a_desk_that_has_nobody_to_answer(people, units):
    ticket = file_request(people["teacher"])
    services.ticket_escalate(people["head"], ticket, note="Essayé sur deux navigateurs")
    Membership.objects.filter(user=people["head"], unit=units["01001A"]).update(is_active=False)
    before = ticket.version
    with pytest.raises(IllegalTransition) as refused:
        services.ticket_return(people["province"], ticket, instructions="Vider le cache du navigateur")
    assert refused.value.code == "referrer_unstaffed"
    ticket.refresh_from_db()
    assert ticket.desk == units["MA-01-01"] and ticket.version == before


def test_what_people_write_is_kept_without_controls_that_would_reorder_it_when_echoed(people):
    upload = SimpleUploadedFile("facture\u202egnp.exe.png", PNG, content_type="image/png")
    ticket = file_request(
        people["teacher"],
        subject="Massar\u202e ne répond\tplus\u0000",
        description="Ligne une\u2066 isolée\u2069\r\nLigne deux\u0007",
        files=[upload],
    )
    assert ticket.subject == "Massar ne répond plus"
    assert ticket.description == "Ligne une isolée\nLigne deux"
    assert [a.original_name for a in ticket.attachments.all()] == ["facturegnp.exe.png"]
