"""Reading a real mailbox: Dovecot, started by the test suite, holds the mails; Musanada polls it."""

import base64
import imaplib
import quopri
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from musanada.jobs.models import Job, JobStatus
from musanada.jobs.registry import periodic_jobs
from musanada.jobs.runner import enqueue_periodic, run_due_jobs
from musanada.mail import imap
from musanada.mail.models import InboundMessage, Mailbox, Outcome
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Channel, EventKind
from tests.mail.conftest import IMAP_PASSWORD, IMAP_USER
from tests.mail.mails import (
    AUTHSERV_ID,
    DESK_ADDRESS,
    EXE,
    PNG,
    as_received,
    citing,
    encoded_word,
    fixture_bytes,
    make_mail,
    outlook_inline_image,
    with_from,
)


@pytest.fixture
def poll(mailbox, django_capture_on_commit_callbacks):
    """One poll of the desk's mailbox, then the jobs it queued (the answers)."""

    def poll():
        with django_capture_on_commit_callbacks(execute=True):
            report = imap.fetch_mailbox(mailbox)
        run_due_jobs()
        return report

    return poll


def test_a_mail_in_the_mailbox_becomes_a_ticket_and_is_then_marked_seen(inbox, poll, people, units):
    inbox.deliver(make_mail(attachments=[("capture.png", PNG, "image/png")]))
    assert inbox.unseen() == 1

    report = poll()

    assert (report.seen, report.processed, report.failed) == (1, 1, 0)
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.desk, ticket.channel) == (
        people["teacher"],
        units["MA-01"],
        Channel.EMAIL,
    )
    assert [a.original_name for a in ticket.attachments.all()] == ["capture.png"]
    assert inbox.unseen() == 0 and inbox.total() == 1
    assert Mailbox.objects.get().last_polled_at is not None


