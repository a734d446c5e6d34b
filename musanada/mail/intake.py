"""What Musanada does with one mail read from a desk's mailbox: file a ticket, add a reply, or refuse.

Like every other channel, the intake only translates: it parses the mail, asks the ticket services to act as
the sender (so the same policy and workflow decide), and records the outcome against the Message-ID, in one
transaction, so that a mail read twice is acted on once. Robots are never answered; people who are refused
get an answer saying why and what to do instead.
"""

import email.utils
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musanada.core import files as file_store
from musanada.core.errors import DomainError, ErrorCode, Forbidden, IllegalTransition, InvalidInput, NotFound
from musanada.core.text import isolated
from musanada.jobs.runner import enqueue
from musanada.mail import parsing
from musanada.mail.models import HeldFile, InboundMessage, Mailbox, OutboundMessage, Outcome
from musanada.mail.outbound import mail_domain, remember_sent, reply_address, root_message_id
from musanada.org.models import localized_name
from musanada.tickets import actions, policy, routing, services
from musanada.tickets.attachments import check_file, too_many_files
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Action, Channel

logger = logging.getLogger(__name__)

ANSWER_JOB = "mail.send_answer"

# At most this many automatic answers to one address in a day: even a robot that hides what it is (no
# Auto-Submitted, no Precedence) cannot keep a conversation with the intake going.
# An acknowledgement of a filing has its own, higher, cap: a school head may file many requests in a day.
ANSWERS_PER_DAY = {"unknown": 1, "known": 10, "filed": 50}
SUBJECT_WORDS = 8
# Refusals that are about who may use the channel, not about the mail itself.
_NOT_ALLOWED_CODES = {ErrorCode.NOT_UNDER_DESK, ErrorCode.NOT_A_MEMBER, ErrorCode.INACTIVE_USER}


@dataclass
class _Decision:
    outcome: str
    reason: str = ""
    ticket: Ticket | None = None
    # (language or None for the bilingual answer, paragraphs as a function to call in that language)
    answer: object = None
    # The attachments refused, each with its refusal (InvalidInput): the rest of the mail was acted on.
    left_out: list = field(default_factory=list)


def process_message(mailbox: Mailbox, raw: bytes) -> InboundMessage:
    """Act on one raw mail read from `mailbox`, once: a Message-ID already processed changes nothing.

    Returns the record of what was done, with `already_processed` telling whether an earlier read had done
    it. Raises only on unexpected failures (the database, a bug), after rolling everything back, so that the
    mail stays unread on the server and is tried again.
    """
    mail = parsing.parse(raw)
    # Files written here (the mail as it arrived, the ticket's attachments, held files) go with the
    # transaction: removed if it fails, found by `files.remove_abandoned` if the process is killed.
    with file_store.kept_if_committed(), transaction.atomic():
        record, created = _claim(mailbox, mail)
        record.already_processed = not created
        if not created:
            return record
        file_store.save(record.raw, f"{record.pk}.eml", ContentFile(raw))
        _record(record, mail, _decide(mailbox, mail))
    log = logger.info if record.outcome in (Outcome.TICKET_FILED, Outcome.REPLY_ADDED) else logger.warning
    log("mail %s from %s: %s %s", record.message_id, mail.sender, record.outcome, record.reason)
    return record


def _record(record: InboundMessage, mail: parsing.ParsedMail, decision: "_Decision") -> None:
    record.outcome, record.reason, record.ticket = decision.outcome, decision.reason, decision.ticket
    for attachment, error in decision.left_out:
        held = HeldFile(message=record, name=attachment.name, reason=error.code, size=len(attachment.content))
        file_store.save(held.file, f"{record.pk}-{len(attachment.content)}", ContentFile(attachment.content))
        held.save()
    if decision.answer is not None and _may_answer(mail.sender, decision.outcome):
        record.answered = True
        # Queued in this transaction, sent by a job after the commit (retried if SMTP is down).
        enqueue(ANSWER_JOB, _answer_payload(mail, decision), key=f"{ANSWER_JOB}:{record.pk}")
    record.save()


# Quarantine --------------------------------------------------------------------------------------------


def quarantined_for(user):
    """The quarantined mails the user reviews (policy.reviews_mail), newest first."""
    records = InboundMessage.objects.filter(outcome=Outcome.QUARANTINED).select_related("mailbox__desk")
    return records.filter(policy.mail_review_scope(user)).order_by("-received_at", "-id")


