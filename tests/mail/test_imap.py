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
from tests.mail.mails import PNG, as_received, fixture_bytes, make_mail


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

    inbox.deliver(make_mail())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("fetch-mail", "--mailbox", str(mailbox.pk))
    assert "1 processed, 0 failed (ticket_filed: 1)" in capsys.readouterr().out
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
