"""From the raw bytes of one e-mail to what the intake needs: pure, no database, no network.

Mail reaching a ministry mailbox comes from every client there is: Outlook in Arabic on Windows
(windows-1256), webmail in UTF-8, old French setups in ISO-8859-1 mislabelled, HTML-only messages. Every text
is decoded with its declared charset first and sensible fallbacks after, never with an exception: a mail that
cannot be read perfectly is still read as well as possible.
"""

import email
import email.header
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from html import escape as html_escape
from html.parser import HTMLParser

import nh3

from musanada.core.text import plain_line

# Declared charsets that mail clients use for something wider (the WHATWG encoding rules do the same).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "windows-1256": "cp1256",
    "windows-1252": "cp1252",
    "iso-8859-6": "iso8859-6",
    "arabic": "iso8859-6",
}
# Tried in this order when the declared charset is missing, unknown or wrong. cp1256 (Arabic Windows) keeps
# the French accented letters where cp1252 has them, so French text survives it too.
_FALLBACKS = ("utf-8", "cp1256")

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_REFERENCE = re.compile(r"\bMSN-\d{4}-\d{6}\b", re.IGNORECASE)

_PRECEDENCE_ROBOT = {"bulk", "junk", "list"}
_ROBOT_LOCAL_PARTS = {"mailer-daemon", "postmaster"}

MAX_ID_LENGTH = 255


@dataclass(frozen=True)
class MailAttachment:
    name: str
    content: bytes
    # As the sender's client claims it; the attachment checks read the real type from the content.
    content_type: str


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    in_reply_to: tuple = ()
    references: tuple = ()
    sender: str = ""
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    attachments: tuple = ()
    # Why the mail was written by a robot ("auto-submitted", "precedence", …), empty for a person's mail.
    robot: str = ""
    # The raw Authentication-Results headers, top first (`authentication` reads them).
    authentication_results: tuple = ()

    @property
    def is_robot(self) -> bool:
        return bool(self.robot)

    @property
    def thread_ids(self) -> tuple:
        """The Message-IDs this mail answers, the most recent first."""
        seen, ordered = set(), []
        for mid in (*self.in_reply_to, *reversed(self.references)):
            if mid not in seen:
                seen.add(mid)
                ordered.append(mid)
        return tuple(ordered)


# Text decoding -----------------------------------------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    charset = charset.strip().strip('"').lower()
    return _CHARSET_ALIASES.get(charset, charset)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: the declared charset if it decodes them cleanly, else UTF-8, else Arabic Windows.

    UTF-8 (declared, or the first guess) with a few invalid bytes is read as UTF-8 with those bytes replaced:
    one bad byte must not turn a whole Arabic text into another charset's gibberish."""
    declared = _codec(charset)
    candidates = [c for c in (declared, *_FALLBACKS) if c]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            if candidate.replace("-", "").replace("_", "") == "utf8":
                replaced = data.decode("utf-8", errors="replace")
                if replaced.count("\ufffd") <= max(2, len(replaced) // 200):
                    return replaced
            continue
    return data.decode("utf-8", errors="replace")


def _has_raw_bytes(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def decode_header(value) -> str:
    """A header as text: RFC 2047 encoded words in any charset, raw 8-bit bytes, folded lines."""
    if value is None:
        return ""
    value = str(value)
    if _has_raw_bytes(value):
        # 8-bit bytes sent without encoding (some clients do): read them like an undeclared body.
        value = decode_bytes(value.encode("ascii", "surrogateescape"))
    try:
        chunks = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError):
        chunks = [(value, None)]
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            # decode_header gives the text around encoded words back in this codec.
            parts.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            parts.append(decode_bytes(chunk, charset))
    # NUL has no place in text, and PostgreSQL refuses to store it.
    return " ".join("".join(parts).replace("\x00", "").split())


def _raw_headers(message) -> dict:
    headers: dict = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), []).append(value)
    return headers


def _first(headers: dict, name: str) -> str:
    values = headers.get(name.lower())
    return decode_header(values[0]) if values else ""


