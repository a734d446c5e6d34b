"""Checks on uploaded files: count, size, and a type read from the content, never taken from the client."""

import re
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput
from musanada.core.text import plain_line

# Types recognised by their text content rather than a signature. A message (.eml) is how a mail client
# attaches a forwarded mail: text that starts with a header line.
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv", "eml": "message/rfc822"}
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
EXTENSION_ALIASES = {"jpeg": "jpg"}
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CheckedFile:
    upload: object  # a Django File / UploadedFile
    name: str
    extension: str
    content_type: str
    size: int


def _settings():
    return settings.MUSANADA


def _declared_extension(name: str) -> str:
    ext = PurePath(name).suffix.lower().lstrip(".")
    return EXTENSION_ALIASES.get(ext, ext)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp1256", "latin-1"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def check_file(upload) -> CheckedFile:
    """Refuse an empty, oversized, unknown or disguised file with a message that names it."""
    limits = _settings()
    # The name is echoed in pages and answers: without controls that could disguise it ("gpj.exe").
    name = plain_line(PurePath(upload.name or "").name)[:255]
    # Lazy like the message: the size reads in the language the refusal is shown in, not the one raised in.
    params = {"name": name, "limit": lazy(filesizeformat, str)(limits["ATTACHMENT_MAX_BYTES"])}
    size = upload.size
    if not size:
        raise InvalidInput(
            _("The file “%(name)s” is empty."), code=ErrorCode.EMPTY_FILE, field="attachments", params=params
        )
    if size > limits["ATTACHMENT_MAX_BYTES"]:
        raise InvalidInput(
            _("The file “%(name)s” is larger than the %(limit)s allowed."),
            code=ErrorCode.FILE_TOO_LARGE,
            field="attachments",
            params=params,
        )
    allowed = set(limits["ATTACHMENT_TYPES"])
    declared = _declared_extension(name)
    head = _read_head(upload)
    kind = filetype.guess(head)
    if kind is not None:
        detected, content_type = EXTENSION_ALIASES.get(kind.extension, kind.extension), kind.mime
    elif (
        declared in TEXT_TYPES and _looks_like_text(head) and (declared != "eml" or _HEADER_LINE.match(head))
    ):
        detected, content_type = declared, TEXT_TYPES[declared]
    else:
        detected, content_type = None, None
    if detected not in allowed:
        raise InvalidInput(
            _("The file “%(name)s” is not of an accepted type (%(types)s)."),
            code=ErrorCode.FILE_TYPE_REFUSED,
            field="attachments",
            params={**params, "types": ", ".join(sorted(allowed))},
        )
    if declared != detected:
        raise InvalidInput(
            _("The file “%(name)s” is not what its name says: its content is not a .%(ext)s file."),
            code=ErrorCode.FILE_DISGUISED,
            field="attachments",
            params={**params, "ext": declared or "?"},
        )
    return CheckedFile(upload, name, detected, content_type, size)


def too_many_files() -> InvalidInput:
    """The refusal of a file past MUSANADA_ATTACHMENT_MAX_FILES in one action."""
    limit = _settings()["ATTACHMENT_MAX_FILES"]
    return InvalidInput(
        _("At most %(limit)s files can be attached at once."),
        code=ErrorCode.TOO_MANY_FILES,
        field="attachments",
        params={"limit": limit},
    )


def check_files(uploads) -> list[CheckedFile]:
    uploads = list(uploads or ())
    if len(uploads) > _settings()["ATTACHMENT_MAX_FILES"]:
        raise too_many_files()
    return [check_file(upload) for upload in uploads]