def _reviewed(user, record: InboundMessage) -> InboundMessage:
    desk = record.mailbox.desk if record.mailbox is not None else None
    if record.outcome != Outcome.QUARANTINED or not policy.reviews_mail(user, desk):
        raise NotFound(gettext_lazy("No such quarantined mail."))
    return record


def quarantine_release(user, record: InboundMessage) -> InboundMessage:
    """Act on a quarantined mail as if its sender had authenticated: a reviewer vouches for it. The mail
    then does what it would have done (a ticket, a reply, a refusal answered), and the record says who
    released it and when."""
    with file_store.kept_if_committed(), transaction.atomic():
        record = _reviewed(user, InboundMessage.objects.select_for_update().get(pk=record.pk))
        if record.mailbox is None or not record.raw:
            raise InvalidInput(
                gettext_lazy("The mailbox this mail came from was removed: it can only be discarded."),
                code=ErrorCode.MAILBOX_REMOVED,
            )
        with record.raw.open("rb") as stored:
            mail = parsing.parse(stored.read())
        decision = _decide(record.mailbox, mail, vouched=True)
        record.reviewed_by, record.reviewed_at = user, timezone.now()
        _record(record, mail, decision)
    logger.warning("mail %s released by %s: %s", record.message_id, user.username, record.outcome)
    return record


def quarantine_discard(user, record: InboundMessage) -> InboundMessage:
    """Throw a quarantined mail away: nothing is done with it, its stored copy is deleted, and the record
    says who discarded it and when."""
    with transaction.atomic():
        record = _reviewed(user, InboundMessage.objects.select_for_update().get(pk=record.pk))
        name = record.raw.name
        record.outcome, record.raw = Outcome.DISCARDED, ""
        record.reviewed_by, record.reviewed_at = user, timezone.now()
        record.save()
        if name:
            storage = InboundMessage._meta.get_field("raw").storage
            transaction.on_commit(lambda: storage.delete(name))
    logger.warning("mail %s discarded by %s", record.message_id, user.username)
    return record