def test_arabic_subject_in_base64_and_french_body_in_quoted_printable_arrive_decoded(inbox, poll):
    subject = "تعذر الولوج إلى منظومة مسار"
    body = "Bonjour,\r\nle secrétariat n'arrive plus à se connecter depuis lundi : « erreur 403 ».\r\n"
    raw = (
        "From: Souad <teacher@demo.musanada.ma>\r\n"
        f"To: {IMAP_USER}\r\n"
        f"Subject: =?UTF-8?B?{base64.b64encode(subject.encode()).decode()}?=\r\n"
        "Message-ID: <arabic-french@example.ma>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + quopri.encodestring(body.encode())
    inbox.deliver(as_received(raw))
    poll()
    ticket = Ticket.objects.get()
    assert ticket.subject == subject
    assert ticket.description == (
        "Bonjour,\nle secrétariat n'arrive plus à se connecter depuis lundi : « erreur 403 »."
    )


def test_a_mixed_batch_files_threads_answers_and_ignores_each_mail_as_it_should(inbox, poll, answers):
    inbox.deliver(make_mail(message_id="<new@example.ma>"))
    poll()
    ticket = Ticket.objects.get()

    inbox.deliver(
        make_mail(subject=f"RE: {ticket.reference}", body="More details: class 3.", message_id="<re@x.ma>")
    )
    inbox.deliver(make_mail(sender="stranger@gmail.example", message_id="<stranger@x.ma>"))
    inbox.deliver(fixture_bytes("out-of-office.eml"))
    inbox.deliver(fixture_bytes("bounce.eml"))
    inbox.deliver(make_mail(headers=[("Precedence", "bulk")], message_id="<bulk@x.ma>"))
    report = poll()

    assert report.outcomes == {
        Outcome.REPLY_ADDED: 1,
        Outcome.REFUSED_UNKNOWN_SENDER: 1,
        Outcome.IGNORED_ROBOT: 3,
    }
    assert Ticket.objects.count() == 1
    assert ticket.events.filter(kind=EventKind.REPLY).get().body == "More details: class 3."
    # The filing's acknowledgement, then the stranger's answer; the reply and the robots get none.
    acknowledgement, answer = answers()
    assert acknowledgement.to == ["teacher@demo.musanada.ma"] and ticket.reference in acknowledgement.subject
    assert answer.to == ["stranger@gmail.example"]
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert inbox.unseen() == 0


def test_a_second_poll_of_the_same_mailbox_changes_nothing(inbox, poll, answers):
    inbox.deliver(make_mail())
    inbox.deliver(make_mail(sender="stranger@gmail.example"))
    poll()
    before = (Ticket.objects.count(), InboundMessage.objects.count(), len(answers()))

    report = poll()

    assert (report.seen, report.processed) == (0, 0)
    assert (Ticket.objects.count(), InboundMessage.objects.count(), len(answers())) == before == (1, 2, 2)


def test_a_crash_between_the_ticket_and_marking_the_mail_seen_creates_no_duplicate(
    transactional_db, inbox, mailbox, monkeypatch
):
    inbox.deliver(make_mail(message_id="<crash@example.ma>"))
    real_mark_seen = imap.mark_seen
    crashes = []

    def mark_seen_crashing_once(connection, uid):
        if not crashes:
            crashes.append(uid)
            raise imaplib.IMAP4.abort("connection reset while marking the mail")
        return real_mark_seen(connection, uid)

    monkeypatch.setattr(imap, "mark_seen", mark_seen_crashing_once)

    with pytest.raises(imaplib.IMAP4.abort):
        imap.fetch_mailbox(mailbox)
    # The ticket is committed, the mail is still unseen on the server.
    assert Ticket.objects.count() == 1
    assert inbox.unseen() == 1

    report = imap.fetch_mailbox(mailbox)

    assert crashes and report.processed == 1
    # The second poll says it found the mail done, not that it filed it again.
    assert report.outcomes == {imap.DUPLICATE: 1}
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.get().outcome == Outcome.TICKET_FILED
    assert inbox.unseen() == 0


def test_an_unreachable_mailbox_does_not_stop_the_others_and_is_reported(inbox, mailbox, units, categories):
    dead = Mailbox.objects.create(
        desk=units["MA-02"],
        scheme="imap",
        host="127.0.0.1",
        port=1,
        username="nobody@men.gov.ma",
        password="x",
        default_category=categories["other"],
    )
    inbox.deliver(make_mail())
    with pytest.raises(imap.MailboxUnreachable, match=re.escape(dead.url)):
        imap.poll_all_mailboxes()
    assert Ticket.objects.count() == 1


def test_the_scheduled_poll_reads_the_mailboxes_and_keeps_the_error_of_an_unreachable_one(
    inbox, mailbox, units, categories
):
    dead = Mailbox.objects.create(
        desk=units["MA-02"],
        scheme="imap",
        host="127.0.0.1",
        port=1,
        username="nobody@men.gov.ma",
        password="x",
        default_category=categories["other"],
    )
    inbox.deliver(make_mail())
    assert "mail.poll_mailboxes" in [periodic.name for periodic in periodic_jobs()]

    assert enqueue_periodic("mail.poll_mailboxes")
    run_due_jobs()

    assert Ticket.objects.count() == 1
    dead.refresh_from_db()
    assert dead.last_error and dead.last_polled_at is None
    # The next slot is the retry: the poll itself did its work and is not a failed job.
    assert Job.objects.get(name="mail.poll_mailboxes").status == JobStatus.DONE


def test_mailbox_commands_add_list_fetch_and_remove(
    inbox, dovecot, tmp_path, people, capsys, django_capture_on_commit_callbacks
):
    host, port = dovecot
    password_file = tmp_path / "password"
    password_file.write_text(IMAP_PASSWORD + "\n")
    call_command(
        "mailbox", "add", "MA-01", f"imap://{IMAP_USER}@{host}:{port}/INBOX",
        "--password-file", str(password_file), "--category", "massar",
    )  # fmt: skip
    mailbox = Mailbox.objects.get()
    assert (mailbox.username, mailbox.password, mailbox.port, mailbox.default_category.code) == (
        IMAP_USER,
        IMAP_PASSWORD,
        port,
        "massar",
    )
    call_command("mailbox", "list")
    assert (
        f"{mailbox.pk}\tMA-01\timap://{IMAP_USER}@{host}:{port}/INBOX\tmassar\tactive"
        in capsys.readouterr().out
    )

    inbox.deliver(make_mail(attachments=[("setup.exe", EXE, "application/octet-stream")]))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("fetch-mail", "--mailbox", str(mailbox.pk))
    assert "1 processed, 0 failed (ticket_filed: 1), 1 attachments left out" in capsys.readouterr().out
    assert Ticket.objects.get().category.code == "massar"

    call_command("mailbox", "remove", str(mailbox.pk))
    assert not Mailbox.objects.exists()
    # What it received stays known, so the same mails are never processed again if it is added back.
    assert InboundMessage.objects.get().mailbox is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pop3://u@h/INBOX", "imaps://"),
        ("imaps://u:secret@h/INBOX", "password-file"),
        ("imaps://h/INBOX", "USER@HOST"),
    ],
)
def test_mailbox_add_refuses_bad_addresses_with_a_clear_message(db, tmp_path, url, message):
    password_file = tmp_path / "password"
    password_file.write_text("x")
    with pytest.raises(CommandError, match=message):
        call_command("mailbox", "add", "MA-01", url, "--password-file", str(password_file))
    assert not Mailbox.objects.exists()


