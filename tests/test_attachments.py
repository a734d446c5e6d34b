"""Files sent with a request: stored through Django's storage if they are what they say, refused otherwise."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from musanada.core.errors import InvalidInput
from musanada.tickets import services
from musanada.tickets.models import Attachment, Event, Ticket
from musanada.tickets.workflow import EventKind
from tests.helpers import file_request

# A 1×1 transparent PNG.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        archive.writestr("_rels/.rels", "<?xml version='1.0'?><Relationships/>")
        archive.writestr("word/document.xml", "<?xml version='1.0'?><document/>")
    return buffer.getvalue()


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "bonjour")
    return buffer.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    # The browser's content type is deliberately often wrong here: only the content may decide.
    return SimpleUploadedFile(name, content, content_type=content_type)


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def counts():
    return Ticket.objects.count(), Event.objects.count(), Attachment.objects.count(), media_files()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("capture.png", PNG, "image/png"),
        ("رسالة.pdf", PDF, "application/pdf"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("notes.txt", "Le serveur renvoie l'erreur 500 — المنظومة لا تستجيب".encode(), "text/plain"),
        ("notes-windows.txt", "المنظومة لا تستجيب".encode("cp1256"), "text/plain"),
        ("eleves.csv", b"code;nom\nJ1300;Amine\n", "text/csv"),
        (
            "rapport.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_a_valid_file_is_stored_with_the_type_read_from_its_content(people, name, content, content_type):
    ticket = file_request(people["teacher"], files=[upload(name, content)])
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.content_type == content_type
    assert attachment.original_name == name
    assert attachment.size == len(content)
    assert attachment.event == ticket.events.get(kind=EventKind.FILED)
    assert attachment.uploaded_by == people["teacher"]
    # Stored through Django's storage under MEDIA_ROOT, under a name the user did not choose.
    assert default_storage.exists(attachment.file.name)
    stored = Path(settings.MEDIA_ROOT) / attachment.file.name
    assert stored.read_bytes() == content
    assert ticket.reference in attachment.file.name and name not in attachment.file.name
    assert media_files() == [stored]


def test_several_files_are_stored_on_one_event(people):
    ticket = file_request(people["teacher"], files=[upload("a.png", PNG), upload("b.pdf", PDF)])
    types = sorted(ticket.attachments.values_list("content_type", flat=True))
    assert types == ["application/pdf", "image/png"]
    assert len(media_files()) == 2


def test_the_requester_and_the_desk_add_files_later(people):
    ticket = file_request(people["teacher"], files=[])
    services.ticket_attach(people["teacher"], ticket, files=[upload("capture.png", PNG)])
    services.ticket_reply(people["head"], ticket, body="La procédure.", files=[upload("guide.pdf", PDF)])
    added = ticket.events.get(kind=EventKind.ATTACHMENT_ADDED)
    assert added.data == {"count": 1} and added.attachments.get().uploaded_by == people["teacher"]
    reply = ticket.events.get(kind=EventKind.REPLY)
    assert reply.attachments.get().content_type == "application/pdf"
    assert len(media_files()) == 2


@pytest.fixture
def small_limit(settings):
    settings.MUSANADA = {**settings.MUSANADA, "ATTACHMENT_MAX_BYTES": 1024, "ATTACHMENT_MAX_FILES": 3}
    return settings.MUSANADA


BAD_FILES = {
    "oversized": ([upload("big.png", PNG + b"\x00" * 2048)], "file_too_large"),
    "empty": ([upload("empty.pdf", b"")], "empty_file"),
    "elf named photo.png": ([upload("photo.png", ELF, "image/png")], "file_type_refused"),
    "exe named photo.png": ([upload("photo.png", EXE, "image/png")], "file_type_refused"),
    "html named photo.png": ([upload("photo.png", HTML, "image/png")], "file_type_refused"),
    "pdf named report.docx": ([upload("report.docx", PDF)], "file_disguised"),
    "png named notes.txt": ([upload("notes.txt", PNG, "text/plain")], "file_disguised"),
    "binary named notes.txt": ([upload("notes.txt", b"ab\x00\x01cd", "text/plain")], "file_type_refused"),
    "exe": ([upload("setup.exe", EXE)], "file_type_refused"),
    "html page": ([upload("page.html", HTML, "text/html")], "file_type_refused"),
    "zip archive": ([upload("archive.zip", zip_bytes())], "file_type_refused"),
    "no extension": ([upload("capture", PNG)], "file_disguised"),
    "too many": ([upload(f"p{i}.png", PNG) for i in range(4)], "too_many_files"),
    "one bad among good": (
        [upload("ok.png", PNG), upload("ok.pdf", PDF), upload("x.png", ELF)],
        "file_type_refused",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_refuses_the_whole_request_and_leaves_nothing_behind(people, small_limit, case):
    files, code = BAD_FILES[case]
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        file_request(people["teacher"], files=files)
    assert refused.value.field == "attachments"
    assert refused.value.code == code
    message = str(refused.value)
    assert message.strip() and "%(" not in message
    assert counts() == before
    assert media_files() == []


@pytest.mark.parametrize("case", ["oversized", "pdf named report.docx", "too many"])
def test_a_bad_file_added_later_leaves_the_ticket_as_it_was(people, small_limit, case):
    ticket = file_request(people["teacher"], files=[upload("capture.png", PNG)])
    before = (Ticket.objects.get(pk=ticket.pk).version, counts())
    with pytest.raises(InvalidInput) as refused:
        services.ticket_attach(people["teacher"], ticket, files=BAD_FILES[case][0])
    assert refused.value.field == "attachments"
    assert (Ticket.objects.get(pk=ticket.pk).version, counts()) == before


def test_the_refusal_names_the_file_and_the_limit_in_the_reader_language(people, small_limit):
    with translation.override("ar"), pytest.raises(InvalidInput) as refused:
        file_request(people["teacher"], files=[upload("big.png", PNG + b"\x00" * 2048)])
    with translation.override("en"):
        assert str(refused.value) == "The file “big.png” is larger than the 1.0\xa0KB allowed."
    with translation.override("fr"):
        assert "big.png" in str(refused.value) and "1,0" in str(refused.value)


def test_the_refusal_of_a_disguised_file_names_the_claimed_extension(people):
    with pytest.raises(InvalidInput) as refused:
        file_request(people["teacher"], files=[upload("report.docx", PDF)])
    assert "report.docx" in str(refused.value) and ".docx" in str(refused.value)


def test_the_default_limits_allow_ten_files_of_ten_megabytes(people):
    assert settings.MUSANADA["ATTACHMENT_MAX_FILES"] == 10
    limit = settings.MUSANADA["ATTACHMENT_MAX_BYTES"]
    assert limit == 10 * 1024 * 1024
    at_limit = upload("scan.pdf", PDF + b"\n" * (limit - len(PDF)))
    ticket = file_request(people["teacher"], files=[at_limit] + [upload(f"p{i}.png", PNG) for i in range(9)])
    assert ticket.attachments.count() == 10
    with pytest.raises(InvalidInput) as refused:
        file_request(people["teacher"], files=[upload("scan.pdf", PDF + b"\n" * (limit + 1 - len(PDF)))])
    assert refused.value.code == "file_too_large"
