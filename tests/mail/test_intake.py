"""What the official e-mail address does with each kind of mail (docs/mail.md has the table)."""

import base64

import pytest
from django.utils import translation

from musanada.core.errors import InvalidInput
from musanada.jobs.models import Job, JobStatus
from musanada.jobs.runner import run_due_jobs
from musanada.mail import intake, parsing
from musanada.mail.models import InboundMessage, Outcome
from musanada.org.services import membership_grant
from musanada.tickets import services
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Channel, EventKind, Status
from tests.mail.mails import PDF, PNG, as_received, fixture_bytes, make_mail, with_from

TEACHER = "teacher@demo.musanada.ma"


@pytest.fixture
def receive(desk_mailbox, django_capture_on_commit_callbacks):
    """Process one raw mail as the poller does, then run the jobs it queued (the answers)."""

    def receive(raw, mailbox=None):
        with django_capture_on_commit_callbacks(execute=True):
            record = intake.process_message(mailbox or desk_mailbox, raw)
        # What the jobs worker does after the commit: send the queued answers.
        run_due_jobs()
        return record

    return receive


def _reply_headers(ticket, number=1):
    message_id = parsing.ticket_message_id(ticket.reference, number, "musanada.men.gov.ma")
    return [("In-Reply-To", message_id), ("References", message_id)]


def _filed_by_mail(receive, **mail):
    record = receive(make_mail(**mail))
    assert record.outcome == Outcome.TICKET_FILED
    return record.ticket


def test_new_mail_from_known_staff_becomes_a_ticket_on_the_mailbox_desk_with_attachments(
    receive, people, units, categories, mailoutbox, answers
):
    raw = make_mail(
        sender="Souad <Teacher@Demo.Musanada.ma>",
        subject="Massar : saisie des notes impossible",
        body="Depuis ce matin, Massar refuse les notes de la classe 3.",
        attachments=[("capture.png", PNG, "image/png"), ("rapport.pdf", PDF, "application/pdf")],
    )
    record = receive(raw)

    ticket = record.ticket
    assert record.outcome == Outcome.TICKET_FILED and not record.answered
    assert ticket.requester == people["teacher"]
    assert ticket.channel == Channel.EMAIL
    assert ticket.desk == units["MA-01"]
    assert ticket.origin_unit == units["01001A"]
    assert ticket.category == categories["other"]
    assert ticket.subject == "Massar : saisie des notes impossible"
    assert ticket.description == "Depuis ce matin, Massar refuse les notes de la classe 3."
    assert sorted((a.original_name, a.content_type) for a in ticket.attachments.all()) == [
        ("capture.png", "image/png"),
        ("rapport.pdf", "application/pdf"),
    ]
    assert ticket.attachments.get(original_name="capture.png").file.read() == PNG
    assert ticket.events.get(kind=EventKind.FILED).data["channel"] == "email"
    assert answers() == []
    # The desk's people are told by their notification mails (tests/mail/test_outbound.py).
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "region@demo.musanada.ma",
        "supervisor@demo.musanada.ma",
    ]


def test_the_same_mail_read_twice_files_one_ticket(receive):
    raw = make_mail()
    first = receive(raw)
    second = receive(raw)
    assert second.pk == first.pk
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_reply_threads_onto_its_ticket_by_its_headers(receive, people):
    ticket = _filed_by_mail(receive)
    services.ticket_reply(people["region"], ticket, body="Which browser do you use?")
    record = receive(
        make_mail(
            subject="Re: Cannot enter the grades",
            body="Firefox 128.\n\nOn Mon, Nov 23, 2026 at 9:00 AM Musanada wrote:\n> Which browser?",
            headers=_reply_headers(ticket, 2),
        )
    )
    assert record.outcome == Outcome.REPLY_ADDED and record.ticket == ticket
    last = ticket.events.order_by("-id").first()
    assert (last.kind, last.actor, last.body) == (EventKind.REPLY, people["teacher"], "Firefox 128.")
    assert Ticket.objects.count() == 1


def test_a_reply_threads_onto_its_ticket_by_the_reference_in_its_subject(receive, people):
    ticket = _filed_by_mail(receive)
    record = receive(make_mail(subject=f"Re: [{ticket.reference}] suite", body="The problem is back."))
    assert record.outcome == Outcome.REPLY_ADDED and record.ticket == ticket
    assert ticket.events.order_by("-id").first().body == "The problem is back."


def test_an_answer_to_a_request_for_information_provides_it(receive, people):
    ticket = _filed_by_mail(receive)
    services.ticket_request_info(people["region"], ticket, body="Send the class code.")
    record = receive(make_mail(body="Class 3AC-2.", headers=_reply_headers(ticket)))
    ticket.refresh_from_db()
    assert record.outcome == Outcome.REPLY_ADDED
    assert ticket.status == Status.OPEN
    assert ticket.events.order_by("-id").first().kind == EventKind.INFO_PROVIDED


