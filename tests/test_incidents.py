"""Known incidents: declared by a desk for a category and a part of the tree, followed by the requests that
report them, telling their requesters once per update, and resolving them all through the ticket services."""

import pytest

from musanada.core.errors import ErrorCode, Forbidden, IllegalTransition, InvalidInput
from musanada.jobs.runner import run_until_empty
from musanada.notifications.models import Notification, NotificationKind
from musanada.sla.models import LevelVisit, VisitOutcome
from musanada.tickets import incidents, policy, services
from musanada.tickets.models import Event, Ticket
from musanada.tickets.workflow import EventKind, Status
from tests.helpers import file_request


def declare(people, units, categories, *, by="region", desk="MA-01", scope="MA-01", category="massar"):
    return incidents.incident_declare(
        people[by],
        desk=units[desk],
        category=categories[category],
        scope=units[scope],
        title="Massar indisponible dans l'académie",
        description="Le serveur académique est en maintenance ; inutile de déposer une demande.",
    )


def test_a_desk_declares_only_for_the_units_it_answers_for_and_they_see_it(people, units, categories):
    incident = declare(people, units, categories)
    with pytest.raises(InvalidInput) as beyond:
        declare(people, units, categories, by="head", desk="01001A", scope="MA-01")
    assert beyond.value.code == ErrorCode.INVALID_UNIT
    # A central service declares for the whole country.
    national = declare(people, units, categories, by="central", desk="MEN-MASSAR", scope="MEN")
    seen = {
        user: set(policy.visible_incidents(people[user])) for user in ("teacher", "head", "outsider_teacher")
    }
    assert seen["teacher"] == seen["head"] == {incident, national}
    assert seen["outsider_teacher"] == {national}


def test_a_request_filed_as_following_the_incident_is_not_referred_on_its_own(people, units, categories):
    incident = declare(people, units, categories)
    ticket = file_request(people["teacher"], category=categories["massar-grades"], incident=incident.pk)
    assert ticket.incident_id == incident.pk
    assert EventKind.INCIDENT_FOLLOWED in [e.kind for e in policy.visible_events(people["teacher"], ticket)]
    with pytest.raises(IllegalTransition) as refused:
        services.ticket_escalate(people["head"], ticket, note="On remonte.")
    assert refused.value.code == ErrorCode.FOLLOWS_INCIDENT
    # An incident about another category, or another academy's, is refused and nothing is filed.
    filed = Ticket.objects.count()
    other = declare(people, units, categories, category="accounts")
    for wrong in (
        other.pk,
        declare(people, units, categories, by="outsider", desk="MA-02-01", scope="MA-02-01").pk,
    ):
        with pytest.raises(InvalidInput) as refused:
            file_request(people["teacher"], incident=wrong)
        assert refused.value.code == ErrorCode.INVALID_INCIDENT
    assert Ticket.objects.count() == filed


def test_updates_reach_each_requester_once_and_resolving_resolves_every_request(people, units, categories):
    incident = declare(people, units, categories)
    first = file_request(people["teacher"], incident=incident.pk)
    second = file_request(people["teacher"])
    services.ticket_follow_incident(people["head"], second, incident=incident.pk)
    # The head's own request, filed with the province, follows it too (attached by the province).
    own = file_request(people["head"], unit=units["01001A"])
    services.ticket_follow_incident(people["province"], own, incident=incident.pk)
    Notification.objects.all().delete()

    incidents.incident_post_update(people["region"], incident.pk, "Retour prévu à 14 h.")
    for ticket in (first, second, own):
        assert Event.objects.filter(ticket=ticket, kind=EventKind.INCIDENT_UPDATE).count() == 1
    told = Notification.objects.filter(kind=NotificationKind.INCIDENT)
    assert sorted(told.values_list("user__username", flat=True)) == ["head", "teacher"]

    with pytest.raises(Forbidden):  # only the declaring desk handles it
        incidents.incident_resolve(people["head"], incident.pk, "Fini.")
    incidents.incident_resolve(people["region"], incident.pk, "Le serveur est rétabli.")
    run_until_empty()
    for ticket in (first, second, own):
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
        resolved = Event.objects.get(ticket=ticket, kind=EventKind.RESOLVED)
        assert resolved.by_system and resolved.body == "Le serveur est rétabli." and resolved.public
    assert LevelVisit.objects.get(ticket=first).outcome == VisitOutcome.RESOLVED
    assert Notification.objects.filter(kind=NotificationKind.RESOLVED, user=people["teacher"]).count() == 2
    with pytest.raises(IllegalTransition):
        incidents.incident_post_update(people["region"], incident.pk, "Encore ?")


def test_a_request_that_left_the_incident_by_its_desks_resolution_is_left_alone(people, units, categories):
    incident = declare(people, units, categories)
    ticket = file_request(people["teacher"], incident=incident.pk)
    services.ticket_resolve(people["head"], ticket, resolution="Réglé localement.")
    incidents.incident_resolve(people["region"], incident.pk, "Rétabli.")
    assert run_until_empty() >= 1
    assert Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).count() == 1


def test_an_update_is_mailed_to_each_requester_once(people, units, categories, mailoutbox):
    incident = declare(people, units, categories)
    for _ in range(2):
        file_request(people["teacher"], incident=incident.pk)
    run_until_empty()
    mailoutbox.clear()
    incidents.incident_post_update(people["region"], incident.pk, "Retour prévu à 14 h.")
    run_until_empty()
    to_teacher = [mail for mail in mailoutbox if people["teacher"].email in mail.to]
    assert len(to_teacher) == 1
    assert "Retour prévu à 14 h." in to_teacher[0].body
