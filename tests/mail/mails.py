"""Building test mails as mail clients send them, and reading the committed .eml fixtures."""

import base64
import email
import email.policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from django.core import mail as django_mail

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
# The start of a Windows program: never an accepted attachment, whatever its name says.
EXE = b"MZ\x90\x00" + b"\x00" * 64


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


def citing(sent) -> list:
    """The threading headers of an answer to `sent`, a mail Musanada sent (from the test outbox)."""
    message_id = sent.extra_headers["Message-ID"]
    references = f"{sent.extra_headers.get('References', '')} {message_id}".strip()
    return [("In-Reply-To", message_id), ("References", references)]


def answering(ticket) -> list:
    """The threading headers of an answer to the last mail Musanada sent about `ticket` (its
    acknowledgement or a notification, from the test outbox)."""
    sent = [message for message in django_mail.outbox if ticket.reference in message.subject]
    assert sent, f"no mail about {ticket.reference} was sent"
    return citing(sent[-1])


def outlook_inline_image(cid="image001.png@01DB2C6A.5F0E1B30", **mail) -> bytes:
    """A mail as Outlook sends a pasted screenshot: a text part saying "[cid:…]", an HTML part with
    <img src="cid:…">, and the image related to the HTML, with no file name of its own."""
    message = email.message_from_bytes(make_mail(body=None, **mail), policy=email.policy.default)
    message.set_content(f"Voici l'erreur :\n[cid:{cid}]\nMerci.")
    message.add_alternative(
        f'<p>Voici l\'erreur :<br><img width="400" src="cid:{cid}"></p><p>Merci.</p>', subtype="html"
    )
    message.get_payload()[1].add_related(PNG, "image", "png", cid=f"<{cid}>")
    return message.as_bytes()


def encoded_word(text: str) -> str:
    """`text` as an RFC 2047 encoded word, as clients write a non-ASCII display name or subject."""
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="
