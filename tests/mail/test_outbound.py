"""Notification mails, delivered to a real SMTP server (aiosmtpd on a free port of 127.0.0.1).

The actions go through the ticket services and the mails through the jobs runner, as in production: each
test acts, runs the due jobs, and reads what the SMTP server received.
"""

import email
import email.policy
import socket
import time
import uuid
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import translation

from musanada.jobs.models import Job, JobStatus
from musanada.jobs.runner import run_due_jobs
from musanada.mail import intake, outbound, parsing
from musanada.mail.models import OutboundMessage, Outcome
from musanada.notifications.models import Notification, NotificationKind, NotificationPreference
from musanada.notifications.selectors import unread_count
from musanada.notifications.services import notifications_without_email
from musanada.tickets import services
from musanada.tickets.workflow import EventKind, Status
from tests.conftest import PASSWORD
from tests.helpers import file_request
from tests.mail.mails import DESK_ADDRESS, make_mail

FROM = "musanada@men.gov.ma"
REPLY_TO = "support@men.gov.ma"
PUBLIC_URL = "https://musanada.men.gov.ma"
DOMAIN = "men.gov.ma"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """The aiosmtpd handler: keeps every message it accepts, parsed."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on one port, which a test can stop and start again."""

    def __init__(self):
        self.port = _free_port()
        self.collector = Collector()
        self.controller: Controller | None = None
        self.read = 0

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list:
        return list(self.collector.messages)

    def new(self) -> list:
        """The messages received since the last call."""
        fresh = self.messages[self.read :]
        self.read += len(fresh)
        return fresh

    def wait_for(self, count: int, seconds: float = 20) -> list:
        deadline = time.monotonic() + seconds
        while len(self.collector.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages


@pytest.fixture
def smtp(settings):
    """The running SMTP server, with Django's SMTP backend pointed at it."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = False, False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = f"Musanada <{FROM}>"
    settings.MUSANADA_REPLY_TO = REPLY_TO
    settings.MUSANADA = {**settings.MUSANADA, "PUBLIC_URL": PUBLIC_URL, "REOPEN_DAYS": 5}
    try:
        yield server
    finally:
        server.stop()


def deliver(smtp) -> dict:
    """Run the due jobs; {username: [messages]} of what the SMTP server received meanwhile."""
    run_due_jobs()
    received: dict = {}
    for message in smtp.new():
        received.setdefault(recipient(message), []).append(message)
    return received


def recipient(message) -> str:
    return message["To"].addresses[0].username


def text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def root_id(ticket) -> str:
    return parsing.ticket_message_id(ticket.reference, 0, DOMAIN)


def assert_threaded(message, ticket) -> None:
    assert message["References"] == root_id(ticket)
    assert message["In-Reply-To"] == root_id(ticket)
    # Kept with its ticket when it was sent: an answer citing it is added to that ticket.
    assert OutboundMessage.objects.get(message_id=message["Message-ID"]).ticket == ticket
    assert message["Message-ID"].endswith(f"@{DOMAIN}>")
    assert message["Auto-Submitted"] == "auto-generated"
    # Django folds an encoded subject onto a continuation line, which the parser reads as a leading space.
    assert message["Subject"].strip().startswith(f"[{ticket.reference}] {ticket.subject} — ")


def kinds_told(username, ticket) -> list:
    return list(
        Notification.objects.filter(user__username=username, ticket=ticket)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_the_memo_walk_mails_each_person_what_concerns_them_in_their_language_on_one_thread(
    smtp, people, desk_mailbox
):
    teacher = people["teacher"]
    teacher.language = "fr"
    teacher.save(update_fields=["language"])
    sent = []

    ticket = file_request(
        people["teacher"], description="Massar refuse les notes du contrôle continu de la classe 3."
    )
    received = deliver(smtp)
    assert list(received) == ["head"]
    [to_head] = received["head"]
    assert to_head["Content-Language"] == "ar"
    with translation.override("ar"):
        assert str(NotificationKind.NEW_TICKET.label) in to_head["Subject"]
    assert "أودع باسم" in text(to_head)
    assert "Massar refuse les notes du contrôle continu" in text(to_head)
    # The school desk has no mailbox of its own: answers go to the general address.
    assert to_head["Reply-To"] == REPLY_TO
    sent += received["head"]

    services.ticket_take(people["head"], ticket)
    services.ticket_reply(people["head"], ticket, body="Avez-vous vidé le cache du navigateur ?")
    services.ticket_note(people["head"], ticket, body="NOTE INTERNE : panne connue du serveur académique")
    services.ticket_request_info(people["head"], ticket, body="Quel est le code de la classe ?")
    received = deliver(smtp)
    assert list(received) == ["teacher"]
    reply, info = received["teacher"]
    for message in (reply, info):
        assert message["Content-Language"] == "fr"
    with translation.override("fr"):
        assert str(NotificationKind.REPLY.label) in reply["Subject"]
        assert str(NotificationKind.INFO_REQUESTED.label) in info["Subject"]
    assert "Avez-vous vidé le cache du navigateur ?" in text(reply)
    assert "Quel est le code de la classe ?" in text(info)
    sent += received["teacher"]

    services.ticket_provide_info(people["teacher"], ticket, body="Classe 3APIC-2")
    received = deliver(smtp)
    assert list(received) == ["head"] and "Classe 3APIC-2" in text(received["head"][0])
    sent += received["head"]

    services.ticket_escalate(people["head"], ticket, note="Dépasse l'établissement.")
    received = deliver(smtp)
    assert list(received) == ["province"]
    sent += received["province"]

    services.ticket_escalate(people["province"], ticket, note="Touche toute la province.")
    received = deliver(smtp)
    assert sorted(received) == ["region", "supervisor"]
    for [message] in received.values():
        # The academy's regional centre has its official mailbox: answers go there, back to the ticket.
        assert message["Reply-To"] == DESK_ADDRESS
        # The new desk reads what was tried (the internal requalification note) and the request itself.
        assert "Touche toute la province." in text(message)
        assert "Massar refuse les notes du contrôle continu" in text(message)
        sent.append(message)

    services.ticket_escalate(people["region"], ticket, note="Relève du service central Massar.")
    received = deliver(smtp)
    assert list(received) == ["central"]
    sent += received["central"]

    services.ticket_resolve(people["central"], ticket, resolution="Le correctif est déployé.")
    received = deliver(smtp)
    assert list(received) == ["teacher"]
    [resolved] = received["teacher"]
    body = text(resolved)
    with translation.override("fr"):
        assert str(NotificationKind.RESOLVED.label) in resolved["Subject"]
    assert "Le correctif est déployé." in body
    # How to confirm or reopen: the ticket's page and the reopening delay.
    assert f"{PUBLIC_URL}/t/{ticket.reference}/" in body
    assert " 5 " in body
    sent.append(resolved)

    for message in sent:
        assert_threaded(message, ticket)
        assert message["From"].addresses[0].addr_spec == FROM
    assert len({message["Message-ID"] for message in sent}) == len(sent) == 9
    # The requester never reads the desk's internal note, in any mail.
    assert not any("NOTE INTERNE" in text(message) for message in smtp.messages)
    # One mail per notification, for every notification of the ticket.
    assert Notification.objects.filter(ticket=ticket).count() == len(sent)
    assert deliver(smtp) == {}


def test_an_answer_to_a_notification_mail_threads_back_onto_its_ticket(smtp, people, desk_mailbox):
    ticket = file_request(people["teacher"])
    services.ticket_reply(people["head"], ticket, body="Quel navigateur utilisez-vous ?")
    [notification_mail] = deliver(smtp)["teacher"]

    answer = make_mail(
        sender="teacher@demo.musanada.ma",
        subject=f"RE: {notification_mail['Subject']}",
        body="Firefox, à jour.\n\nLe 12 mars, Musanada a écrit :\n> Quel navigateur utilisez-vous ?",
        headers=[
            ("In-Reply-To", notification_mail["Message-ID"]),
            ("References", f"{notification_mail['References']} {notification_mail['Message-ID']}"),
        ],
    )
    record = intake.process_message(desk_mailbox, answer)

    assert record.outcome == Outcome.REPLY_ADDED and record.ticket == ticket
    reply = ticket.events.filter(kind=EventKind.REPLY, actor=people["teacher"]).get()
    assert reply.body == "Firefox, à jour."
    # The desk learns of the answer by mail in turn, on the same thread.
    [to_head] = deliver(smtp)["head"]
    assert_threaded(to_head, ticket)
    assert "Firefox, à jour." in text(to_head)


def test_an_answer_that_lost_its_threading_headers_is_found_by_the_reference_in_its_subject(
    smtp, people, desk_mailbox
):
    ticket = file_request(people["teacher"])
    services.ticket_reply(people["head"], ticket, body="Quel navigateur ?")
    [notification_mail] = deliver(smtp)["teacher"]

    answer = make_mail(subject=f"Re: {notification_mail['Subject']}", body="Chrome.")
    record = intake.process_message(desk_mailbox, answer)

    assert record.outcome == Outcome.REPLY_ADDED and record.ticket == ticket


def test_a_kind_turned_off_on_the_settings_page_stops_its_mails_but_not_the_bell(smtp, client, people):
    client.login(username="head", password=PASSWORD)
    assert reverse("notifications:settings") in client.get(reverse("notifications:list")).content.decode()
    page = client.get(reverse("notifications:settings"))
    assert page.status_code == 200
    html = page.content.decode()
    for kind in NotificationKind:
        assert f'<label for="id_{kind.value}">' in html
        assert f'id="id_{kind.value}" checked' in html

    kept_on = {kind: "on" for kind in NotificationKind.values if kind != NotificationKind.NEW_TICKET}
    saved = client.post(reverse("notifications:settings"), kept_on, follow=True)
    assert saved.status_code == 200
    assert 'id="id_new_ticket" checked' not in saved.content.decode()
    assert 'id="id_reply" checked' in saved.content.decode()
    assert list(NotificationPreference.objects.filter(user=people["head"]).values_list("kind", "email")) == [
        (NotificationKind.NEW_TICKET, False)
    ]

    ticket = file_request(people["teacher"])
    assert deliver(smtp) == {}
    assert kinds_told("head", ticket) == [NotificationKind.NEW_TICKET]
    assert unread_count(people["head"]) == 1

    services.ticket_take(people["head"], ticket)
    services.ticket_reply(people["teacher"], ticket, body="Toujours bloqué.")
    received = deliver(smtp)
    assert list(received) == ["head"]
    with translation.override("ar"):
        assert str(NotificationKind.REPLY.label) in received["head"][0]["Subject"]


def test_unticking_every_kind_turns_every_mail_off(client, people):
    client.login(username="head", password=PASSWORD)
    client.post(reverse("notifications:settings"), {})
    off = NotificationPreference.objects.filter(user=people["head"], email=False)
    assert set(off.values_list("kind", flat=True)) == set(NotificationKind.values)


def test_an_internal_note_never_reaches_the_requester(smtp, people):
    ticket = file_request(people["teacher"])
    deliver(smtp)
    services.ticket_take(people["head"], ticket)
    services.ticket_escalate(people["head"], ticket, note="Historique interne : déjà vu en 2025.")
    services.ticket_note(people["province"], ticket, body="Ne pas divulguer : mot de passe de service.")
    received = deliver(smtp)

    assert list(received) == ["province"]
    assert not any("mot de passe de service" in text(message) for message in smtp.messages)


def test_a_mail_to_the_requester_about_an_internal_event_leaves_its_text_out(smtp, people):
    ticket = file_request(people["teacher"])
    services.ticket_note(people["head"], ticket, body="Ne pas divulguer : mot de passe de service.")
    note = ticket.events.get(kind=EventKind.NOTE)
    # What a future kind of notification could do by mistake: the mail itself still hides the note.
    stray = Notification.objects.create(
        user=people["teacher"],
        ticket=ticket,
        event=note,
        kind=NotificationKind.REPLY,
        created_at=note.created_at,
    )

    message = outbound.notification_message(stray)

    assert message is not None and message.to == ["teacher@demo.musanada.ma"]
    assert "mot de passe de service" not in message.body


def test_smtp_down_then_up_delivers_every_notification_exactly_once_and_never_undoes_an_action(
    smtp, people, clock
):
    smtp.stop()
    ticket = file_request(people["teacher"])
    services.ticket_take(people["head"], ticket)
    services.ticket_reply(people["head"], ticket, body="Videz le cache.")
    services.ticket_resolve(people["head"], ticket, resolution="Cache vidé, ça remarche.")

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    mails = Job.objects.filter(name=outbound.NOTIFICATION_JOB)
    notifications = set(Notification.objects.filter(ticket=ticket).values_list("pk", flat=True))
    assert len(notifications) == 3 and mails.count() == 3

    assert run_due_jobs() == 3
    assert set(mails.values_list("status", "attempts")) == {(JobStatus.QUEUED, 1)}
    assert all("Connection refused" in error for error in mails.values_list("last_error", flat=True))
    assert run_due_jobs() == 0, "a failed mail waits for its back-off"
    clock.advance(seconds=30)
    assert run_due_jobs() == 3
    assert set(mails.values_list("status", "attempts")) == {(JobStatus.QUEUED, 2)}

    smtp.start()
    clock.advance(seconds=60)
    assert run_due_jobs() == 3
    assert set(mails.values_list("status", "attempts")) == {(JobStatus.DONE, 3)}
    clock.advance(hours=2)
    assert run_due_jobs() == 0

    delivered = Counter(message["Message-ID"] for message in smtp.messages)
    assert set(delivered.values()) == {1}
    assert set(delivered) == {parsing.ticket_message_id(ticket.reference, pk, DOMAIN) for pk in notifications}
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_a_person_without_an_e_mail_address_keeps_the_bell_and_gets_no_mail_job(smtp, people):
    people["head"].email = ""
    people["head"].save(update_fields=["email"])
    ticket = file_request(people["teacher"])
    assert kinds_told("head", ticket) == [NotificationKind.NEW_TICKET]
    assert not Job.objects.filter(name=outbound.NOTIFICATION_JOB).exists()


def test_a_real_celery_worker_delivers_the_mails_of_a_filed_ticket_and_its_reply_through_redis(
    redis_broker, smtp, transactional_db, settings, people
):
    from celery.contrib.testing.worker import start_worker

    from musanada.jobs.celery import app

    settings.MUSANADA_JOBS_BACKEND = "celery"
    # A queue of this test's own, so that another test run on the same Redis cannot take its messages.
    queue = f"musanada-test-{uuid.uuid4().hex}"
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            ticket = file_request(people["teacher"])
            assert len(smtp.wait_for(1)) == 1
            services.ticket_reply(people["head"], ticket, body="Quelle classe ?")
            messages = smtp.wait_for(2)
    finally:
        app.conf.task_default_queue = default_queue

    assert [recipient(message) for message in messages] == ["head", "teacher"]
    for message in messages:
        assert_threaded(message, ticket)
    assert "Quelle classe ?" in text(messages[1])
    jobs = Job.objects.filter(name=outbound.NOTIFICATION_JOB)
    assert set(jobs.values_list("status", flat=True)) == {JobStatus.DONE}


def test_made_up_tickets_notify_the_bell_but_queue_no_mail(smtp, people):
    # What the demo and benchmark generators run under: their addresses belong to nobody.
    with notifications_without_email():
        ticket = file_request(people["teacher"])
    assert kinds_told("head", ticket) == [NotificationKind.NEW_TICKET]
    assert not Job.objects.filter(name=outbound.NOTIFICATION_JOB).exists()

    services.ticket_reply(people["head"], ticket, body="Quel navigateur ?")
    assert list(deliver(smtp)) == ["teacher"]


def test_names_subjects_and_desks_keep_their_own_direction_inside_a_french_mail(smtp, people):
    teacher = people["teacher"]
    teacher.language = "fr"
    teacher.save(update_fields=["language"])
    ticket = file_request(teacher, subject="Massar للقسم 6A")
    services.ticket_reply(people["head"], ticket, body="Nous regardons.")
    notification = Notification.objects.get(user=teacher, kind=NotificationKind.REPLY)

    message = outbound.notification_message(notification)

    # FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE around what people wrote; never in the Subject header.
    assert "\u2068Massar للقسم 6A\u2069" in message.body
    assert f"\u2068{people['head'].get_full_name()}\u2069" in message.body
    assert "\u2068" not in message.subject and "Massar للقسم 6A" in message.subject
