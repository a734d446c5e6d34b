"""What the intake keeps (every mail as it arrived, the attachments it refused), who may read it, how long,
and that an intake which does not commit leaves no file behind, even when its process is killed."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from musanada.core import files as file_store
from musanada.jobs.runner import run_due_jobs
from musanada.mail import imap, intake
from musanada.mail.models import HeldFile, InboundMessage, Outcome
from musanada.tickets import reactions
from musanada.tickets.models import Attachment, Ticket
from tests.conftest import PASSWORD
from tests.mail.mails import EXE, PNG, make_mail

# A poll in a process of its own, which kills itself in the middle of filing the ticket.
_KILLED_POLL = """
import os, signal, django
django.setup()
from musanada.mail import imap
from musanada.mail.models import Mailbox
from musanada.tickets import reactions
reactions.run = lambda ticket, events: os.kill(os.getpid(), signal.SIGKILL)
imap.fetch_mailbox(Mailbox.objects.get(pk=int(os.environ["MAILBOX"])))
"""


def _child_environment(settings) -> dict:
    """What a process of its own needs to work on this test's database and files."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    return {
        "DJANGO_SETTINGS_MODULE": "musanada.config.settings",
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "MUSANADA_MAIL_AUTHSERV_ID": settings.MUSANADA_MAIL_AUTHSERV_ID,
        "MUSANADA_MAIL_AUTHENTICATED_DOMAINS": ",".join(settings.MUSANADA_MAIL_AUTHENTICATED_DOMAINS),
    }


def _stored(settings) -> list:
    """Every file under MEDIA_ROOT, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.fixture
def filed_with_a_refused_file(desk_mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = intake.process_message(
            desk_mailbox,
            make_mail(
                attachments=[
                    ("capture.png", PNG, "image/png"),
                    ("setup.exe", EXE, "application/x-msdownload"),
                ]
            ),
        )
    run_due_jobs()
    assert record.outcome == Outcome.TICKET_FILED
    return record


@pytest.mark.parametrize(("username", "status"), [("admin", 200), ("supervisor", 404), ("region", 404)])
def test_only_administrators_download_a_kept_mail_and_its_refused_files(
    client, filed_with_a_refused_file, username, status
):
    record = filed_with_a_refused_file
    held = record.held_files.get()
    client.login(username=username, password=PASSWORD)
    raw = client.get(reverse("admin:mail_inboundmessage_raw", args=[record.pk]))
    refused = client.get(reverse("admin:mail_heldfile_download", args=[held.pk]))
    if status == 200:
        for response, content in ((raw, record.raw.read()), (refused, EXE)):
            assert response.status_code == 200
            assert b"".join(response.streaming_content) == content
            # A possibly hostile file is only ever downloaded, never shown.
            assert response["Content-Type"] == "application/octet-stream"
            assert response["Content-Disposition"].startswith("attachment")
        page = client.get(reverse("admin:mail_inboundmessage_change", args=[record.pk]))
        assert b"setup.exe" in page.content
    else:
        # Staff who are not administrators reach no file (the admin sends others to its login page).
        assert raw.status_code in (302, 404) and refused.status_code in (302, 404)


def test_kept_copies_are_deleted_after_the_retention_period_and_the_record_stays(
    filed_with_a_refused_file, settings, desk_mailbox
):
    record = filed_with_a_refused_file
    quarantined = intake.process_message(
        desk_mailbox, make_mail(sender="directeur@men.gov.ma", authenticated=False)
    )
    assert quarantined.outcome == Outcome.QUARANTINED
    paths = [record.raw.name, record.held_files.get().file.name, quarantined.raw.name]
    settings.MUSANADA_MAIL_KEEP_DAYS = 30

    assert intake.forget_kept(now=timezone.now() + timedelta(days=29)) == 0
    assert intake.forget_kept(now=timezone.now() + timedelta(days=31)) == 2

    record.refresh_from_db()
    quarantined.refresh_from_db()
    assert not record.raw and not record.held_files.get().file
    assert record.outcome == Outcome.TICKET_FILED and record.held_files.get().name == "setup.exe"
    # A quarantined mail waits for its review with its copy.
    assert quarantined.raw
    assert [default_storage.exists(p) for p in paths] == [False, False, True]


def test_an_intake_that_fails_before_its_commit_leaves_no_file(desk_mailbox, settings, monkeypatch):
    def broken(ticket, events):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reactions, "run", broken)
    with pytest.raises(RuntimeError):
        intake.process_message(desk_mailbox, make_mail(attachments=[("capture.png", PNG, "image/png")]))

    assert not Ticket.objects.exists() and not InboundMessage.objects.exists()
    assert _stored(settings) == []


def test_a_poll_killed_in_the_middle_leaves_files_that_the_hourly_job_removes_and_the_mail_is_filed_once(
    transactional_db, inbox, mailbox, settings
):
    inbox.deliver(
        make_mail(
            attachments=[("capture.png", PNG, "image/png"), ("setup.exe", EXE, "application/x-msdownload")]
        )
    )
    # The poll runs in another process, killed (SIGKILL: no cleanup of any kind) once the ticket's files are
    # written, before its transaction commits.
    completed = subprocess.run(
        [sys.executable, "-c", _KILLED_POLL],
        env={**os.environ, **_child_environment(settings), "MAILBOX": str(mailbox.pk)},
        capture_output=True,
        timeout=120,
    )
    assert completed.returncode == -signal.SIGKILL, completed.stderr.decode()[-2000:]

    left = _stored(settings)
    assert not Ticket.objects.exists() and not InboundMessage.objects.exists() and inbox.unseen() == 1
    assert any(name.startswith("attachments/") for name in left)
    assert any(name.startswith("mail/received/") for name in left)
    assert [name for name in left if name.startswith(file_store.JOURNALS + "/")]

    # Within the hour the journal is left alone: its transaction could still be running.
    assert file_store.remove_abandoned(default_storage) == 0
    later = timezone.now() + file_store.ABANDONED_AFTER + timedelta(minutes=1)
    # The mail as it arrived and the accepted attachment (the refused one was not written yet).
    assert file_store.remove_abandoned(default_storage, now=later) == 2
    assert _stored(settings) == []

    imap.fetch_mailbox(mailbox)
    ticket = Ticket.objects.get()
    assert [a.original_name for a in Attachment.objects.filter(ticket=ticket)] == ["capture.png"]
    assert HeldFile.objects.get().name == "setup.exe" and inbox.unseen() == 0
    # What the second reading wrote is named by its rows: the job keeps it.
    assert file_store.remove_abandoned(default_storage, now=later + timedelta(hours=2)) == 0
    assert len(_stored(settings)) == 3
