"""Keyword search over tickets: the words each ticket keeps, and how a typed query matches and ranks them.

The services keep three columns of words on the ticket row, each a `core.text.word_document` (folded, the
punctuation and the Arabic article taken off, a space at each end):
- `subject_text`: the subject (a word found there ranks the ticket higher);
- `search_text`: the subject, the description and every public message of the conversation: what the
  requester reads;
- `note_text`: the internal notes and the other desk-only texts (the note of a referral).
A requalified subject adds its words; words are never taken away, as the history they come from is never
changed.

A query matches a ticket when every word it looks for (`core.text.search_words`) starts a word of the
ticket ("eleve" finds "élèves", never "relevé"), in its public words or, for a reader of all its notes
(`policy.reads_every_note`), in its notes; the reference typed whole is an exact match. On PostgreSQL a
word's start is `LIKE '% word%'`, which the trigram indexes `ticket_search_access` and `ticket_note_words`
serve; on SQLite, an FTS5 prefix query on the same words (docs/architecture.md, "Lists, filters and keyword
search").
"""

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, TextField, Value, When
from django.db.models.expressions import Combinable, RawSQL
from django.db.models.functions import Concat, Length
from django.db.models.lookups import LessThanOrEqual

from musanada.core.text import more_words, normalize, search_words, word_document, word_start
from musanada.tickets.workflow import EventKind

# A ticket's searched words stop there: a conversation longer than a few pages adds no more (the history
# itself keeps everything).
WORDS_MAX = 20_000

# The relevance of the ticket whose reference was typed: above any count of words in a subject.
REFERENCE_MATCH = 100


def ticket_words(subject: str, description: str) -> dict:
    """The word columns of a newly filed ticket."""
    return {
        "subject_text": more_words("", subject, limit=WORDS_MAX),
        "search_text": more_words("", subject, description, limit=WORDS_MAX),
        "note_text": "",
    }


def words_after(search_text: str, note_text: str, events, *, subject: str | None = None) -> dict:
    """The word columns that change when `events` join a ticket whose words are `search_text` and
    `note_text` (and its subject becomes `subject`): the new subject and the public bodies join
    `search_text`, desk-only ones `note_text`."""
    public = [event.body for event in events if event.body and event.public]
    desk_only = [event.body for event in events if event.body and not event.public]
    changed: dict = {}
    if subject is not None:
        changed["subject_text"] = more_words("", subject, limit=WORDS_MAX)
        public.insert(0, subject)
    if public:
        changed["search_text"] = more_words(search_text, *public, limit=WORDS_MAX)
    if desk_only:
        changed["note_text"] = more_words(note_text, *desk_only, limit=WORDS_MAX)
    return changed


def public_words_added(text: str) -> Combinable:
    """The new `search_text` of tickets that all receive the same public message `text`, as one SQL update
    of the rows as they are (an incident's update to each request that follows it): no row read first, so
    no action in between is overwritten. A ticket whose words would pass WORDS_MAX keeps them as they are."""
    added = word_document(text)
    if not added:
        return F("search_text")
    return Case(
        When(
            LessThanOrEqual(Length("search_text"), WORDS_MAX - len(added)),
            then=Concat(F("search_text"), Value(added), output_field=TextField()),
        ),
        default=F("search_text"),
        output_field=TextField(),
    )


def history_words(subject: str, description: str, events) -> dict:
    """The word columns of a ticket replayed from its history (`events` in order, with `kind`, `public`,
    `body` and `data`), as the services kept them action by action: the subject it was filed with (`subject`
    when the filing does not say), the description, then each event's body and each requalified subject
    when it came. For tickets written before the columns were."""
    filed = next((event for event in events if event.kind == EventKind.FILED), None)
    words = ticket_words(filed.data.get("subject", subject) if filed else subject, description)
    for event in events:
        if event.kind == EventKind.FILED:
            continue  # its body is the description, already there
        renamed = (
            event.data.get("changes", {}).get("subject") if event.kind == EventKind.REQUALIFIED else None
        )
        words.update(
            words_after(
                words["search_text"], words["note_text"], [event], subject=renamed[1] if renamed else None
            )
        )
    return words


# What a history replay reads: the events with a text, the filing and the requalifications (subjects).
_WORDED = ~Q(body="") | Q(kind__in=[EventKind.FILED, EventKind.REQUALIFIED])


def rewrite_words(ticket_model, event_model, *, batch: int = 2000) -> int:
    """Write every ticket's word columns again from its history (`history_words`), `batch` tickets per
    transaction, in id order; takes the model classes, so that a migration passes its own. Returns how many
    tickets were written."""
    written, last = 0, 0
    while True:
        with transaction.atomic():
            tickets = list(
                ticket_model.objects.filter(pk__gt=last).only("subject", "description").order_by("pk")[:batch]
            )
            if not tickets:
                return written
            bodies: dict[int, list] = {ticket.pk: [] for ticket in tickets}
            events = (
                event_model.objects.filter(_WORDED, ticket_id__in=bodies)
                .only("ticket_id", "kind", "public", "body", "data")
                .order_by("ticket_id", "created_at", "id")
            )
            for event in events:
                bodies[event.ticket_id].append(event)
            for ticket in tickets:
                words = history_words(ticket.subject, ticket.description, bodies[ticket.pk])
                for column, value in words.items():
                    setattr(ticket, column, value)
            ticket_model.objects.bulk_update(tickets, ["subject_text", "search_text", "note_text"])
        written += len(tickets)
        last = tickets[-1].pk


