"""The restore drill: back up, destroy, restore, and the same tickets, events and files come back; an archive
that is damaged, unconfirmed or made for another database changes nothing.

On the database the run uses (SQLite, or PostgreSQL with DATABASE_URL), with committed rows: pg_dump reads
them from another session.
"""

import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from musanada.core.backup import MANIFEST
from musanada.tickets import services
from musanada.tickets.models import Attachment, Event, Ticket
from tests.helpers import file_request

OTHER_VENDOR = "postgresql" if connection.vendor == "sqlite" else "sqlite"


def text_file(name, text):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


@pytest.fixture
def filed(transactional_db, people):
    """Two requests made through the services: one with a file, taken and answered with another file."""
    ticket = file_request(
        people["teacher"], subject="Massar refuse la saisie des notes", files=[text_file("erreur.txt", "500")]
    )
    services.ticket_take(people["head"], ticket)
    services.ticket_reply(
        people["head"], ticket, body="Voici la procédure.", files=[text_file("procedure.csv", "etape;action")]
    )
    file_request(people["teacher"], subject="كلمة المرور لا تعمل")


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return {
        path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def state():
    """What the drill compares: tickets, their events in order, and every stored file's bytes."""
    return {
        "tickets": list(Ticket.objects.order_by("reference").values_list("reference", "status", "subject")),
        "events": list(
            Event.objects.order_by("ticket__reference", "created_at", "id").values_list(
                "ticket__reference", "kind", "body", "public"
            )
        ),
        "attachments": sorted(Attachment.objects.values_list("file", "original_name")),
        "files": media_files(),
    }


def back_up(tmp_path) -> Path:
    call_command("backup", output=str(tmp_path / "backups"))
    (archive,) = (tmp_path / "backups").glob("musanada-*.tar")
    return archive


def destroy():
    # Everything goes, as when the machine is lost. flush empties every table with TRUNCATE on PostgreSQL,
    # which the trigger refusing to delete events does not see (tickets migration 0003), and with DELETE on
    # SQLite, whose trigger refuses updates only (0002); the models refuse both.
    call_command("flush", interactive=False, inhibit_post_migrate=True)
    shutil.rmtree(settings.MEDIA_ROOT)


def rewrite_manifest(archive: Path, **changes) -> Path:
    """A copy of `archive` whose manifest says something else."""
    changed = archive.with_name("changed.tar")
    with tarfile.open(archive) as source, tarfile.open(changed, "w") as target:
        for member in source.getmembers():
            content = source.extractfile(member)
            if member.name == MANIFEST:
                manifest = {**json.load(content), **changes}
                data = json.dumps(manifest).encode()
                member.size = len(data)
                content = io.BytesIO(data)
            target.addfile(member, content)
    return changed


def test_a_backup_restored_after_losing_everything_brings_back_the_same_tickets_events_and_files(
    filed, people, tmp_path, capsys
):
    before = state()
    assert len(before["tickets"]) == 2 and len(before["attachments"]) == 2
    assert ("reply", "Voici la procédure.") in [(kind, body) for _, kind, body, _ in before["events"]]
    archive = back_up(tmp_path)

    destroy()
    assert Ticket.objects.count() == 0 and not Path(settings.MEDIA_ROOT).exists()

    call_command("restore", str(archive), yes=True)

    assert state() == before
    output = capsys.readouterr().out
    assert re.search(r"^tickets +2 +2$", output, flags=re.M)
    assert "2 files put back" in output
    # The schema came back whole: the history refuses changes again, and new requests get new numbers.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_event SET body = ''")
    assert file_request(people["teacher"]).reference not in [reference for reference, *_ in before["tickets"]]


def test_the_manifest_counts_the_rows_and_gives_every_members_checksum(filed, tmp_path):
    archive = back_up(tmp_path)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(MANIFEST))
    assert manifest["database"] == connection.vendor
    assert manifest["counts"] == {"tickets": 2, "events": Event.objects.count(), "attachments": 2}
    leaves = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("tickets")
    assert [("tickets", manifest["migrations"]["tickets"])] == leaves
    assert manifest["missing_attachments"] == []
    assert sorted(manifest["members"]) == sorted(name for name in names if name != MANIFEST)
    for name in Attachment.objects.values_list("file", flat=True):
        assert f"media/{name}" in manifest["members"]


def test_a_tampered_archive_is_refused_and_changes_nothing(filed, people, tmp_path):
    archive = back_up(tmp_path)
    with tarfile.open(archive) as tar:
        member = next(info for info in tar.getmembers() if info.name.startswith("media/attachments/"))
    with open(archive, "r+b") as raw:
        raw.seek(member.offset_data)
        byte = raw.read(1)
        raw.seek(member.offset_data)
        raw.write(bytes([byte[0] ^ 0x01]))
    file_request(people["teacher"], subject="Filed after the backup")
    before = state()

    with pytest.raises(CommandError, match=f"damaged: {member.name} does not match"):
        call_command("restore", str(archive), yes=True)

    assert state() == before
    leftovers = [path.name for path in Path(settings.MEDIA_ROOT).parent.iterdir() if "restore" in path.name]
    assert leftovers == []


def test_a_restore_without_yes_only_checks_the_archive(filed, people, tmp_path):
    archive = back_up(tmp_path)
    file_request(people["teacher"], subject="Filed after the backup")
    before = state()

    with pytest.raises(CommandError, match="is sound.*Nothing was changed: run again with --yes"):
        call_command("restore", str(archive))

    assert state() == before


def test_an_archive_of_another_database_vendor_is_refused(filed, tmp_path):
    archive = rewrite_manifest(back_up(tmp_path), database=OTHER_VENDOR)
    before = state()

    with pytest.raises(CommandError, match=f"holds a {OTHER_VENDOR} database"):
        call_command("restore", str(archive), yes=True)

    assert state() == before


def test_an_archive_made_by_a_newer_version_is_refused(filed, tmp_path):
    archive = back_up(tmp_path)
    with tarfile.open(archive) as tar:
        migrations = json.load(tar.extractfile(MANIFEST))["migrations"]
    newer = rewrite_manifest(archive, migrations={**migrations, "tickets": "9999_from_the_future"})

    with pytest.raises(CommandError, match="newer version of Musanada.*tickets.9999_from_the_future"):
        call_command("restore", str(newer), yes=True)


def test_a_missing_or_unreadable_archive_is_refused(transactional_db, tmp_path):
    with pytest.raises(CommandError, match="There is no archive at"):
        call_command("restore", str(tmp_path / "nowhere.tar"), yes=True)
    not_an_archive = tmp_path / "notes.tar"
    not_an_archive.write_bytes(b"not a tar file at all" * 100)
    with pytest.raises(CommandError, match="damaged or is not a Musanada backup"):
        call_command("restore", str(not_an_archive), yes=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump backs up PostgreSQL only")
def test_a_backup_without_pg_dump_says_what_to_install(transactional_db, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_dump was not found on PATH"):
        call_command("backup", output=str(tmp_path / "backups"))
    assert not list((tmp_path / "backups").iterdir())
