"""Known incidents on the pages: the banner, following one when filing, the incident page for readers and for
the desk handling it, declaring one, and attaching requests in bulk."""

from django.urls import reverse

from musanada.jobs.runner import run_until_empty
from musanada.tickets import policy
from musanada.tickets.models import Event, Incident, Ticket
from musanada.tickets.workflow import EventKind, Status
from tests.conftest import PASSWORD
from tests.helpers import file_request
from tests.test_incidents import declare


def signed_in(client, user, language="en"):
    client.login(username=user.username, password=PASSWORD)
    client.post(reverse("set-language"), {"language": language, "next": "/"})
    return client


def test_the_banner_shows_under_the_incident_and_the_request_follows_it(client, people, units, categories):
    incident = declare(people, units, categories)
    signed_in(client, people["teacher"])
    for page in (reverse("home"), reverse("ticket-new")):
        assert reverse("incident-detail", args=[incident.pk]) in client.get(page).content.decode()
    answer = client.post(
        reverse("ticket-new"),
        {
            "unit": units["01001A"].pk,
            "category": categories["massar-grades"].pk,
            "incident": incident.pk,
            "subject": "Massar ne répond pas",
            "description": "Impossible de saisir les notes.",
            "priority": "normal",
        },
    )
    assert answer.status_code == 302
    ticket = Ticket.objects.get(subject="Massar ne répond pas")
    assert ticket.incident == incident
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    assert 'id="ticket-incident"' in page and reverse("incident-detail", args=[incident.pk]) in page
    client.logout()
    # Another academy's people see no banner.
    page = signed_in(client, people["outsider_teacher"]).get(reverse("home")).content.decode()
    assert reverse("incident-detail", args=[incident.pk]) not in page
    assert client.get(reverse("incident-detail", args=[incident.pk])).status_code == 404


def test_following_an_incident_of_another_category_is_refused_beside_the_field(
    client, people, units, categories
):
    incident = declare(people, units, categories, category="accounts")
    signed_in(client, people["teacher"])
    answer = client.post(
        reverse("ticket-new"),
        {
            "unit": units["01001A"].pk,
            "category": categories["massar"].pk,
            "incident": incident.pk,
            "subject": "Autre chose",
            "description": "x",
            "priority": "normal",
        },
    )
    assert answer.status_code == 400
    assert "This incident is not about this request" in answer.content.decode()
    assert not Ticket.objects.filter(subject="Autre chose").exists()


def test_the_desk_declares_updates_and_resolves_from_the_pages(client, people, units, categories):
    signed_in(client, people["region"])
    declared = client.post(
        reverse("incident-declare"),
        {
            "desk": units["MA-01"].pk,
            "category": categories["massar"].pk,
            "scope": "ma-01-01",
            "title": "Coupure du réseau provincial",
            "description": "Le réseau de la direction provinciale est coupé.",
        },
    )
    assert declared.status_code == 302
    incident = Incident.objects.get(title="Coupure du réseau provincial")
    assert incident.scope == units["MA-01-01"]
    beyond = client.post(
        reverse("incident-declare"),
        {
            "desk": units["MA-01"].pk,
            "category": categories["massar"].pk,
            "scope": "MA-02",
            "title": "x",
            "description": "y",
        },
    )
    assert beyond.status_code == 400 and "only for the units it answers for" in beyond.content.decode()
    ticket = file_request(people["teacher"], incident=incident.pk)
    client.post(reverse("incident-update", args=[incident.pk]), {"body": "Intervention en cours."})
    assert Event.objects.filter(
        ticket=ticket, kind=EventKind.INCIDENT_UPDATE, body="Intervention en cours."
    ).exists()
    page = client.get(reverse("incident-detail", args=[incident.pk])).content.decode()
    assert "1 request follows this incident." in page and ticket.reference in page
    client.post(reverse("incident-resolve", args=[incident.pk]), {"resolution": "Réseau rétabli."})
    run_until_empty()
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    # The teacher reads the incident and its update, not the desk's side.
    client.logout()
    page = (
        signed_in(client, people["teacher"])
        .get(reverse("incident-detail", args=[incident.pk]))
        .content.decode()
    )
    assert "Intervention en cours." in page and "Réseau rétabli." in page
    assert 'id="incident-handling"' not in page
    refused = client.post(reverse("incident-update", args=[incident.pk]), {"body": "?"})
    assert refused.status_code == 400
    assert "Only the desk that declared the incident handles it." in refused.content.decode()
    assert not Event.objects.filter(ticket=ticket, body="?").exists()


def test_requests_are_attached_in_bulk_from_the_list(client, people, units, categories):
    incident = declare(people, units, categories)
    tickets = [file_request(people["teacher"]) for _ in range(2)]
    signed_in(client, people["head"])
    answer = client.post(
        reverse("bulk-act"),
        {
            "action": "follow_incident",
            "incident": incident.pk,
            "tickets": [ticket.reference for ticket in tickets],
            "next": reverse("home"),
        },
        follow=True,
    )
    assert "done on 2 requests" in answer.content.decode()
    assert set(Ticket.objects.filter(incident=incident)) == set(tickets)
    missing = client.post(
        reverse("bulk-act"), {"action": "follow_incident", "tickets": [tickets[0].reference]}, follow=True
    )
    assert "Choose the incident." in missing.content.decode()


def test_nobody_declares_without_a_desk(client, people):
    signed_in(client, people["teacher"])
    assert client.get(reverse("incident-declare")).status_code == 404
    assert policy.incidents_concerning(people["admin"]).count() == 0
