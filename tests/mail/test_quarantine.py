"""Sender authentication: mail the ministry's server did not authenticate, from a domain that must be or
from a desk agent, is quarantined (no ticket, no reply, no answer) until a reviewer releases or discards
it."""

from pathlib import Path

import pytest
from django.urls import reverse

from musanada.jobs.runner import run_due_jobs
from musanada.mail import intake
from musanada.mail.models import InboundMessage, Outcome
from musanada.org.models import Role, User
from musanada.org.services import membership_grant
from musanada.tickets.workflow import EventKind
from tests.mail.mails import AUTHSERV_ID, answering, make_mail

AGENT = "region@demo.musanada.ma"


@pytest.fixture
def receive(desk_mailbox, django_capture_on_commit_callbacks):
    def receive(raw):
        with django_capture_on_commit_callbacks(execute=True):
            record = intake.process_message(desk_mailbox, raw)
        run_due_jobs()
        return record

    return receive


@pytest.fixture
def ticket(receive):
    record = receive(make_mail())
    assert record.outcome == Outcome.TICKET_FILED
    return record.ticket


def _forged_agent_reply(ticket, results=()):
    return make_mail(
        sender=AGENT,
        body="Cliquez sur ce lien pour réinitialiser votre mot de passe.",
        headers=[*(("Authentication-Results", value) for value in results), *answering(ticket)],
        authenticated=False,
    )


@pytest.mark.parametrize(
    "results",
    [
        [],  # sent from outside, no result at all
        [
            f"{AUTHSERV_ID}; spf=fail smtp.mailfrom={AGENT}; dkim=none; "
            "dmarc=fail header.from=demo.musanada.ma"
        ],
        # Another server's pass, however many, counts for nothing.
        ["mx.evil.example; dmarc=pass header.from=demo.musanada.ma", "relay.example; spf=pass"],
        # A pass with the trusted name written by the sender below the server's own fail is ignored.
        [f"{AUTHSERV_ID}; dmarc=fail", f"{AUTHSERV_ID}; dmarc=pass header.from=demo.musanada.ma"],
    ],
)
def test_a_forged_desk_agent_reply_is_quarantined_and_reaches_nobody(
    receive, ticket, answers, mailoutbox, results
):
    sent_before = len(mailoutbox)
    record = receive(_forged_agent_reply(ticket, results))
    assert record.outcome == Outcome.QUARANTINED and record.ticket is None
    assert not ticket.events.filter(kind=EventKind.REPLY).exists()
    assert len(mailoutbox) == sent_before, "no answer, no notification to the requester"
    assert record.raw and record.raw.read().startswith(b"From: ")


def test_an_unknown_address_of_an_authenticated_domain_is_quarantined_not_answered(receive, answers):
    record = receive(make_mail(sender="directeur@men.gov.ma", authenticated=False))
    assert (record.outcome, record.reason) == (Outcome.QUARANTINED, "not_authenticated")
    assert answers() == [], "answering would write to whoever owns the forged address"


def test_an_authenticated_agent_reply_is_added(receive, ticket):
    record = receive(make_mail(sender=AGENT, body="Nous nous en occupons.", headers=answering(ticket)))
    assert record.outcome == Outcome.REPLY_ADDED


def test_the_desks_supervisor_releases_a_quarantined_mail_and_it_does_what_it_would_have(
    client, receive, ticket, people
):
    record = receive(_forged_agent_reply(ticket))
    client.force_login(people["supervisor"])
    page = client.get(reverse("quarantine")).content.decode()
    assert AGENT in page and f'data-message="{record.pk}"' in page

    response = client.post(reverse("quarantine-review", args=[record.pk, "release"]), follow=True)

    record.refresh_from_db()
    assert response.status_code == 200
    assert (record.outcome, record.ticket, record.reviewed_by) == (
        Outcome.REPLY_ADDED,
        ticket,
        people["supervisor"],
    )
    assert record.reviewed_at is not None
    assert ticket.events.get(kind=EventKind.REPLY).actor == people["region"]


def test_discarding_deletes_the_stored_mail_and_records_who_did(
    client, receive, ticket, django_capture_on_commit_callbacks
):
    record = receive(_forged_agent_reply(ticket))
    stored = Path(record.raw.path)
    assert stored.exists()
    admin = User.objects.create_user(username="sysadmin", password=None, is_superuser=True, is_staff=True)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("quarantine-review", args=[record.pk, "discard"]))
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.outcome, record.reviewed_by, record.raw.name) == (Outcome.DISCARDED, admin, "")
    assert not stored.exists()
    assert not ticket.events.filter(kind=EventKind.REPLY).exists()


def test_nobody_else_sees_or_reviews_the_quarantine(client, receive, ticket, people, units):
    record = receive(_forged_agent_reply(ticket))
    other = User.objects.create_user(username="sup-ma-02", password=None)
    membership_grant(other, units["MA-02"], Role.SUPERVISOR)
    for user in (people["region"], people["teacher"], other):
        client.force_login(user)
        listed = client.get(reverse("quarantine"))
        assert listed.status_code == 404 or f'data-message="{record.pk}"' not in listed.content.decode()
        assert client.post(reverse("quarantine-review", args=[record.pk, "release"])).status_code == 404
    record.refresh_from_db()
    assert record.outcome == Outcome.QUARANTINED
    assert InboundMessage.objects.filter(outcome=Outcome.QUARANTINED).count() == 1