def addresses(value) -> tuple:
    """The addresses of an address header (From, Sender, Reply-To), read from its structure by the standard
    library's header registry, as (address lower-cased, display name) pairs.

    Never from decoded text: an encoded display name that holds "<someone@domain>" or "@" stays a name, and
    the address is the one outside it. A header that cannot be parsed gives no address."""
    if value is None:
        return ()
    value = str(value)
    if _has_raw_bytes(value):
        # 8-bit bytes sent without encoding: read them as text first, like any header.
        value = decode_bytes(value.encode("ascii", "surrogateescape"))
    try:
        header = email.policy.default.header_factory("from", value.replace("\x00", ""))
        found = header.addresses
    except (email.errors.HeaderParseError, ValueError, IndexError, TypeError, AttributeError):
        return ()
    pairs = []
    for address in found:
        spec = (address.addr_spec or "").strip().lower()
        local, at, domain = spec.rpartition("@")
        if not (at and local and domain) or any(c.isspace() or c in "<>" for c in spec):
            continue
        pairs.append((spec, " ".join((address.display_name or "").replace("\x00", "").split())))
    return tuple(pairs)


# Identifiers and threading -----------------------------------------------------------------------------


def message_ids(value: str) -> tuple:
    """The <…> identifiers in an In-Reply-To or References header, in order."""
    return tuple(mid for mid in _MESSAGE_ID.findall(value or "") if len(mid) <= MAX_ID_LENGTH)


def ticket_message_id(reference: str, number: int, domain: str) -> str:
    """The Message-ID of the `number`th mail Musanada sends about a ticket (readable in a mail client's
    source; the intake finds the ticket of a reply by the IDs it stored, `mail.OutboundMessage`)."""
    return f"<{reference}.{number}@{domain}>"


def reference_in_subject(subject: str) -> str | None:
    match = _REFERENCE.search(subject or "")
    return match.group(0).upper() if match else None


def _message_id(headers: dict, raw: bytes) -> str:
    found = message_ids(_first(headers, "message-id"))
    if found:
        return found[0]
    # Without a Message-ID the content itself identifies the mail, so a second poll still finds it processed.
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@musanada.invalid>"


# Bodies ------------------------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt", "dl",
}  # fmt: skip
_PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "dl"}
_KEPT_TAGS = _BLOCK_TAGS | {"td", "th", "thead", "tbody", "span", "b", "strong", "i", "em", "u", "a", "code"}


class _TextExtractor(HTMLParser):
    """Words with the line breaks the blocks imply: a paragraph ends with a blank line, a list item or an
    Outlook-style <div> per line with a line end; two blocks in a row do not add up their breaks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pending = 0

    def _break(self, lines: int) -> None:
        self.pending = max(self.pending, lines)

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.pending += 1
        elif tag in _PARAGRAPH_TAGS:
            self._break(2)
        elif tag in _BLOCK_TAGS:
            self._break(1)
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _PARAGRAPH_TAGS:
            self._break(2)
        elif tag in _BLOCK_TAGS:
            self._break(1)

    def handle_data(self, data):
        if self.pending:
            if not data.strip():
                return
            if self.parts:
                self.parts.append("\n" * self.pending)
            self.pending = 0
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail: sanitised by nh3 first (scripts, styles and their content gone,
    every attribute dropped), then reduced to its words. Nothing of it is ever rendered as HTML."""
    cleaned = nh3.clean(
        html,
        tags=_KEPT_TAGS,
        clean_content_tags={"script", "style", "head", "title", "template", "noscript"},
        attributes={},
        link_rel=None,
        strip_comments=True,
    )
    extractor = _TextExtractor()
    extractor.feed(cleaned)
    extractor.close()
    return tidy_text("".join(extractor.parts))


def tidy_text(text: str) -> str:
    """Unified line ends, no trailing spaces, at most one blank line in a row."""
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) if line.strip() else "" for line in text.split("\n")]
    tidied, blank = [], False
    for line in lines:
        if not line:
            if tidied and not blank:
                tidied.append("")
            blank = True
            continue
        tidied.append(line)
        blank = False
    return "\n".join(tidied).strip()


def _part_text(part) -> str:
    payload = part.get_payload(decode=True) or b""
    return decode_bytes(payload, part.get_content_charset())


def _is_attachment(part) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or (disposition == "inline" and bool(part.get_filename()))