def test_a_desk_agent_replies_by_mail_as_the_desk(receive, people):
    ticket = _filed_by_mail(receive)
    record = receive(
        make_mail(sender="region@demo.musanada.ma", body="We are on it.", headers=_reply_headers(ticket))
    )
    ticket.refresh_from_db()
    assert record.outcome == Outcome.REPLY_ADDED
    assert ticket.status == Status.OPEN and ticket.first_response_at is not None


def test_a_reply_to_a_resolved_ticket_is_refused_with_an_explanation(receive, people, answers):
    ticket = _filed_by_mail(receive)
    services.ticket_resolve(people["region"], ticket, resolution="Cache emptied.")
    record = receive(
        make_mail(subject="Re: thanks", body="It works again, thanks.", headers=_reply_headers(ticket))
    )
    assert record.outcome == Outcome.REFUSED_NOT_ALLOWED and record.reason == "illegal_transition"
    assert ticket.events.order_by("-id").first().kind == EventKind.RESOLVED
    [answer] = answers()
    assert answer.to == [TEACHER]
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    with translation.override("ar"):
        assert str(Status.RESOLVED.label) in answer.body


def test_someone_who_may_not_see_the_ticket_cannot_reply_to_it_by_mail(receive, people, answers):
    ticket = _filed_by_mail(receive)
    record = receive(
        make_mail(sender="head2@demo.musanada.ma", body="Me too.", headers=_reply_headers(ticket))
    )
    assert record.outcome == Outcome.REFUSED_NOT_ALLOWED and record.reason == "unknown_ticket"
    assert ticket.events.filter(kind=EventKind.REPLY).count() == 0
    [answer] = answers()
    assert answer.to == ["head2@demo.musanada.ma"] and ticket.reference in answer.body


def test_an_unknown_sender_is_answered_in_arabic_and_french_and_gets_no_ticket(receive, mailoutbox, settings):
    settings.MUSANADA = {**settings.MUSANADA, "PUBLIC_URL": "https://musanada.men.gov.ma"}
    raw = make_mail(
        sender="Parent <parent@gmail.example>", subject="Inscription", message_id="<p1@gmail.example>"
    )
    record = receive(raw)

    assert record.outcome == Outcome.REFUSED_UNKNOWN_SENDER and record.answered
    assert Ticket.objects.count() == 0
    [answer] = mailoutbox
    assert answer.to == ["parent@gmail.example"]
    assert answer.subject == "Re: Inscription"
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert answer.extra_headers["In-Reply-To"] == "<p1@gmail.example>"
    assert answer.extra_headers["References"] == "<p1@gmail.example>"
    assert answer.extra_headers["Content-Language"] == "ar, fr"
    # One mail, the Arabic text first and the French after, each saying where to go.
    for language in ("ar", "fr"):
        with translation.override(language):
            hello = translation.gettext("Hello,")
        assert hello in answer.body
    assert answer.body.count("https://musanada.men.gov.ma") == 2
    assert answer.body.count("parent@gmail.example") == 2


def test_an_unknown_sender_writing_again_the_same_day_is_not_answered_again(receive, mailoutbox):
    for number in range(3):
        receive(make_mail(sender="robot@example.ma", message_id=f"<r{number}@example.ma>"))
    assert InboundMessage.objects.filter(outcome=Outcome.REFUSED_UNKNOWN_SENDER).count() == 3
    assert len(mailoutbox) == 1


def test_an_inactive_account_is_an_unknown_sender(receive, people, mailoutbox):
    people["teacher"].is_active = False
    people["teacher"].save()
    record = receive(make_mail())
    assert record.outcome == Outcome.REFUSED_UNKNOWN_SENDER
    assert Ticket.objects.count() == 0 and len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (fixture_bytes("out-of-office.eml"), "auto-submitted"),
        (make_mail(headers=[("X-Autoreply", "yes")]), "autoreply"),
        (make_mail(headers=[("Precedence", "bulk"), ("List-Unsubscribe", "<mailto:u@x.ma>")]), "precedence"),
        (make_mail(sender="news@example.ma", headers=[("List-Id", "<annonces.example.ma>")]), "list"),
        (fixture_bytes("bounce.eml"), "bounce"),
        (make_mail(sender="cri-tanger@men.gov.ma"), "own_address"),
    ],
)
def test_robot_mail_is_ignored_and_never_answered(receive, mailoutbox, raw, reason):
    record = receive(raw)
    assert (record.outcome, record.reason, record.answered) == (Outcome.IGNORED_ROBOT, reason, False)
    assert Ticket.objects.count() == 0
    assert mailoutbox == []


def test_a_sender_from_another_academy_is_refused_with_an_explanation(receive, mailoutbox):
    record = receive(make_mail(sender="outsider_teacher@demo.musanada.ma"))
    assert (record.outcome, record.reason) == (Outcome.REFUSED_NOT_ALLOWED, "not_under_desk")
    assert Ticket.objects.count() == 0
    [answer] = mailoutbox
    assert answer.to == ["outsider_teacher@demo.musanada.ma"]
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"


