"""Backups: one archive holding the database, the uploaded files and a manifest; and their restore.

Consistency. The database is dumped first, as one snapshot, and the files are copied after it. A ticket
attachment is written to storage before the row that names it commits (core/files.py) and is never changed
or deleted afterwards, so every attachment the snapshot names was already on disk when the copy began, and
the copy holds it. Files added after the snapshot are copied too: the dump names none of them and they do
no harm. The only files ever deleted are kept copies of received mails once their keeping period is over
(`mail.forget_kept`) and discarded quarantined mails: one deleted between the dump and the copy is named by
the dump and missing from the archive, which is what the next `forget_kept` would have made of it anyway.
Each backup checks the claim: the attachments its snapshot names that the copy lacks are listed in the
manifest (`missing_attachments`), and the command warns about them.

A restore checks the whole archive (every member against the manifest's sha256, the database vendor, the
migrations) before it changes anything.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
# What the manifest counts, and the restore counts again.
COUNTED = {"tickets": "tickets.Ticket", "events": "tickets.Event", "attachments": "tickets.Attachment"}
MANIFEST_FIELDS = {
    "format": int,
    "created_at": str,
    "database": str,
    "migrations": dict,
    "counts": dict,
    "members": dict,
}
# The configured connection, handed to pg_dump and pg_restore in libpq's environment variables: the password
# stays out of the process list. DATABASE_URL puts the others in OPTIONS (`?sslmode=require`).
LIBPQ_SETTINGS = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or a restore refused or failed; the message is for the administrator."""


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    counts: dict[str, int]
    files: int


def media_root() -> Path:
    """The folder of the uploaded files: the default storage's, which must be a folder of this machine."""
    if not isinstance(default_storage, FileSystemStorage):
        # The lazy default storage answers with the class of the storage it wraps.
        backend = default_storage.__class__.__name__
        raise BackupError(
            f"The uploaded files are kept by {backend} (STORAGE_BACKEND), not in a folder of this machine: "
            "musanada backup and restore handle the file-system storage only. Back that storage up with its "
            "own tools."
        )
    return Path(default_storage.location).resolve()


def current_counts() -> dict[str, int]:
    """The rows the manifest counts, as the database holds them now."""
    return {
        label: apps.get_model(model)._default_manager.using(DEFAULT_DB_ALIAS).count()
        for label, model in COUNTED.items()
    }


def backup_create(destination_dir: Path) -> Path:
    """Write one archive of the database, then of the uploaded files, into `destination_dir` (made if
    missing) and return its path: musanada-YYYYMMDDTHHMMSSZ.tar, readable by its owner only."""
    source = media_root()
    destination = Path(destination_dir).resolve()
    if destination.is_relative_to(source):
        raise BackupError(f"Write backups outside the uploaded files ({source}), not in {destination}.")
    destination.mkdir(parents=True, exist_ok=True)
    created_at = timezone.now()
    archive = destination / f"musanada-{created_at:%Y%m%dT%H%M%SZ}.tar"
    if archive.exists():
        raise BackupError(f"{archive} already exists: wait a second and run the backup again.")
    with tempfile.TemporaryDirectory(dir=destination, prefix=".backup-") as work:
        written = Path(work) / archive.name
        _write_archive(written, Path(work), source, created_at)
        written.chmod(0o600)
        written.rename(archive)
    return archive


def backup_manifest(archive_path: Path) -> dict[str, Any]:
    """The manifest of an archive, read without checking the members."""
    with _open_archive(Path(archive_path)) as tar:
        return _read_manifest(tar, Path(archive_path))


def backup_restore(archive_path: Path, *, confirmed: bool) -> Restored:
    """Check the whole archive, then, if `confirmed`, replace the database and the uploaded files with its
    content. A refused or unconfirmed archive changes nothing."""
    archive, target = Path(archive_path), media_root()
    if os.path.ismount(target):
        raise BackupError(
            f"{target} is a mount point: a restore swaps the folder of uploaded files for a new one, so "
            "mount the volume one level up (the data folder) and point MEDIA_ROOT inside it."
        )
    with _unpacked(archive, target) as unpacked:
        if not confirmed:
            raise BackupError(_unconfirmed(archive, unpacked.manifest))
        _restore_database(unpacked.database)
        files = _swap_media(unpacked.staging, target)
    return Restored(unpacked.manifest, current_counts(), files)


