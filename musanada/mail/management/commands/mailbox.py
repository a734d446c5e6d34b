from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from musanada.core.errors import DomainError
from musanada.mail.models import Mailbox
from musanada.mail.services import mailbox_add, mailbox_remove


class Command(BaseCommand):
    help = "Register, list or remove the mailboxes whose mails become tickets on a desk."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="read a desk's mailbox (new mails become tickets on that desk)")
        add.add_argument("desk", metavar="DESK_CODE")
        add.add_argument("url", metavar="URL", help="imaps://USER@HOST:PORT/FOLDER (imap:// without TLS)")
        add.add_argument("--password-file", required=True, type=Path, help="a file holding only the password")
        add.add_argument("--category", help="category of the new tickets (default: other)")
        actions.add_parser("list", help="the registered mailboxes")
        remove = actions.add_parser("remove", help="stop reading a mailbox")
        remove.add_argument("id", type=int, metavar="ID")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as error:
            raise CommandError(str(error)) from None

    def _add(self, *, desk, url, password_file, category, **_options):
        try:
            password = password_file.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot read {password_file}: {error.strerror}") from None
        mailbox = mailbox_add(desk_code=desk, url=url, password=password, category_code=category)
        self.stdout.write(f"mailbox {mailbox.pk} added: {mailbox}")

    def _list(self, **_options):
        mailboxes = Mailbox.objects.select_related("desk", "default_category")
        for mailbox in mailboxes:
            polled = (
                mailbox.last_polled_at.isoformat(timespec="seconds") if mailbox.last_polled_at else "never"
            )
            state = "active" if mailbox.is_active else "inactive"
            error = f"\terror: {mailbox.last_error}" if mailbox.last_error else ""
            self.stdout.write(
                f"{mailbox.pk}\t{mailbox.desk.code}\t{mailbox.url}\t{mailbox.default_category.code}\t"
                f"{state}\tpolled: {polled}{error}"
            )
        if not mailboxes:
            self.stdout.write("no mailbox")

    def _remove(self, *, id, **_options):
        mailbox = mailbox_remove(id)
        self.stdout.write(f"mailbox {id} removed: {mailbox}")