def test_a_refused_attachment_refuses_the_mail_and_the_answer_names_the_file(receive, mailoutbox):
    record = receive(
        make_mail(attachments=[("setup.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream")])
    )
    assert (record.outcome, record.reason) == (Outcome.REFUSED_INVALID, "file_type_refused")
    assert Ticket.objects.count() == 0
    [answer] = mailoutbox
    assert "setup.exe" in answer.body


def test_a_mail_without_text_is_refused_and_one_without_subject_takes_its_first_words(receive, mailoutbox):
    empty = receive(make_mail(body="   "))
    assert (empty.outcome, empty.reason) == (Outcome.REFUSED_INVALID, "empty_body")
    assert len(mailoutbox) == 1

    record = receive(
        make_mail(subject=None, body="Le compte Taalim de la directrice est bloqué depuis lundi matin.")
    )
    assert record.ticket.subject == "Le compte Taalim de la directrice est bloqué …"


def test_an_arabic_mail_from_outlook_in_windows_1256_is_filed_with_its_attachment(receive, people):
    record = receive(as_received(fixture_bytes("outlook-arabic-windows-1256.eml")))
    ticket = record.ticket
    assert ticket.requester == people["region"]
    assert ticket.subject == "مشكل في منظومة مسار"
    assert "لا يمكن للأساتذة إدخال النقط" in ticket.description
    assert [a.original_name for a in ticket.attachments.all()] == ["لقطة شاشة.png"]


def test_an_html_only_mail_is_filed_as_sanitised_text(receive):
    ticket = receive(as_received(fixture_bytes("html-only.eml"))).ticket
    assert "Le portail Massar affiche une erreur 500" in ticket.description
    assert "alert" not in ticket.description and "<" not in ticket.description


def test_a_mail_to_an_unstaffed_desk_goes_up_to_the_first_staffed_one(receive, desk_mailbox, people, units):
    school = units["01301C"]
    membership_grant(people["teacher"], school, "staff")
    desk_mailbox.desk = school
    desk_mailbox.save()
    ticket = receive(make_mail()).ticket
    assert ticket.desk == units["MA-01-03"]
    assert ticket.origin_unit == school
    assert ticket.events.filter(kind=EventKind.ROUTED_UP).exists()


def test_only_the_mail_channel_may_land_a_ticket_on_a_chosen_desk(people, units, categories):
    with pytest.raises(InvalidInput) as refused:
        services.ticket_file(
            people["teacher"],
            unit=units["01001A"],
            category=categories["other"],
            subject="x",
            description="y",
            mailbox_desk=units["MA-01"],
        )
    assert refused.value.code == "invalid_channel"


def test_an_answer_that_cannot_be_sent_is_retried_later_and_the_mail_stays_processed_once(
    desk_mailbox, settings, mailoutbox, clock
):
    # Nothing listens on port 9 of this machine: SMTP is down.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    raw = make_mail(sender="stranger@gmail.example")
    record = intake.process_message(desk_mailbox, raw)
    run_due_jobs()

    job = Job.objects.get(name=intake.ANSWER_JOB)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1) and job.last_error
    assert job.payload["to"] == "stranger@gmail.example"
    assert intake.process_message(desk_mailbox, raw).pk == record.pk
    assert Job.objects.filter(name=intake.ANSWER_JOB).count() == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.now = job.run_after  # the end of the back-off
    run_due_jobs()
    assert [answer.to for answer in mailoutbox] == [["stranger@gmail.example"]]


def _named(name: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(name.encode()).decode() + "?="


def test_a_display_name_holding_an_agents_address_leaves_the_sender_who_they_are(receive, people):
    ticket = _filed_by_mail(receive)
    raw = make_mail(body="Toujours bloqué.", headers=_reply_headers(ticket))
    record = receive(with_from(raw, f"From: {_named('CRI <region@demo.musanada.ma>')} <{TEACHER}>"))
    assert record.outcome == Outcome.REPLY_ADDED
    reply = ticket.events.order_by("-id").first()
    assert reply.actor == people["teacher"] and reply.data["party"] == "requester"


def test_a_forged_display_name_gets_no_ticket_and_the_answer_goes_only_to_the_real_address(
    receive, mailoutbox
):
    forged = with_from(make_mail(), f"From: {_named('region@demo.musanada.ma')} <someone@evil.example>")
    record = receive(forged)
    assert record.outcome == Outcome.REFUSED_UNKNOWN_SENDER and record.ticket is None
    assert [message.to for message in mailoutbox] == [["someone@evil.example"]]


def test_automatic_answers_carry_a_message_id_on_the_products_mail_domain(receive, answers, settings):
    settings.MUSANADA_MAIL_DOMAIN = "musanada.men.gov.ma"
    receive(make_mail(sender="stranger@gmail.example"))
    [answer] = answers()
    assert answer.extra_headers["Message-ID"].endswith("@musanada.men.gov.ma>")
    assert "localhost" not in answer.message()["Message-ID"]
