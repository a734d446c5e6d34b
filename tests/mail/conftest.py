"""A real Dovecot IMAP server for the mail tests, started once per test session in a temporary folder.

Dovecot comes from Debian's dovecot-imapd (.ci/run installs it). Without it the IMAP tests are skipped with
the reason shown, except in CI (CI=true), where they fail.
"""

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from musanada.mail.models import Mailbox, Scheme
from tests.mail.mails import AUTHSERV_ID, DESK_ADDRESS

IMAP_USER = DESK_ADDRESS
IMAP_PASSWORD = "imap-test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _identity():
    """Who the server and the mail files run as. Dovecot refuses to give mail access to root, so as root
    the mail belongs to `nobody`; otherwise everything runs as the current user."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, None
    me = pwd.getpwuid(os.getuid())
    return me.pw_uid, me.pw_gid, me.pw_name


def _config(root: Path, port: int, unprivileged_user: str | None) -> str:
    lines = [
        "protocols = imap",
        "listen = 127.0.0.1",
        f"base_dir = {root}/run",
        f"state_dir = {root}/state",
        f"log_path = {root}/dovecot.log",
        f"info_log_path = {root}/dovecot.log",
        "ssl = no",
        "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        f"mail_location = maildir:{root}/mail/%u",
        "first_valid_uid = 1",
        "passdb {",
        "  driver = passwd-file",
        f"  args = scheme=PLAIN username_format=%u {root}/passwd",
        "}",
        "userdb {",
        "  driver = passwd-file",
        f"  args = username_format=%u {root}/passwd",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        "    address = 127.0.0.1",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
    ]
    if unprivileged_user:
        # Without root Dovecot cannot chroot nor switch users: every process runs as the current user.
        lines += ["  chroot =", "}", "service anvil {", "  chroot ="]
        group = grp.getgrgid(os.getgid()).gr_name
        lines = [
            f"default_internal_user = {unprivileged_user}",
            f"default_internal_group = {group}",
            f"default_login_user = {unprivileged_user}",
            *lines,
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    detail = log.read_text(errors="replace") if log.exists() else ""
    raise RuntimeError(f"Dovecot did not start on port {port}:\n{detail}")


@pytest.fixture(scope="session")
def dovecot():
    """(host, port) of a running Dovecot with one mailbox user, IMAP_USER."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        reason = "Dovecot is not installed (apt-get install dovecot-imapd); the IMAP tests need a real server"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    uid, gid, unprivileged_user = _identity()
    # Not under pytest's own temporary folder: that one is private to the user, and the mail processes run
    # as `nobody` when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="musanada-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text(
        f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{root}/mail/{IMAP_USER}::\n"
    )
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port, unprivileged_user))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port, process, root / "dovecot.log")
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


class ImapClient:
    """The other side of the mailbox, as a mail server's user sees it: deliver mails, look at flags."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    def _session(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.login(IMAP_USER, IMAP_PASSWORD)
        connection.select("INBOX")
        return connection

    def deliver(self, raw: bytes) -> None:
        connection = self._session()
        try:
            status, data = connection.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            connection.logout()

    def _search(self, criterion: str) -> int:
        connection = self._session()
        try:
            status, data = connection.uid("SEARCH", None, criterion)
            assert status == "OK", data
            return len(data[0].split())
        finally:
            connection.logout()

    def unseen(self) -> int:
        return self._search("UNSEEN")

    def total(self) -> int:
        return self._search("ALL")

    def empty(self) -> None:
        connection = self._session()
        try:
            connection.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            connection.expunge()
        finally:
            connection.logout()


@pytest.fixture
def inbox(dovecot):
    """The desk's mailbox on the server, emptied: deliver mails into it and look at their flags."""
    client = ImapClient(*dovecot)
    client.empty()
    return client


@pytest.fixture
def desk_mailbox(db, units, categories):
    """The regional IS centre's official address (academy MA-01), not connected to any server."""
    return Mailbox.objects.create(
        desk=units["MA-01"],
        scheme=Scheme.IMAPS,
        host="imap.men.gov.ma.invalid",
        port=993,
        username=IMAP_USER,
        password=IMAP_PASSWORD,
        folder="INBOX",
        default_category=categories["other"],
    )


@pytest.fixture
def mailbox(desk_mailbox, dovecot):
    """The same mailbox, read over plain IMAP from the test Dovecot."""
    desk_mailbox.scheme = Scheme.IMAP
    desk_mailbox.host, desk_mailbox.port = dovecot
    desk_mailbox.save()
    return desk_mailbox


@pytest.fixture
def answers(mailoutbox):
    """The intake's automatic answers among the mails sent, not the notification mails of the same actions."""

    def answers():
        return [mail for mail in mailoutbox if mail.extra_headers.get("Auto-Submitted") == "auto-replied"]

    return answers


@pytest.fixture(autouse=True)
def _trusted_mail_server(settings):
    """The ministry's receiving server, whose Authentication-Results the intake reads, and its domains."""
    settings.MUSANADA_MAIL_AUTHSERV_ID = AUTHSERV_ID
    settings.MUSANADA_MAIL_AUTHENTICATED_DOMAINS = ["men.gov.ma", "demo.musanada.ma"]
