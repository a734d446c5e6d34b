import imaplib

from django.core.management.base import BaseCommand, CommandError

from musanada.mail.imap import CONNECTION_ERRORS, MailboxUnreachable, fetch_mailbox, poll_all_mailboxes
from musanada.mail.models import Mailbox


class Command(BaseCommand):
    help = "Read the unseen mails of the desks' mailboxes now (the scheduler does it regularly)."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", type=int, metavar="ID", help="only this mailbox")

    def handle(self, *args, mailbox=None, **options):
        if mailbox is None:
            try:
                reports = poll_all_mailboxes()
            except MailboxUnreachable as error:
                raise CommandError(f"unreachable: {error}") from None
        else:
            box = Mailbox.objects.select_related("desk", "default_category").filter(pk=mailbox).first()
            if box is None:
                raise CommandError(f"no mailbox has the number {mailbox}")
            try:
                reports = [fetch_mailbox(box)]
            except (*CONNECTION_ERRORS, imaplib.IMAP4.error) as error:
                raise CommandError(f"mailbox {mailbox} ({box.url}) could not be read: {error}") from None
        for report in reports:
            outcomes = ", ".join(f"{name}: {count}" for name, count in sorted(report.outcomes.items()))
            held = f", {report.files_held} attachments left out" if report.files_held else ""
            self.stdout.write(
                f"mailbox {report.mailbox_id}: {report.processed} processed, {report.failed} failed"
                + (f" ({outcomes})" if outcomes else "")
                + held
            )