def test_mailbox_add_refuses_a_unit_without_a_desk(db, tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text("x")
    with pytest.raises(CommandError, match="MEN"):
        call_command("mailbox", "add", "MEN", "imaps://u@h/INBOX", "--password-file", str(password_file))


def test_forged_mail_read_from_the_server_is_quarantined_flagged_and_kept_for_review(inbox, poll, answers):
    inbox.deliver(make_mail(message_id="<first@example.ma>"))
    poll()
    ticket = Ticket.objects.get()
    # A mail written as the regional agent, from outside: no result of the ministry's server, one of its own.
    inbox.deliver(
        make_mail(
            sender="region@demo.musanada.ma",
            subject=f"RE: {ticket.reference}",
            body="Votre compte sera fermé: confirmez votre mot de passe ici.",
            headers=[("Authentication-Results", "mx.evil.example; dmarc=pass header.from=demo.musanada.ma")],
            message_id="<forged@evil.example>",
            authenticated=False,
        )
    )

    report = poll()

    assert report.outcomes == {Outcome.QUARANTINED: 1} and inbox.unseen() == 0
    record = InboundMessage.objects.get(message_id="<forged@evil.example>")
    assert record.raw.read().rstrip().endswith(b"ici.")
    # Nothing was answered but the first mail's acknowledgement, to the teacher.
    assert ticket.events.count() == 1 and [a.to for a in answers()] == [["teacher@demo.musanada.ma"]]


def _utf8_with_a_bad_byte(text: str, **mail) -> bytes:
    raw = make_mail(body="PLACEHOLDER-BODY", **mail)
    head, _sep, _body = raw.partition(b"\n\n")
    head = re.sub(rb"Content-Transfer-Encoding: [^\n]+", b"Content-Transfer-Encoding: 8bit", head)
    body = text.encode()
    return head + b"\n\n" + body[:20] + b"\xff" + body[20:] + b"\n"


ARABIC = "لا يمكن إدخال النقط في منظومة مسار منذ صباح اليوم."
# What each mail of the corpus becomes, read alone or with the others.
CORPUS_OUTCOMES = {
    "<forged-agent@x>": (Outcome.QUARANTINED, "not_authenticated"),
    "<foreign-pass@x>": (Outcome.QUARANTINED, "not_authenticated"),
    "<dmarc-fail@x>": (Outcome.QUARANTINED, "not_authenticated"),
    "<display-name@x>": (Outcome.REFUSED_UNKNOWN_SENDER, "unknown_sender"),
    "<forward@x>": (Outcome.TICKET_FILED, ""),
    "<made-up-id@x>": (Outcome.TICKET_FILED, ""),
    "<files@x>": (Outcome.TICKET_FILED, ""),
    "<charset@x>": (Outcome.TICKET_FILED, ""),
    "<inline@x>": (Outcome.TICKET_FILED, ""),
    "<arabic-reply@x>": (Outcome.REPLY_ADDED, ""),
    "<french-reply@x>": (Outcome.REPLY_ADDED, ""),
}


def _corpus(ticket, acknowledgement) -> dict:
    """Hostile and ordinary mails about the teacher's `ticket`, whose `acknowledgement` was sent, by the
    Message-ID each is delivered with."""
    corpus = {
        # Forgeries: an agent's reply from outside; a foreign server's pass; the trusted server's DMARC fail.
        "<forged-agent@x>": make_mail(
            sender="region@demo.musanada.ma", headers=citing(acknowledgement), authenticated=False
        ),
        "<foreign-pass@x>": make_mail(
            sender="teacher@demo.musanada.ma",
            headers=[("Authentication-Results", "mx.evil.example; dmarc=pass header.from=demo.musanada.ma")],
            authenticated=False,
        ),
        "<dmarc-fail@x>": make_mail(
            headers=[("Authentication-Results", f"{AUTHSERV_ID}; dmarc=fail header.from=demo.musanada.ma")],
            authenticated=False,
        ),
        # A display name holding an agent's address, from a stranger's real address.
        "<display-name@x>": with_from(
            make_mail(sender="someone@evil.example"),
            f"From: {encoded_word('region@demo.musanada.ma')} <someone@evil.example>",
        ),
        # A colleague forwards the teacher's thread: a request of their own.
        "<forward@x>": make_mail(
            sender="head2@demo.musanada.ma", subject="TR: Massar bloqué", headers=citing(acknowledgement)
        ),
        # A Message-ID of the ticket's form that Musanada never sent.
        "<made-up-id@x>": make_mail(
            headers=[("In-Reply-To", f"<{ticket.reference}.9@evil.example>")], subject="Autre souci"
        ),
        # Hostile files among a good one; a name turned around by a right-to-left override.
        "<files@x>": make_mail(
            subject="Captures",
            attachments=[
                ("ecran.png", PNG, "image/png"),
                ("photo\u202egnp.exe", EXE, "application/octet-stream"),
                ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "image/svg+xml"),
            ],
        ),
        "<charset@x>": _utf8_with_a_bad_byte(ARABIC, subject="Massar"),
        "<inline@x>": outlook_inline_image(),
        # Quoted replies, in Arabic by the acknowledgement's Message-ID, in French by the subject.
        "<arabic-reply@x>": make_mail(
            body=f"المشكل ما زال قائما.\n\nفي 5 دجنبر 2026، كتب مساندة <{DESK_ADDRESS}>:\n> {ARABIC}",
            headers=citing(acknowledgement),
        ),
        "<french-reply@x>": make_mail(
            subject=f"RE: [{ticket.reference}] Massar bloqué",
            body="C'est réglé pour la classe 3.\n\nLe lun. 5 déc. 2026, Musanada a écrit :\n> Bonjour.",
        ),
    }
    return {
        message_id: re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: {message_id}".encode(), raw, count=1)
        for message_id, raw in corpus.items()
    }


