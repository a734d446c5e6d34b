"""What the official e-mail address does with each kind of mail (docs/mail.md has the table)."""

import email
import email.policy

import pytest
from django.utils import translation

from musanada.core.errors import InvalidInput
from musanada.jobs.models import Job, JobStatus
from musanada.jobs.runner import run_due_jobs
from musanada.mail import intake, outbound, parsing
from musanada.mail.models import InboundMessage, Outcome
from musanada.org.services import membership_grant
from musanada.tickets import services
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Channel, EventKind, Status
from tests.mail.mails import (
    EXE,
    PDF,
    PNG,
    answering,
    as_received,
    citing,
    encoded_word,
    fixture_bytes,
    make_mail,
    outlook_inline_image,
    with_from,
)

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


def _filed_by_mail(receive, **mail):
    record = receive(make_mail(**mail))
    assert record.outcome == Outcome.TICKET_FILED
    return record.ticket


def test_new_mail_from_known_staff_becomes_a_ticket_on_the_mailbox_desk_with_attachments(
    receive, people, units, categories, mailoutbox, answers, desk_mailbox
):
    raw = make_mail(
        sender="Souad <Teacher@Demo.Musanada.ma>",
        subject="Massar : saisie des notes impossible",
        body="Depuis ce matin, Massar refuse les notes de la classe 3.",
        attachments=[("capture.png", PNG, "image/png"), ("rapport.pdf", PDF, "application/pdf")],
    )
    record = receive(raw)

    ticket = record.ticket
    assert record.outcome == Outcome.TICKET_FILED and record.answered
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
    # The sender gets the reference, once, on the thread of their mail; the notifications that follow
    # point at the acknowledgement, which is the ticket's first mail.
    [acknowledgement] = answers()
    assert acknowledgement.to == [TEACHER]
    assert acknowledgement.subject == f"[{ticket.reference}] Massar : saisie des notes impossible"
    assert acknowledgement.extra_headers["Message-ID"] == outbound.root_message_id(ticket)
    assert acknowledgement.extra_headers["In-Reply-To"] == parsing.parse(raw).message_id
    assert acknowledgement.reply_to == [desk_mailbox.username]
    with translation.override("ar"):
        assert ticket.reference in acknowledgement.body and f"/t/{ticket.reference}/" in acknowledgement.body
    # The desk's people are told by their notification mails (tests/mail/test_outbound.py).
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "region@demo.musanada.ma",
        "supervisor@demo.musanada.ma",
        TEACHER,
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
            headers=answering(ticket),
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
    record = receive(make_mail(body="Class 3AC-2.", headers=answering(ticket)))
    ticket.refresh_from_db()
    assert record.outcome == Outcome.REPLY_ADDED
    assert ticket.status == Status.OPEN
    assert ticket.events.order_by("-id").first().kind == EventKind.INFO_PROVIDED


def test_a_desk_agent_replies_by_mail_as_the_desk(receive, people):
    ticket = _filed_by_mail(receive)
    record = receive(
        make_mail(sender="region@demo.musanada.ma", body="We are on it.", headers=answering(ticket))
    )
    ticket.refresh_from_db()
    assert record.outcome == Outcome.REPLY_ADDED
    assert ticket.status == Status.OPEN and ticket.first_response_at is not None


def test_a_reply_to_a_resolved_ticket_is_refused_with_an_explanation(receive, people, answers):
    ticket = _filed_by_mail(receive)
    services.ticket_resolve(people["region"], ticket, resolution="Cache emptied.")
    record = receive(
        make_mail(subject="Re: thanks", body="It works again, thanks.", headers=answering(ticket))
    )
    assert record.outcome == Outcome.REFUSED_NOT_ALLOWED and record.reason == "illegal_transition"
    assert ticket.events.order_by("-id").first().kind == EventKind.RESOLVED
    _acknowledgement, answer = answers()
    assert answer.to == [TEACHER]
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    with translation.override("ar"):
        assert str(Status.RESOLVED.label) in answer.body


def test_a_mail_citing_a_ticket_from_someone_not_of_it_is_a_request_of_their_own(receive, people, answers):
    ticket = _filed_by_mail(receive)
    # Another school's head forwards the teacher's mail thread, or writes its reference in the subject.
    forwarded = receive(make_mail(sender="head2@demo.musanada.ma", body="Me too.", headers=answering(ticket)))
    named = receive(make_mail(sender="head2@demo.musanada.ma", subject=f"Fwd: [{ticket.reference}] idem"))
    for record in (forwarded, named):
        assert record.outcome == Outcome.TICKET_FILED and record.ticket != ticket
        assert record.ticket.requester == people["head2"]
    assert ticket.events.filter(kind=EventKind.REPLY).count() == 0
    assert forwarded.ticket.description == "Me too."


def test_a_mail_citing_a_message_id_musanada_never_sent_is_a_new_request(receive, people):
    ticket = _filed_by_mail(receive)
    # Any <REFERENCE.N@host> used to thread: only the IDs Musanada sent and stored do now.
    forged = parsing.ticket_message_id(ticket.reference, 7, "evil.example")
    record = receive(make_mail(body="Suite.", headers=[("In-Reply-To", forged), ("References", forged)]))
    assert record.outcome == Outcome.TICKET_FILED and record.ticket != ticket


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