# Writing an archive.


def _write_archive(path: Path, work: Path, source: Path, created_at: datetime) -> None:
    vendor = _vendor()
    database_member = DATABASE_MEMBERS[vendor]
    database_file = work / database_member
    facts = _dump_database(database_file)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        members = {database_member: _add_file(tar, database_member, database_file)}
        database_file.unlink()
        members.update(_add_media(tar, source))
        copied = {name.removeprefix(f"{MEDIA}/") for name in members if name.startswith(f"{MEDIA}/")}
        manifest = {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "database": vendor,
            "migrations": facts["migrations"],
            "counts": facts["counts"],
            "missing_attachments": sorted(set(facts["attachments"]) - copied),
            "members": members,
        }
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())


class _Hashing:
    """Hashes what tarfile reads through it: the manifest holds the digest of the bytes archived, even of a
    file still being written by a transaction the snapshot does not see."""

    def __init__(self, file) -> None:
        self.file = file
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with open(path, "rb") as opened:
        info = tar.gettarinfo(arcname=name, fileobj=opened)
        hashing = _Hashing(opened)
        tar.addfile(info, hashing)
    return {"sha256": hashing.sha256.hexdigest(), "size": info.size}


def _add_media(tar: tarfile.TarFile, source: Path) -> dict[str, dict[str, Any]]:
    members = {}
    for folder, subfolders, names in os.walk(source):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            member = f"{MEDIA}/{path.relative_to(source).as_posix()}"
            try:
                members[member] = _add_file(tar, member, path)
            except FileNotFoundError:
                continue  # deleted since the listing: a finished journal, an expired copy of a mail
    return members


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


# The database: one snapshot, and what the manifest says about it.


def _vendor() -> str:
    if connection.vendor not in DATABASE_MEMBERS:
        raise BackupError(f"Backups handle PostgreSQL and SQLite, not {connection.vendor}.")
    return connection.vendor


def _dump_database(path: Path) -> dict[str, Any]:
    if _vendor() == "postgresql":
        return _dump_postgresql(path)
    return _dump_sqlite(path)


def _dump_postgresql(path: Path) -> dict[str, Any]:
    pg_dump = _client("pg_dump")
    session = connection.get_new_connection(connection.get_connection_params())
    try:
        cursor = session.cursor()
        # pg_dump reads the snapshot this transaction exports: the counts and migrations of the manifest
        # describe exactly the rows of the dump, whatever is written meanwhile.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = _facts(cursor)
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={path}", _dbname()])
        return facts
    finally:
        session.close()


def _dump_sqlite(path: Path) -> dict[str, Any]:
    live, copy = _sqlite_live(), sqlite3.connect(path)
    try:
        # The backup API copies one committed state while other processes go on writing; copying the file
        # itself could catch a write half-done, or miss what is still in the -wal file.
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _facts(copy.cursor())
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite database could not be copied ({error}).") from error
    finally:
        copy.close()
        live.close()


def _facts(cursor) -> dict[str, Any]:
    counts = {}
    for label, model in COUNTED.items():
        cursor.execute(f"SELECT count(*) FROM {_table(model)}")
        counts[label] = cursor.fetchone()[0]
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    migrations = dict(cursor.fetchall())  # in the order applied: the last of each app stays
    cursor.execute(f"SELECT file FROM {_table('tickets.Attachment')}")
    attachments = [name for (name,) in cursor.fetchall()]
    return {"counts": counts, "migrations": migrations, "attachments": attachments}


def _table(model: str) -> str:
    return connection.ops.quote_name(apps.get_model(model)._meta.db_table)


def _sqlite_live() -> sqlite3.Connection:
    """A connection of its own to the configured SQLite database, opened the way Django opens it."""
    return connection.get_new_connection(connection.get_connection_params())