@pytest.fixture
def teachers_ticket(inbox, poll, answers, settings):
    """The teacher's request filed by mail through the server, and its acknowledgement."""
    settings.MUSANADA_MAIL_DOMAIN = "musanada.men.gov.ma"
    inbox.deliver(make_mail(message_id="<first@example.ma>", subject="Massar bloqué"))
    poll()
    [acknowledgement] = answers()
    return Ticket.objects.get(), acknowledgement


@pytest.mark.parametrize("message_id", list(CORPUS_OUTCOMES))
def test_each_mail_of_the_corpus_read_alone_from_the_server_does_what_it_should(
    inbox, poll, teachers_ticket, message_id
):
    inbox.deliver(_corpus(*teachers_ticket)[message_id])
    report = poll()
    record = InboundMessage.objects.get(message_id=message_id)
    assert (record.outcome, record.reason) == CORPUS_OUTCOMES[message_id]
    assert report.outcomes == {record.outcome: 1} and inbox.unseen() == 0


def test_a_corpus_of_hostile_and_ordinary_mails_read_from_the_server_each_does_what_it_should(
    inbox, poll, answers, mailoutbox, people, teachers_ticket
):
    ticket, acknowledgement = teachers_ticket
    sent_before = len(mailoutbox)
    corpus = _corpus(ticket, acknowledgement)
    for raw in corpus.values():
        inbox.deliver(raw)

    report = poll()

    assert (report.seen, report.processed, report.failed) == (len(corpus), len(corpus), 0)
    records = {r.message_id: r for r in InboundMessage.objects.filter(message_id__in=list(corpus))}
    outcomes = {message_id: (r.outcome, r.reason) for message_id, r in records.items()}
    assert outcomes == CORPUS_OUTCOMES
    assert inbox.unseen() == 0
    # Every mail is kept as it arrived.
    assert all(r.raw for r in records.values())

    # The teacher's ticket got the two replies, their quotes and attributions dropped, and nothing else.
    replies = list(ticket.events.filter(kind=EventKind.REPLY).order_by("id").values_list("body", flat=True))
    assert replies == ["المشكل ما زال قائما.", "C'est réglé pour la classe 3."]
    assert records["<forward@x>"].ticket.requester == people["head2"]
    filed = records["<files@x>"].ticket
    assert [a.original_name for a in filed.attachments.all()] == ["ecran.png"]
    assert sorted(h.name for h in records["<files@x>"].held_files.all()) == ["logo.svg", "photognp.exe"]
    assert records["<charset@x>"].ticket.description.replace("\ufffd", "") == ARABIC
    inline = records["<inline@x>"].ticket
    assert "[image: image001.png]" in inline.description and "cid:" not in inline.description
    assert [a.original_name for a in inline.attachments.all()] == ["image001.png"]

    # Mails sent: an acknowledgement per request filed, the stranger's answer at their own address; nothing
    # to a forger's target, nothing for the replies.
    automatic = answers()[1:]
    filed_ids = [m for m, (outcome, _r) in outcomes.items() if outcome == Outcome.TICKET_FILED]
    assert sorted(a.extra_headers["In-Reply-To"] for a in automatic) == sorted(
        [*filed_ids, "<display-name@x>"]
    )
    [stranger] = [a for a in automatic if a.extra_headers["In-Reply-To"] == "<display-name@x>"]
    assert stranger.to == ["someone@evil.example"]
    [files_acknowledgement] = [a for a in automatic if a.extra_headers["In-Reply-To"] == "<files@x>"]
    assert "photognp.exe" in files_acknowledgement.body and "\u202e" not in files_acknowledgement.body
    assert all(a.extra_headers["Message-ID"].endswith("@musanada.men.gov.ma>") for a in automatic)
    told_region = [m for m in mailoutbox[sent_before:] if m.to == ["region@demo.musanada.ma"]]
    assert all("forged" not in m.body for m in told_region)

    # Read again (a mailbox restored from a backup): nothing changes.
    before = (Ticket.objects.count(), len(mailoutbox))
    for raw in corpus.values():
        inbox.deliver(raw)
    poll()
    assert (Ticket.objects.count(), len(mailoutbox)) == before