def test_a_request_is_filed_without_its_refused_attachments_which_are_held_and_named_to_the_sender(
    receive, answers
):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    record = receive(
        make_mail(
            attachments=[
                ("capture.png", PNG, "image/png"),
                ("setup.exe", EXE, "application/octet-stream"),
                ("photo.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg"),
                ("logo.svg", svg, "image/svg+xml"),
            ]
        )
    )
    assert record.outcome == Outcome.TICKET_FILED
    assert [a.original_name for a in record.ticket.attachments.all()] == ["capture.png"]
    held = {h.name: (h.reason, h.file.read()) for h in record.held_files.all()}
    assert held == {
        "setup.exe": ("file_type_refused", EXE),
        "photo.jpg": ("file_type_refused", b"<?php system($_GET['c']); ?>"),
        "logo.svg": ("file_type_refused", svg),
    }
    [acknowledgement] = answers()
    assert record.ticket.reference in acknowledgement.body
    for name in ("setup.exe", "photo.jpg", "logo.svg"):
        assert name in acknowledgement.body
    assert "capture.png" not in acknowledgement.body


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


def test_a_display_name_holding_an_agents_address_leaves_the_sender_who_they_are(receive, people):
    ticket = _filed_by_mail(receive)
    raw = make_mail(body="Toujours bloqué.", headers=answering(ticket))
    record = receive(with_from(raw, f"From: {encoded_word('CRI <region@demo.musanada.ma>')} <{TEACHER}>"))
    assert record.outcome == Outcome.REPLY_ADDED
    reply = ticket.events.order_by("-id").first()
    assert reply.actor == people["teacher"] and reply.data["party"] == "requester"


def test_a_forged_display_name_gets_no_ticket_and_the_answer_goes_only_to_the_real_address(
    receive, mailoutbox
):
    forged = with_from(make_mail(), f"From: {encoded_word('region@demo.musanada.ma')} <someone@evil.example>")
    record = receive(forged)
    assert record.outcome == Outcome.REFUSED_UNKNOWN_SENDER and record.ticket is None
    assert [message.to for message in mailoutbox] == [["someone@evil.example"]]


def test_automatic_answers_carry_a_message_id_on_the_products_mail_domain(receive, answers, settings):
    settings.MUSANADA_MAIL_DOMAIN = "musanada.men.gov.ma"
    receive(make_mail(sender="stranger@gmail.example"))
    [answer] = answers()
    assert answer.extra_headers["Message-ID"].endswith("@musanada.men.gov.ma>")
    assert "localhost" not in answer.message()["Message-ID"]


def test_a_reply_to_the_acknowledgement_threads_onto_its_ticket(receive, answers):
    ticket = _filed_by_mail(receive)
    [acknowledgement] = answers()
    record = receive(make_mail(subject="Re: idem", body="Class 3 only.", headers=citing(acknowledgement)))
    assert record.outcome == Outcome.REPLY_ADDED and record.ticket == ticket
    # One acknowledgement only: the reply is seen on the ticket and in the desk's mails.
    assert len(answers()) == 1


def test_a_reply_is_added_without_its_refused_file_and_its_sender_told_which(receive, answers):
    ticket = _filed_by_mail(receive)
    record = receive(
        make_mail(
            body="Here is the log and the screen.",
            headers=answering(ticket),
            attachments=[
                ("journal.txt", b"erreur 403\n", "text/plain"),
                ("outil.exe", EXE, "application/x-msdownload"),
            ],
        )
    )
    assert record.outcome == Outcome.REPLY_ADDED
    reply = ticket.events.order_by("-id").first()
    assert [a.original_name for a in reply.attachments.all()] == ["journal.txt"]
    assert [(h.name, h.reason) for h in record.held_files.all()] == [("outil.exe", "file_type_refused")]
    _acknowledgement, answer = answers()
    assert ticket.reference in answer.body and "outil.exe" in answer.body and "journal.txt" not in answer.body


def test_a_forwarded_mail_files_a_request_that_keeps_it_as_an_eml_attachment(receive, people):
    forwarded = make_mail(sender="parent@gmail.example", subject="Bulletin illisible", authenticated=False)
    message = email.message_from_bytes(
        make_mail(subject="Fwd: Bulletin illisible"), policy=email.policy.default
    )
    message.add_attachment(email.message_from_bytes(forwarded, policy=email.policy.default))
    record = receive(message.as_bytes())
    assert record.outcome == Outcome.TICKET_FILED
    [attachment] = record.ticket.attachments.all()
    assert (attachment.original_name, attachment.content_type) == ("message-1.eml", "message/rfc822")
    assert b"Subject: Bulletin illisible" in attachment.file.read()


def test_an_inline_image_is_attached_and_named_in_the_request(receive):
    record = receive(outlook_inline_image())
    ticket = record.ticket
    assert ticket.description == "Voici l'erreur :\n[image: image001.png]\nMerci."
    assert [(a.original_name, a.content_type) for a in ticket.attachments.all()] == [
        ("image001.png", "image/png")
    ]


def test_every_mail_read_is_kept_as_it_arrived_whatever_its_outcome(receive):
    raws = [make_mail(), make_mail(sender="stranger@gmail.example"), fixture_bytes("bounce.eml")]
    for raw in raws:
        record = receive(raw)
        assert record.raw.read() == raw
