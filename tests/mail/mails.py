"""Building test mails as mail clients send them, and reading the committed .eml fixtures."""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
DESK_ADDRESS = "cri-tanger@men.gov.ma"
# The ministry's receiving mail server, as the mail tests' settings trust it (tests/mail/conftest.py).
AUTHSERV_ID = "mx.men.gov.ma"
# The smallest valid PNG: a real image, so that the attachment checks accept it by its content.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f"
    "0005000201e2b1f8e40000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_mail(
    *,
    sender="teacher@demo.musanada.ma",
    subject="Cannot enter the grades",
    body="Massar refuses the grades of class 3 since this morning.",
    message_id=None,
    headers=(),
    attachments=(),
    html=None,
    authenticated=True,
) -> bytes:
    """A mail as a client would send it to the desk's address; `attachments` are (name, bytes, mime type).

    `authenticated`: as the ministry's mail server received it from the sender's own domain, which it says
    in its `Authentication-Results` header (DMARC pass); False, as a forger's mail arrives (no such header).
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK_ADDRESS
    if subject is not None:
        message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or make_msgid(domain="example.ma")
    if authenticated:
        domain = str(sender).rpartition("@")[2].strip("> ")
        message["Authentication-Results"] = f"{AUTHSERV_ID}; dmarc=pass (p=none) header.from={domain}"
    for name, value in headers:
        message[name] = value
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def with_from(raw: bytes, header: str) -> bytes:
    """`raw` (from `make_mail`) with its From line replaced by `header`, written as a forger would."""
    head, _sep, rest = raw.partition(b"\n")
    assert head.startswith(b"From: ")
    return header.encode() + b"\n" + rest


def as_received(raw: bytes) -> bytes:
    """A raw mail (a fixture written as a client sent it) as the ministry's mail server hands it on: with its
    `Authentication-Results` on top, saying the sender's domain passed DMARC."""
    line = raw.split(b"\n", 1)[0]
    end = b"\r\n" if line.endswith(b"\r") else b"\n"
    return f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass".encode() + end + raw