def forget_kept(now=None) -> int:
    """Delete the kept copies of mails (and the attachments they had refused) received more than
    MUSANADA_MAIL_KEEP_DAYS ago; a quarantined mail keeps its copy until it is reviewed. The records stay:
    what was done with each mail is history. Returns how many files were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.MUSANADA_MAIL_KEEP_DAYS)
    old = InboundMessage.objects.filter(received_at__lt=cutoff)
    storage = InboundMessage._meta.get_field("raw").storage
    deleted = 0
    for held in HeldFile.objects.filter(message__in=old).exclude(file="").iterator():
        storage.delete(held.file.name)
        HeldFile.objects.filter(pk=held.pk).update(file="")
        deleted += 1
    kept = old.exclude(raw="").exclude(outcome=Outcome.QUARANTINED)
    for pk, name in kept.values_list("pk", "raw").iterator():
        storage.delete(name)
        InboundMessage.objects.filter(pk=pk).update(raw="")
        deleted += 1
    return deleted


def _claim(mailbox: Mailbox, mail: parsing.ParsedMail) -> tuple[InboundMessage, bool]:
    existing = InboundMessage.objects.filter(message_id=mail.message_id).first()
    if existing is not None:
        return existing, False
    try:
        # The unique Message-ID is the lock: a second poller reading the same mail at the same moment waits
        # here for the first one's transaction, then finds the mail processed.
        with transaction.atomic():
            record = InboundMessage.objects.create(
                mailbox=mailbox,
                message_id=mail.message_id,
                sender=mail.sender[:255],
                subject=mail.subject[:255],
                outcome=Outcome.REFUSED_INVALID,
                received_at=timezone.now(),
            )
    except IntegrityError:
        return InboundMessage.objects.get(message_id=mail.message_id), False
    return record, True


# Deciding ----------------------------------------------------------------------------------------------


def _own_addresses(mailbox: Mailbox) -> set:
    own = {email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    if "@" in mailbox.username:
        own.add(mailbox.username.lower())
    return own


def _authenticated(mail: parsing.ParsedMail) -> bool:
    results = parsing.authentication(mail.authentication_results, settings.MUSANADA_MAIL_AUTHSERV_ID)
    return results.vouches_for(mail.sender.rpartition("@")[2])


def _must_authenticate(domain: str) -> bool:
    return any(_aligned_or_inside(domain, listed) for listed in settings.MUSANADA_MAIL_AUTHENTICATED_DOMAINS)


def _aligned_or_inside(domain: str, listed: str) -> bool:
    return domain == listed or domain.endswith("." + listed)


def _decide(mailbox: Mailbox, mail: parsing.ParsedMail, *, vouched: bool = False) -> _Decision:
    """What to do with the mail; `vouched`: a reviewer released it from quarantine."""
    if mail.is_robot:
        return _Decision(Outcome.IGNORED_ROBOT, mail.robot)
    if not mail.sender:
        return _Decision(Outcome.REFUSED_INVALID, "no_sender")
    if mail.sender in _own_addresses(mailbox):
        # One of our own mails come back (a forward, a misconfigured alias): answering it would loop.
        return _Decision(Outcome.IGNORED_ROBOT, "own_address")
    authenticated = vouched or _authenticated(mail)
    if not authenticated and _must_authenticate(mail.sender.rpartition("@")[2]):
        # Held before anything else: even "unknown sender" would answer an address someone else owns.
        return _Decision(Outcome.QUARANTINED, "not_authenticated")
    users = list(get_user_model().objects.filter(email__iexact=mail.sender, is_active=True)[:2])
    if len(users) != 1:
        # Two accounts sharing one address cannot be told apart: neither may act by mail.
        reason = "unknown_sender" if not users else "ambiguous_sender"
        return _Decision(Outcome.REFUSED_UNKNOWN_SENDER, reason, answer=(None, _unknown_sender_text(mail)))
    user = users[0]
    if not authenticated and policy.reach(user).desk_ids:
        # A desk agent's mail speaks for a desk to requesters: it must always be the agent's own.
        return _Decision(Outcome.QUARANTINED, "agent_not_authenticated")
    ticket = answered_ticket(user, mail)
    if ticket is not None:
        return _add_to_ticket(user, ticket, mail)
    return _file_ticket(mailbox, user, mail)


def answered_ticket(user, mail: parsing.ParsedMail) -> Ticket | None:
    """The ticket the mail answers, or None when it is a new request.

    A mail answers a ticket when it cites one of the Message-IDs Musanada sent about it (In-Reply-To,
    References: `OutboundMessage`) or names its reference in its subject, and its sender is one of the
    ticket's own people (policy.follows_by_mail). Anything else, a forward from someone else included, is
    a new request."""
    cited = mail.thread_ids
    sent = dict(OutboundMessage.objects.filter(message_id__in=cited).values_list("message_id", "ticket_id"))
    ticket_ids = list(dict.fromkeys(sent[message_id] for message_id in cited if message_id in sent))
    candidates = {t.pk: t for t in Ticket.objects.filter(pk__in=ticket_ids).select_related("origin_unit")}
    ordered = [candidates[pk] for pk in ticket_ids if pk in candidates]
    reference = parsing.reference_in_subject(mail.subject)
    if reference:
        ordered += list(Ticket.objects.filter(reference=reference).select_related("origin_unit"))
    return next((ticket for ticket in ordered if policy.follows_by_mail(user, ticket)), None)


def _sorted_files(mail: parsing.ParsedMail) -> tuple[list, list]:
    """The mail's attachments as files to act on, and those left out with why (the same checks as any
    upload: attachments.check_file), so that one bad file does not lose the request."""
    accepted, left_out = [], []
    limit = settings.MUSANADA["ATTACHMENT_MAX_FILES"]
    for attachment in mail.attachments:
        upload = ContentFile(attachment.content, name=attachment.name)
        try:
            check_file(upload)
        except InvalidInput as error:
            left_out.append((attachment, error))
            continue
        if len(accepted) == limit:
            left_out.append((attachment, too_many_files()))
            continue
        accepted.append(upload)
    return accepted, left_out


def _refusal(outcome: str, user, mail, error, advice, left_out=()) -> _Decision:
    reason = getattr(error, "code", "") or "refused"
    return _Decision(
        outcome, reason, answer=(user.language, _refusal_text(user, mail, error, advice, left_out))
    )


def _add_to_ticket(user, ticket: Ticket, mail: parsing.ParsedMail) -> _Decision:
    body = parsing.strip_quoted(mail.text)
    files, left_out = _sorted_files(mail)
    try:
        if not body and not files and left_out:
            raise InvalidInput(
                gettext_lazy("None of the files of your mail could be accepted, and it has no text."),
                code=ErrorCode.EMPTY_BODY,
            )
        if not body and files:
            actions.perform(user, ticket, Action.ATTACH, files=files)
        else:
            # A mail that answers a request for information provides it: the workflow table says when.
            answers = Action.PROVIDE_INFO in policy.available_actions(user, ticket)
            action = Action.PROVIDE_INFO if answers else Action.REPLY
            actions.perform(user, ticket, action, body=body or mail.text, files=files)
    except (NotFound, Forbidden, IllegalTransition) as error:
        return _refusal(Outcome.REFUSED_NOT_ALLOWED, user, mail, error, _advice_follow)
    except InvalidInput as error:
        return _refusal(Outcome.REFUSED_INVALID, user, mail, error, _advice_resend, left_out)
    # Only a reply that lost files is answered: the others are seen on the ticket and in its mails.
    answer = (user.language, _left_out_text(user, ticket, mail, left_out)) if left_out else None
    return _Decision(Outcome.REPLY_ADDED, ticket=ticket, answer=answer, left_out=left_out)


def default_subject(body: str) -> str:
    """A subject for a mail sent without one: the first words of its text."""
    words = body.split()
    subject = " ".join(words[:SUBJECT_WORDS])
    if len(words) > SUBJECT_WORDS:
        subject += " …"
    return subject


def _subject(mail: parsing.ParsedMail) -> str:
    subject = mail.subject.strip() or default_subject(mail.text)
    if len(subject) > services.SUBJECT_MAX:
        subject = subject[: services.SUBJECT_MAX - 2].rstrip() + " …"
    return subject


def _file_ticket(mailbox: Mailbox, user, mail: parsing.ParsedMail) -> _Decision:
    files, left_out = _sorted_files(mail)
    if not mail.text.strip():
        error = InvalidInput(
            gettext_lazy("Your mail has no text: Musanada cannot tell what the problem is."),
            code=ErrorCode.EMPTY_BODY,
        )
        return _refusal(Outcome.REFUSED_INVALID, user, mail, error, _advice_resend, left_out)
    try:
        unit = routing.mailbox_origin(user, mailbox.desk)
        ticket = services.ticket_file(
            user,
            unit=unit,
            category=mailbox.default_category,
            subject=_subject(mail),
            description=mail.text,
            channel=Channel.EMAIL,
            files=files,
            mailbox_desk=mailbox.desk,
        )
    except DomainError as error:
        if error.code in _NOT_ALLOWED_CODES:
            return _refusal(Outcome.REFUSED_NOT_ALLOWED, user, mail, error, _advice_web)
        return _refusal(Outcome.REFUSED_INVALID, user, mail, error, _advice_resend, left_out)
    # The acknowledgement gives the reference, says which files were left out, and opens the thread.
    answer = (user.language, _acknowledgement_text(user, ticket, mail, left_out))
    return _Decision(Outcome.TICKET_FILED, ticket=ticket, answer=answer, left_out=left_out)


# Answers -----------------------------------------------------------------------------------------------


def _public_url() -> str:
    return settings.MUSANADA["PUBLIC_URL"]


def _advice_web():
    return _(
        "File your request at %(url)s: it reaches the right desk for you. Your school head or your "
        "provincial information-system centre can also help you."
    ) % {"url": _public_url()}


def _advice_follow():
    return _("You can follow your requests and act on them at %(url)s.") % {"url": _public_url()}


def _advice_resend():
    return _("Correct your mail and send it again, or file your request at %(url)s.") % {"url": _public_url()}


def _closing() -> str:
    return _("This message was sent automatically by Musanada; there is no need to answer it.")


def _greeting(user) -> str:
    return _("Hello %(name)s,") % {"name": isolated(str(user))}


def _mail_subject(mail) -> str:
    return mail.subject or default_subject(mail.text)


def _left_out_lines(left_out) -> list:
    """Which attachments were left out and why, one paragraph (empty when none were)."""
    if not left_out:
        return []
    lines = [_("These files of your mail were left out:")]
    # Each refusal names its file ("The file “setup.exe” is not of an accepted type …").
    lines += [f"- {error}" for _attachment, error in left_out]
    lines.append(_("Send them again in an accepted form if they are needed."))
    return ["\n".join(lines)]


def _ticket_url(ticket) -> str:
    return _public_url() + reverse("ticket-detail", args=[ticket.reference])


def _refusal_text(user, mail, error, advice, left_out=()):
    def paragraphs():
        return [
            _greeting(user),
            _("Musanada could not act on your mail “%(subject)s”:")
            % {"subject": isolated(_mail_subject(mail))},
            str(error),
            *_left_out_lines(left_out),
            advice(),
            _closing(),
        ]

    return paragraphs


def _acknowledgement_text(user, ticket, mail, left_out):
    def paragraphs():
        return [
            _greeting(user),
            _(
                "Your request “%(subject)s” has been recorded under the reference %(reference)s and sent to "
                "%(desk)s."
            )
            % {
                "subject": isolated(ticket.subject),
                "reference": ticket.reference,
                "desk": isolated(localized_name(ticket.desk)),
            },
            *_left_out_lines(left_out),
            _("Follow it at %(url)s. To add information, answer this mail.") % {"url": _ticket_url(ticket)},
            _("This message was sent automatically by Musanada."),
        ]

    return paragraphs


def _left_out_text(user, ticket, mail, left_out):
    def paragraphs():
        return [
            _greeting(user),
            _("Your mail “%(subject)s” has been added to the request %(reference)s.")
            % {"subject": isolated(_mail_subject(mail)), "reference": ticket.reference},
            *_left_out_lines(left_out),
            _("Follow it at %(url)s.") % {"url": _ticket_url(ticket)},
            _closing(),
        ]

    return paragraphs


def _unknown_sender_text(mail):
    def paragraphs():
        return [
            _("Hello,"),
            _(
                "This address receives requests for help and technical support from the ministry's "
                "staff registered in Musanada. The address %(address)s is not the address of one active "
                "account there, so your mail has not been recorded as a request."
            )
            % {"address": mail.sender},
            _(
                "To file a request, sign in to Musanada at %(url)s. If you have no account, or if it has "
                "another e-mail address, ask your school head or your provincial information-system centre: "
                "they can file the request for you or have your account corrected."
            )
            % {"url": _public_url()},
            _closing(),
        ]

    return paragraphs


# The two languages of the ministry's correspondence, for people whose language Musanada cannot know.
BILINGUAL = ("ar", "fr")


def _render(language, paragraphs) -> tuple[str, str]:
    if language is None:
        sections = []
        for code in BILINGUAL:
            with translation.override(code):
                sections.append("\n\n".join(paragraphs()))
        return "\n\n" + ("\n\n" + "—" * 20 + "\n\n").join(sections), ", ".join(BILINGUAL)
    with translation.override(language or settings.LANGUAGE_CODE):
        return "\n\n".join(paragraphs()), translation.get_language()


def _answer_payload(mail: parsing.ParsedMail, decision: _Decision) -> dict:
    language, paragraphs = decision.answer
    body, content_language = _render(language, paragraphs)
    subject = mail.subject or default_subject(mail.text) or "Musanada"
    ticket = decision.ticket
    if decision.outcome == Outcome.TICKET_FILED:
        # The acknowledgement is the ticket's first mail: the notifications that follow point at it.
        subject = f"[{ticket.reference}] {ticket.subject}"
        message_id = root_message_id(ticket)
    else:
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        message_id = email.utils.make_msgid(domain=mail_domain())
    return {
        "to": mail.sender,
        "subject": subject[:250],
        "body": body.strip() + "\n",
        "language": content_language,
        "message_id": message_id,
        "ticket": ticket.pk if ticket is not None else None,
        "reply_to": reply_address(ticket) if ticket is not None else None,
        "in_reply_to": mail.message_id,
        "references": [*mail.references[-10:], mail.message_id],
    }


def _may_answer(sender: str, outcome: str) -> bool:
    kind = {Outcome.REFUSED_UNKNOWN_SENDER: "unknown", Outcome.TICKET_FILED: "filed"}.get(outcome, "known")
    since = timezone.now() - timedelta(days=1)
    sent = InboundMessage.objects.filter(sender=sender, answered=True, received_at__gte=since).count()
    return sent < ANSWERS_PER_DAY[kind]


def answer_message(payload: dict) -> EmailMessage:
    """The automatic answer described by `payload`, marked so that other robots do not answer it."""
    return EmailMessage(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[payload["to"]],
        reply_to=[payload["reply_to"]] if payload.get("reply_to") else None,
        headers={
            # Payloads queued before the Message-ID was chosen at queueing get one now.
            "Message-ID": payload.get("message_id") or email.utils.make_msgid(domain=mail_domain()),
            "Auto-Submitted": "auto-replied",
            # Exchange and Outlook: no out-of-office or read receipt back to an automatic answer.
            "X-Auto-Response-Suppress": "All",
            "In-Reply-To": payload["in_reply_to"],
            "References": " ".join(payload["references"]),
            "Content-Language": payload["language"],
        },
    )


def send_answer(payload: dict) -> None:
    """Send one automatic answer (the job ANSWER_JOB; an SMTP failure raises, and the job is retried)."""
    message = answer_message(payload)
    if payload.get("ticket"):
        remember_sent(message, payload["ticket"])
    message.send()