def searched(query: str) -> bool:
    """Whether a query holds words to look for."""
    return bool(search_words(query))


# SQLite: the word columns in an FTS5 index of their own (external content: the words stay in the ticket
# row), kept by triggers on the tickets table. Its tokenizer cuts the word documents into the same words, and
# leaves them as `core.text` folded them.
SQLITE_INDEX = "ticket_words"
_SQLITE_TRIGGERS = {
    f"{SQLITE_INDEX}_insert": f"""
        CREATE TRIGGER {SQLITE_INDEX}_insert AFTER INSERT ON tickets_ticket BEGIN
            INSERT INTO {SQLITE_INDEX}(rowid, search_text, note_text)
            VALUES (new.id, new.search_text, new.note_text);
        END""",
    f"{SQLITE_INDEX}_delete": f"""
        CREATE TRIGGER {SQLITE_INDEX}_delete AFTER DELETE ON tickets_ticket BEGIN
            INSERT INTO {SQLITE_INDEX}({SQLITE_INDEX}, rowid, search_text, note_text)
            VALUES ('delete', old.id, old.search_text, old.note_text);
        END""",
    f"{SQLITE_INDEX}_update": f"""
        CREATE TRIGGER {SQLITE_INDEX}_update AFTER UPDATE OF search_text, note_text ON tickets_ticket BEGIN
            INSERT INTO {SQLITE_INDEX}({SQLITE_INDEX}, rowid, search_text, note_text)
            VALUES ('delete', old.id, old.search_text, old.note_text);
            INSERT INTO {SQLITE_INDEX}(rowid, search_text, note_text)
            VALUES (new.id, new.search_text, new.note_text);
        END""",
}


def ensure_sqlite_index(connection) -> bool:
    """On SQLite, make sure the FTS5 index of the word columns and its triggers exist, and build it from the
    tickets when they did not: after every `migrate` (a migration that rebuilds the tickets table on SQLite
    drops its triggers). Returns whether it was (re)built; nothing to do on other databases."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        if "tickets_ticket" not in present:
            return False
        if SQLITE_INDEX in present and present >= set(_SQLITE_TRIGGERS):
            return False
        for trigger in _SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute(f"DROP TABLE IF EXISTS {SQLITE_INDEX}")
        cursor.execute(
            f"CREATE VIRTUAL TABLE {SQLITE_INDEX} USING fts5(search_text, note_text, "
            "content='tickets_ticket', content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        for statement in _SQLITE_TRIGGERS.values():
            cursor.execute(statement)
        cursor.execute(f"INSERT INTO {SQLITE_INDEX}({SQLITE_INDEX}) VALUES ('rebuild')")
    return True


def _word_start_in(column: str, term: str) -> Q:
    """The tickets with a word of `column` that starts with `term`."""
    if connection.vendor == "sqlite":
        phrase = term.replace('"', '""')
        found = RawSQL(
            f"SELECT rowid FROM {SQLITE_INDEX} WHERE {SQLITE_INDEX} MATCH %s", [f'{column} : "{phrase}"*']
        )
        return Q(pk__in=found)
    return Q(**{f"{column}__contains": word_start(term)})


def search_filter(query: str, notes: Q | None = None) -> Q | None:
    """The tickets a typed query finds: the exact reference, or every word it looks for at the start of a
    word of the ticket's public words or, where `notes` holds (`policy.reads_every_note`), of its notes.
    None when nothing was typed; a query with no letter or digit finds nothing."""
    if not (query or "").strip():
        return None
    terms = search_words(query)
    if not terms:
        # Typed, but nothing to look for ("%", "*", a lone tatweel or diacritic): an empty search finds
        # nothing, rather than listing everything as if no search had been typed.
        return Q(pk__in=[])
    words = Q()
    for term in terms:
        found = _word_start_in("search_text", term)
        if notes is not None:
            found |= _word_start_in("note_text", term) & notes
        words &= found
    return Q(reference=normalize(query).upper()) | words


def relevance(query: str) -> Combinable:
    """How well a found ticket matches, for ordering: the typed reference above all, then how many of the
    words it looks for are in the subject."""
    score: Combinable = Case(
        When(reference=normalize(query).upper(), then=Value(REFERENCE_MATCH)),
        default=Value(0),
        output_field=IntegerField(),
    )
    for term in search_words(query):
        score = score + Case(
            When(subject_text__contains=word_start(term), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return score
