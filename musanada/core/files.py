"""Files written for a database transaction are removed when it does not commit.

A file is written to storage before the row that names it commits, so that a committed row never names a
missing file. The other way round, a transaction that fails would leave files no row names: every file an
action writes goes through `save`, inside `kept_if_committed`, which deletes them again when the block
raises. A process killed in the middle (a poll stopped by its supervisor, a web worker past its timeout)
runs no cleanup at all: before writing, `save` notes the file's name in a journal in the same storage
(`pending/`), deleted once the block is over. `remove_abandoned` (the hourly job `files.remove_abandoned`)
reads journals left behind and deletes the files they name that no row names.
"""

import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

JOURNALS = "pending"
# A journal this old belongs to a process that died: no transaction that writes files runs this long.
ABANDONED_AFTER = timedelta(hours=1)


class _Written:
    """The files one `kept_if_committed` block wrote, and its journal (per storage)."""

    def __init__(self) -> None:
        self.files: list = []
        self.journals: dict = {}
        self.key = uuid.uuid4().hex

    def note(self, storage, name: str) -> None:
        """Record `name` in this block's journal before the file is written."""
        journal = self.journals.get(storage)
        names = [n for s, n in self.files if s is storage] + [name]
        if journal is not None:
            storage.delete(journal)
        self.journals[storage] = storage.save(
            f"{JOURNALS}/{self.key}.txt", ContentFile("\n".join(names).encode())
        )

    def remove_files(self) -> None:
        for storage, name in self.files:
            storage.delete(name)

    def close(self) -> None:
        for storage, journal in self.journals.items():
            storage.delete(journal)


_blocks: ContextVar[tuple] = ContextVar("musanada_files_written", default=())


@contextmanager
def kept_if_committed():
    """Wrap a transaction: the files `save` writes inside are deleted if the block raises. Blocks nest;
    the outermost one's failure removes the files of the inner ones too."""
    written = _Written()
    token = _blocks.set((*_blocks.get(), written))
    try:
        yield
    except BaseException:
        written.remove_files()
        raise
    finally:
        _blocks.reset(token)
        written.close()


def save(field_file, name: str, content) -> None:
    """Write `content` to the model's file field (without saving the row), journalled and removed again by
    the enclosing `kept_if_committed` blocks if they fail."""
    storage = field_file.storage
    blocks = _blocks.get()
    intended = field_file.field.generate_filename(field_file.instance, name)
    if blocks:
        blocks[0].note(storage, intended)
    field_file.save(name, content, save=False)
    written = field_file.name
    if blocks and written != intended:
        # The storage chose another name (the intended one was taken): journal that one too.
        blocks[0].note(storage, written)
    for block in blocks:
        block.files.append((storage, written))


def _named_by_a_row(name: str) -> bool:
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.FileField):
                continue
            if model._default_manager.filter(**{field.name: name}).exists():
                return True
    return False


def remove_abandoned(storage, *, now=None) -> int:
    """Delete the files named in journals older than ABANDONED_AFTER that no row names, and the journals.
    Returns how many files were deleted."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    try:
        _dirs, journals = storage.listdir(JOURNALS)
    except FileNotFoundError:
        return 0
    removed = 0
    for journal in journals:
        path = f"{JOURNALS}/{journal}"
        if storage.get_modified_time(path) > cutoff:
            continue
        with storage.open(path, "rb") as opened:
            names = [line for line in opened.read().decode().splitlines() if line.strip()]
        for name in names:
            if storage.exists(name) and not _named_by_a_row(name):
                storage.delete(name)
                removed += 1
                logger.warning("removed %s, written by a transaction that never committed", name)
        storage.delete(path)
    return removed
