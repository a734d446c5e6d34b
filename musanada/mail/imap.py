"""Reading the desks' mailboxes over IMAP (the standard library's imaplib).

A mail is fetched without being marked (BODY.PEEK), processed in its own transaction, and marked \\Seen on
the server only after that transaction committed. A crash in between leaves it unseen: the next poll reads
it again and the Message-ID record makes that second reading a no-op, so nothing is lost or duplicated.
"""

import imaplib
import logging
import re
import socket
import ssl
from dataclasses import dataclass, field

from django.utils import timezone

from musanada.mail.intake import process_message
from musanada.mail.models import Mailbox, Scheme

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60
# A poll reads at most this many mails; the next poll goes on with the rest, so that one full mailbox
# cannot hold a worker for an hour.
BATCH = 200

# What a broken connection looks like: the jobs layer retries these.
CONNECTION_ERRORS = (OSError, imaplib.IMAP4.abort, ssl.SSLError, socket.timeout, EOFError)


class MailboxUnreachable(Exception):
    """One or more mailboxes could not be read; the others were."""


# What a poll reports for a mail whose Message-ID an earlier read had already acted on.
DUPLICATE = "already_processed"


@dataclass
class PollReport:
    mailbox_id: int
    seen: int = 0
    processed: int = 0
    failed: int = 0
    outcomes: dict = field(default_factory=dict)
    # Attachments left out of the tickets and replies filed (held for administrators, the senders told).
    files_held: int = 0


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """Open, log in and select the mailbox's folder (read-write: the \\Seen flag is set later)."""
    if mailbox.scheme == Scheme.IMAPS:
        connection = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
        )
    else:
        connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.login(mailbox.username, mailbox.password)
        status, data = connection.select(_quote(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder!r}: {data!r}")
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: imaplib.IMAP4) -> None:
    try:
        if connection.state == "SELECTED":
            connection.close()
        connection.logout()
    except (*CONNECTION_ERRORS, imaplib.IMAP4.error):
        pass


def _unseen_uids(connection: imaplib.IMAP4) -> list[bytes]:
    status, data = connection.uid("SEARCH", None, "UNSEEN")
    if status != "OK":
        raise imaplib.IMAP4.error(f"search failed: {data!r}")
    return b" ".join(item for item in data if item).split()


_LITERAL = re.compile(rb"BODY\[\] \{\d+\}$")


def _fetch(connection: imaplib.IMAP4, uid: bytes) -> bytes | None:
    # PEEK: reading does not set \Seen; only a committed processing does.
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"fetch of {uid!r} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and _LITERAL.search(item[0]):
            return item[1]
    # The mail was expunged between the search and the fetch.
    return None


def mark_seen(connection: imaplib.IMAP4, uid: bytes) -> None:
    status, data = connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot mark {uid!r} seen: {data!r}")


def fetch_mailbox(mailbox: Mailbox) -> PollReport:
    """Read the unseen mails of one mailbox and act on each. A mail that fails is logged and left unseen
    for the next poll; a broken connection stops the poll and is raised, for the caller to retry."""
    report = PollReport(mailbox.pk)
    connection = connect(mailbox)
    try:
        uids = _unseen_uids(connection)[:BATCH]
        report.seen = len(uids)
        for uid in uids:
            raw = _fetch(connection, uid)
            if raw is None:
                continue
            try:
                record = process_message(mailbox, raw)
            except CONNECTION_ERRORS:
                raise
            except Exception:
                report.failed += 1
                logger.exception("mailbox %s: mail uid %s could not be processed", mailbox.pk, uid.decode())
                continue
            report.processed += 1
            # A mail an earlier poll acted on (killed before flagging it) did nothing this time: say so.
            outcome = DUPLICATE if record.already_processed else record.outcome
            report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
            if not record.already_processed:
                report.files_held += record.held_files.count()
            mark_seen(connection, uid)
    finally:
        _close(connection)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    return report


def poll_all_mailboxes() -> list[PollReport]:
    """Poll every active mailbox. A mailbox that cannot be reached does not stop the others; it is reported
    at the end by MailboxUnreachable, so that a job runner retries."""
    reports, unreachable = [], []
    for mailbox in Mailbox.objects.filter(is_active=True).select_related("desk", "default_category"):
        try:
            reports.append(fetch_mailbox(mailbox))
        except (*CONNECTION_ERRORS, imaplib.IMAP4.error) as error:
            logger.warning("mailbox %s (%s) could not be read: %s", mailbox.pk, mailbox.url, error)
            unreachable.append(f"{mailbox.pk} ({mailbox.url}): {error}")
            stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
            Mailbox.objects.filter(pk=mailbox.pk).update(last_error=f"{stamp} {error}"[:2000])
    if unreachable:
        raise MailboxUnreachable("; ".join(unreachable))
    return reports