def _walk(message):
    """The leaves of the MIME tree; an attached message stays one leaf, its own parts are not ours."""
    if message.is_multipart() and message.get_content_type() != "message/rfc822":
        for part in message.get_payload():
            yield from _walk(part)
    else:
        yield message


def _content_id(part) -> str:
    return (part.get("Content-ID") or "").strip().strip("<>").strip()


def _attachment_name(part, index: int) -> str:
    name = plain_line(decode_header(part.get_filename() or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name:
        return name[:255]
    if part.get_content_type() == "message/rfc822":
        return f"message-{index}.eml"
    subtype = part.get_content_subtype() or "bin"
    # An inline image's Content-ID often is its file name (Outlook: "image001.png@01DB2C….").
    local = plain_line(_content_id(part).partition("@")[0]).replace("/", "_")
    if local and "." in local and local.rsplit(".", 1)[1].lower() == subtype.lower():
        return local[:255]
    return f"attachment-{index}.{subtype}"


# Inline images: "[cid:…]" in the text Outlook writes beside its HTML, <img src="cid:…"> in the HTML.
_CID_TEXT = re.compile(r"\[cid:([^\]\s]+)\]", re.IGNORECASE)
_CID_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?cid:([^\"'\s>]+)[^>]*>", re.IGNORECASE)


def _image_label(name: str) -> str:
    return f"[image: {name}]"


def _with_images_named(text: str, pattern, images: dict, escape=lambda name: name) -> str:
    """Each inline image cited in the text becomes "[image: its attachment's name]"; one that is not in
    the mail is left out rather than left as a dead "cid:" link."""

    def named(match):
        name = images.get(match.group(1).strip().lower())
        return f" {escape(_image_label(name))} " if name else ""

    return pattern.sub(named, text)


def _body_and_attachments(message) -> tuple[str, tuple]:
    plain, html, attachments, images = None, None, [], {}
    for part in _walk(message):
        content_type = part.get_content_type()
        if content_type == "text/plain" and not _is_attachment(part) and plain is None:
            plain = _part_text(part)
        elif content_type == "text/html" and not _is_attachment(part) and html is None:
            html = _part_text(part)
        elif content_type in ("message/delivery-status", "message/disposition-notification"):
            continue
        elif _is_attachment(part) or part.get_content_maintype() not in ("text", "multipart"):
            if content_type == "message/rfc822":
                inner = part.get_payload()
                content = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            else:
                content = part.get_payload(decode=True) or b""
            name = _attachment_name(part, len(attachments) + 1)
            attachments.append(MailAttachment(name, content, content_type))
            if _content_id(part):
                images[_content_id(part).lower()] = name
    if plain is not None and plain.strip():
        text = tidy_text(_with_images_named(plain, _CID_TEXT, images))
    elif html is not None:
        text = html_to_text(_with_images_named(html, _CID_IMG, images, escape=html_escape))
    else:
        text = ""
    return text, tuple(attachments)


_QUOTE_HEADERS = re.compile(
    r"^\s*("
    r"On .{1,200} wrote:|Le .{1,200} a écrit ?:|"
    r"-{2,} ?(Original Message|Message d'origine|Mensaje original|الرسالة الأصلية) ?-{2,}|"
    r"(From|De|من) ?: .+|"
    r".{0,200}كتب.{0,200}:"
    r")\s*$",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """The new part of a reply: the text above the quoted message that mail clients append."""
    lines = text.split("\n")
    kept = []
    for index, line in enumerate(lines):
        if _QUOTE_HEADERS.match(line):
            following = next((rest for rest in lines[index + 1 :] if rest.strip()), "")
            if following.lstrip().startswith(">"):
                # "On … wrote:" above "> " lines: the writer may answer below the quote.
                continue
            # Outlook copies the whole previous mail under a header block: nothing new follows it.
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return tidy_text("\n".join(kept))


# Sender authentication ---------------------------------------------------------------------------------

_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Authentication:
    """What the trusted mail server's `Authentication-Results` header says (RFC 8601): each method's result,
    and the domains its pass vouches for."""

    found: bool = False
    dmarc: str = ""
    dmarc_domain: str = ""
    spf: str = ""
    spf_domain: str = ""
    dkim_domains: tuple = ()  # the header.d of each DKIM signature that passed

    def vouches_for(self, domain: str) -> bool:
        """Whether the mail is authenticated for `domain` (the From's): DMARC pass, or an SPF or DKIM pass
        aligned with it (the same domain, or one inside the other: relaxed alignment)."""
        if not self.found or not domain:
            return False
        if self.dmarc == "pass" and (not self.dmarc_domain or _aligned(self.dmarc_domain, domain)):
            return True
        if self.spf == "pass" and _aligned(self.spf_domain, domain):
            return True
        return any(_aligned(signer, domain) for signer in self.dkim_domains)


def _aligned(one: str, other: str) -> bool:
    one, other = one.lower().strip("."), other.lower().strip(".")
    return bool(one and other) and (one == other or one.endswith("." + other) or other.endswith("." + one))


def authentication(values, authserv_id: str) -> Authentication:
    """From the raw `Authentication-Results` headers of a mail (`ParsedMail.authentication_results`, top
    first), the results of the first one of the mail server named
    `authserv_id`: the one it added on receiving the mail. Headers of other servers, and any below it (a
    sender can write an `Authentication-Results` of their own, with any name), are ignored."""
    if not authserv_id:
        return Authentication()
    for raw in values:
        value = _COMMENT.sub(" ", decode_header(raw))
        parts = [part.strip() for part in value.split(";")]
        server = parts[0].split()[0].lower() if parts and parts[0].split() else ""
        if server != authserv_id.lower():
            continue
        results: dict = {"found": True, "dkim_domains": []}
        for part in parts[1:]:
            tokens = part.split()
            if not tokens or "=" not in tokens[0]:
                continue
            method, _eq, result = tokens[0].partition("=")
            method, result = method.lower(), result.lower()
            props = dict(token.lower().partition("=")[::2] for token in tokens[1:] if "=" in token)
            if method == "dmarc" and "dmarc" not in results:
                results["dmarc"], results["dmarc_domain"] = result, props.get("header.from", "")
            elif method == "spf" and "spf" not in results:
                mailfrom = props.get("smtp.mailfrom", "") or props.get("smtp.helo", "")
                results["spf"], results["spf_domain"] = result, mailfrom.rpartition("@")[2]
            elif method == "dkim" and result == "pass" and props.get("header.d"):
                results["dkim_domains"].append(props["header.d"])
        results["dkim_domains"] = tuple(results["dkim_domains"])
        return Authentication(**results)
    return Authentication()


# Robots ------------------------------------------------------------------------------------------------


def robot_reason(headers: dict, sender: str, content_type: str) -> str:
    """Why this mail was sent by a program, or "" when a person sent it (RFC 3834 and common practice).

    Such mail never files a ticket and is never answered: two robots answering each other is the one loop
    a mail intake must make impossible.
    """
    auto_submitted = _first(headers, "auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto-submitted"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "autoreply"
    if _first(headers, "precedence").strip().lower() in _PRECEDENCE_ROBOT:
        return "precedence"
    return_path = headers.get("return-path")
    if return_path and _first(headers, "return-path").strip() in ("<>", ""):
        return "bounce"
    if sender.partition("@")[0] in _ROBOT_LOCAL_PARTS:
        return "bounce"
    if content_type == "multipart/report":
        return "report"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "list"
    return ""


# The whole mail ----------------------------------------------------------------------------------------


def parse(raw: bytes) -> ParsedMail:
    """Parse one raw e-mail. Never raises on bad input: what cannot be read is left empty."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    headers = _raw_headers(message)
    # One author: a From with several addresses (or none that parses) names no sender the intake can trust.
    authors = addresses((headers.get("from") or [None])[0])
    sender, name = authors[0] if len(authors) == 1 else ("", "")
    text, attachments = _body_and_attachments(message)
    return ParsedMail(
        message_id=_message_id(headers, raw),
        in_reply_to=message_ids(_first(headers, "in-reply-to")),
        references=message_ids(_first(headers, "references")),
        sender=sender,
        sender_name=plain_line(name),
        subject=plain_line(_first(headers, "subject")),
        text=text,
        attachments=attachments,
        robot=robot_reason(headers, sender, message.get_content_type()),
        authentication_results=tuple(headers.get("authentication-results", ())),
    )