def _client(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"{program} was not found on PATH. Install PostgreSQL's client programs, of the server's major "
            "version or newer (Debian: apt-get install postgresql-client-15)."
        )
    return path


def _dbname() -> str:
    return f"--dbname={connection.settings_dict['NAME']}"


def _libpq_environment() -> dict[str, str]:
    database = connection.settings_dict
    environment = dict(os.environ)
    for key, variable in LIBPQ_SETTINGS.items():
        if database.get(key):
            environment[variable] = str(database[key])
    for option, variable in LIBPQ_OPTIONS.items():
        if database["OPTIONS"].get(option):
            environment[variable] = str(database["OPTIONS"][option])
    return environment


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_libpq_environment(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        program = Path(command[0]).name
        raise BackupError(f"{program} failed (exit status {result.returncode}): {result.stderr.strip()}")


# Reading and checking an archive.


@contextmanager
def _open_archive(archive: Path) -> Iterator[tarfile.TarFile]:
    if not archive.is_file():
        raise BackupError(f"There is no archive at {archive}.")
    try:
        with tarfile.open(archive, "r:") as tar:
            yield tar
    except (tarfile.TarError, EOFError) as error:
        raise BackupError(f"{archive} is damaged or is not a Musanada backup ({error}).") from error


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        opened = tar.extractfile(MANIFEST)
        manifest = json.load(opened) if opened else None
    except KeyError:
        manifest = None
    except ValueError as error:
        raise BackupError(f"The manifest of {archive} cannot be read ({error}).") from error
    if not isinstance(manifest, dict):
        raise BackupError(
            f"{archive} has no manifest.json: it is not a Musanada backup, or it is incomplete."
        )
    if any(not isinstance(manifest.get(key), kind) for key, kind in MANIFEST_FIELDS.items()):
        raise BackupError(f"The manifest of {archive} is not one musanada backup writes.")
    if manifest["format"] != FORMAT:
        raise BackupError(
            f"{archive} is in backup format {manifest['format']}; this version of Musanada reads format "
            f"{FORMAT}."
        )
    return manifest


def _check_compatible(manifest: dict[str, Any]) -> None:
    vendor = _vendor()
    if manifest["database"] != vendor:
        raise BackupError(
            f"The archive holds a {manifest['database']} database and this installation is configured for "
            f"{vendor} (DATABASE_URL): restore it on a {manifest['database']} installation."
        )
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    unknown = [
        f"{app}.{name}"
        for app, name in sorted(manifest["migrations"].items())
        if (app, name) not in graph.nodes
    ]
    if unknown:
        raise BackupError(
            "The archive was made by a newer version of Musanada: this code does not know its migrations "
            f"{', '.join(unknown)}. Install that version (or a later one), then restore."
        )
    if vendor == "postgresql":
        _check_not_migrated_past(manifest, graph)


def _check_not_migrated_past(manifest: dict[str, Any], graph: MigrationGraph) -> None:
    # pg_restore --clean drops and recreates what the dump holds and leaves the rest: the tables of later
    # migrations would stay behind, and `musanada migrate` would then fail to create them again.
    covered: set[tuple[str, str]] = set()
    for node in manifest["migrations"].items():
        covered.update(graph.forwards_plan(node))
    applied = set(MigrationRecorder(connection).applied_migrations())
    later = sorted(f"{app}.{name}" for app, name in applied - covered if (app, name) in graph.nodes)
    if later:
        raise BackupError(
            f"The database has migrations the archive does not ({', '.join(later)}). Restore into an empty "
            "database instead: drop it and create it again (dropdb, createdb), then run the restore again."
        )


@dataclass(frozen=True)
class _Unpacked:
    manifest: dict[str, Any]
    database: Path
    staging: Path


@contextmanager
def _unpacked(archive: Path, target: Path) -> Iterator[_Unpacked]:
    """The archive checked and unpacked into a folder next to MEDIA_ROOT (renamed into place later without
    copying), removed afterwards."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-restore-"))
    try:
        with _open_archive(archive) as tar:
            manifest = _read_manifest(tar, archive)
            _check_compatible(manifest)
            _unpack_members(tar, manifest, staging, archive)
        (staging / MEDIA).mkdir(exist_ok=True)  # an archive of no file at all has no media/ member
        yield _Unpacked(manifest, staging / DATABASE_MEMBERS[manifest["database"]], staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unpack_members(tar: tarfile.TarFile, manifest: dict[str, Any], staging: Path, archive: Path) -> None:
    expected = manifest["members"]
    database_member = DATABASE_MEMBERS[manifest["database"]]
    if database_member not in expected:
        raise BackupError(f"{archive} holds no database ({database_member}): it is incomplete.")
    seen = set()
    for info in tar:
        if info.name == MANIFEST:
            continue
        if info.name not in expected or info.name in seen or not info.isfile():
            raise BackupError(f"{archive} holds {info.name}, which its manifest does not list.")
        path = _member_path(staging, info.name, database_member, archive)
        if _unpack_member(tar, info, path) != expected[info.name]:
            raise BackupError(
                f"{archive} is damaged: {info.name} does not match the checksum the manifest gives. "
                "Use another archive."
            )
        seen.add(info.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{archive} is incomplete: {len(missing)} members are missing ({missing[0]}…).")


def _member_path(staging: Path, name: str, database_member: str, archive: Path) -> Path:
    parts = PurePosixPath(name).parts
    inside_media = len(parts) > 1 and parts[0] == MEDIA and ".." not in parts
    if name != database_member and not inside_media:
        raise BackupError(f"{archive} holds a member named {name!r}, which a Musanada backup never writes.")
    return staging.joinpath(*parts)


def _unpack_member(tar: tarfile.TarFile, info: tarfile.TarInfo, path: Path) -> dict[str, Any]:
    source = tar.extractfile(info)
    assert source is not None  # a regular file, checked by the caller
    path.parent.mkdir(parents=True, exist_ok=True)
    sha256, size = hashlib.sha256(), 0
    with source, open(path, "xb") as written:
        while chunk := source.read(CHUNK):
            sha256.update(chunk)
            written.write(chunk)
            size += len(chunk)
    return {"sha256": sha256.hexdigest(), "size": size}


def _unconfirmed(archive: Path, manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    return (
        f"{archive} is sound: made {manifest['created_at']}, a {manifest['database']} database with "
        f"{counts.get('tickets')} tickets, {counts.get('events')} events and {counts.get('attachments')} "
        f"attachments, and {len(manifest['members']) - 1} files. Restoring replaces this installation's "
        "database and uploaded files with it. Nothing was changed: run again with --yes to restore."
    )


# Putting it back.


def _restore_database(path: Path) -> None:
    # No connection of this process may keep the database while it is replaced (nor pg_restore wait for it).
    connections.close_all()
    if _vendor() == "postgresql":
        pg_restore = _client("pg_restore")
        _run(
            [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", _dbname(), str(path)]
        )
    else:
        _restore_sqlite(path)


def _restore_sqlite(path: Path) -> None:
    archived, live = sqlite3.connect(path), _sqlite_live()
    try:
        # Written page by page into the live database under its write lock, in one go: a process that still
        # has the file open sees the old content or the restored one, never a file replaced under it.
        archived.backup(live)
    except sqlite3.Error as error:
        raise BackupError(
            f"The SQLite database was not replaced ({error}): stop the web processes and the job workers, "
            "then restore again."
        ) from error
    finally:
        live.close()
        archived.close()


def _swap_media(staging: Path, target: Path) -> int:
    """Put the unpacked files in place of MEDIA_ROOT by renames within one file system; if the second
    rename fails, the old folder goes back. Returns how many files were put back."""
    restored, previous = staging / MEDIA, staging / "previous"
    if target.exists():
        target.rename(previous)
    try:
        restored.rename(target)
    except OSError:
        if previous.exists():
            previous.rename(target)
        raise
    return sum(1 for path in target.rglob("*") if path.is_file())
