"""The e-mail channel's background jobs (registered at start-up by the jobs app)."""

import contextlib
from datetime import timedelta

from musanada.jobs.registry import job
from musanada.mail import imap, intake, outbound

KEEP_EVERY = timedelta(days=1)

# How often the desks' mailboxes are read; `musanada fetch-mail` reads them at once.
POLL_EVERY = timedelta(minutes=2)


@job("mail.poll_mailboxes", every=POLL_EVERY)
def poll_mailboxes(payload: dict) -> None:
    # An unreachable mailbox is not a failed job: its error is kept on the mailbox (admin, `mailbox list`)
    # and the next slot tries again. Retrying the whole poll instead would re-read every healthy mailbox
    # once per retry, for every slot, for as long as one server is down.
    with contextlib.suppress(imap.MailboxUnreachable):
        imap.poll_all_mailboxes()


@job(intake.ANSWER_JOB)
def send_answer(payload: dict) -> None:
    intake.send_answer(payload)


@job(outbound.NOTIFICATION_JOB)
def send_notification(payload: dict) -> None:
    outbound.send_notification(payload)


@job("mail.forget_kept", every=KEEP_EVERY)
def forget_kept(payload: dict) -> None:
    intake.forget_kept()
