"""Keyword search over tickets: whole words after folding, over the conversation each reader may read, best
match first, the reference as an exact match; the same on the web inbox and the API."""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from musanada.tickets import incidents, search, selectors, services
from musanada.tickets.models import Ticket
from musanada.tickets.selectors import Sort, Tab
from tests.helpers import file_request


def found(user, query: str, **criteria) -> list[str]:
    """The references a keyword search lists for `user` over everything they may see, in its order."""
    page = selectors.TicketQuery(tab=Tab.ALL, query=query, **criteria).page(user, limit=200)
    return [ticket.reference for ticket in page.items]


# Whole words after folding --------------------------------------------------------------------------------


@pytest.fixture
def pair(people):
    french = file_request(
        people["teacher"],
        subject="Relevé de notes des élèves bloqué",
        description="Le relevé du premier semestre reste en attente de validation.",
    )
    arabic = file_request(
        people["teacher"],
        subject="تعذر الولوج إلى منظومة مسار بالقن السري",
        description="يظهر خطأ عند إدخال النقط.",
    )
    return {"fr": french.reference, "ar": arabic.reference}


@pytest.mark.parametrize(
    "query, wanted",
    [
        ("eleve", {"fr"}),  # "élèves", typed without accents, from the word's start
        ("ÉLÈVES", {"fr"}),
        ("releve", {"fr"}),
        ("leve", set()),  # inside "relevé", "élèves": not the start of a word
        ("note", {"fr"}),
        ("otes", set()),
        ("semestre validation", {"fr"}),  # every word, subject and description alike
        ("semestre مسار", set()),
        ("de des le", {"fr"}),  # nothing but common words: they are looked for
        ("مسار", {"ar"}),
        ("المسار", {"ar"}),  # the article taken off the typed word
        ("السري", {"ar"}),
        ("سري", {"ar"}),
        ("ري", set()),  # inside "السري"
        ("لوج", set()),  # inside "الولوج"
        ("ولوج", {"ar"}),
        ("منظومه", {"ar"}),  # ta marbuta typed as ha
        ("منظومات", set()),
        ("إدخال النقط", {"ar"}),
        ("ادخال النقط", {"ar"}),
        ("الن\u200fقط", {"ar"}),  # a right-to-left mark typed inside the word
        ("la note de l'élève", {"fr"}),  # "la", "de", "l" tell nothing: "note" and "eleve" are looked for
        ("notes bloque", {"fr"}),
    ],
)
def test_words_match_from_their_start_after_folding(people, pair, query, wanted):
    assert set(found(people["teacher"], query)) == {pair[language] for language in wanted}


def test_a_query_with_no_word_finds_nothing_and_none_lists_everything(people, pair):
    assert found(people["teacher"], "% * ـ") == []
    assert len(found(people["teacher"], "")) == 2


# The conversation each reader may read -------------------------------------------------------------------


@pytest.fixture
def talked(people):
    """A request answered at the school (a public reply, an internal note), then referred to the province,
    which writes a note of its own."""
    ticket = file_request(people["teacher"], subject="Emploi du temps", description="La classe manque.")
    services.ticket_take(people["head"], ticket)
    services.ticket_reply(people["head"], ticket, body="Vérifiez la structure pédagogique.")
    services.ticket_note(people["head"], ticket, body="Doublon probable avec une autre requête.")
    services.ticket_escalate(people["head"], ticket, note="Structure correcte, anomalie côté serveur.")
    services.ticket_note(people["province"], ticket, body="Cas signalé à l'académie par téléphone.")
    return ticket.reference


def test_the_requester_finds_the_public_conversation_and_never_a_note(people, talked):
    teacher = people["teacher"]
    assert found(teacher, "structure pedagogique") == [talked]
    for note_word in ("doublon", "anomalie", "telephone"):
        assert found(teacher, note_word) == []


def test_a_reader_of_every_note_finds_them_and_a_desk_that_let_the_ticket_go_does_not(people, talked):
    # The province holds it, the observer reads what originates in the province: every note.
    for reader in ("province", "observer"):
        for word in ("structure", "doublon", "anomalie", "telephone"):
            assert found(people[reader], word) == [talked], (reader, word)
    # The school referred it: it finds it by its public words, never by a note (not even its own, as the
    # notes after it left are not its to read).
    assert found(people["head"], "structure pedagogique") == [talked]
    assert found(people["head"], "telephone") == found(people["head"], "doublon") == []
    assert found(people["outsider"], "structure") == found(people["outsider"], "telephone") == []


def test_an_incident_update_is_part_of_the_conversation(people, units, categories):
    incident = incidents.incident_declare(
        people["region"],
        desk=units["MA-01"],
        category=categories["massar"],
        scope=units["MA-01"],
        title="Massar indisponible",
        description="Maintenance du serveur académique.",
    )
    ticket = file_request(people["teacher"], incident=incident.pk)
    incidents.incident_post_update(people["region"], incident.pk, "Redémarrage prévu vers 14 h.")
    assert found(people["teacher"], "redemarrage") == [ticket.reference]


def test_a_requalified_subject_is_found_and_the_words_first_written_still_are(people):
    ticket = file_request(people["teacher"], subject="تعذر الولوج")
    services.ticket_escalate(people["head"], ticket, note="جربت", subject="إعادة تعيين القن السري")
    assert found(people["province"], "اعاده تعيين") == [ticket.reference]
    assert found(people["province"], "الولوج") == [ticket.reference]
    assert Ticket.objects.get(pk=ticket.pk).subject_text == " اعاده تعيين قن سري "


# Best match first ----------------------------------------------------------------------------------------


def test_a_search_lists_the_typed_reference_then_subject_matches_before_newer_ones(people):
    teacher = people["teacher"]
    in_subject = file_request(teacher, subject="Imprimante en panne")
    in_description = file_request(teacher, subject="Matériel", description="L'imprimante ne répond plus.")
    cited = file_request(teacher, subject="Relance", description=f"Voir aussi {in_subject.reference}.")
    references = [in_subject.reference, in_description.reference]
    assert found(teacher, "imprimante") == references
    # Another order, when chosen, is kept: the newest activity first.
    assert found(teacher, "imprimante", sort=Sort.ACTIVITY) == references[::-1]
    # The reference typed whole: that ticket first, then those that cite it.
    assert found(teacher, in_subject.reference.lower()) == [in_subject.reference, cited.reference]


def test_relevance_pages_walk_every_match_once_in_order(people):
    teacher = people["teacher"]
    tickets = [file_request(teacher, subject=f"Imprimante {n}") for n in range(3)]
    tickets += [file_request(teacher, description=f"Imprimante numéro {n}.") for n in range(2)]
    query = selectors.TicketQuery(tab=Tab.ALL, query="imprimante")
    seen, cursor = [], None
    while True:
        page = query.page(teacher, cursor=cursor, limit=2)
        seen += [ticket.reference for ticket in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == found(teacher, "imprimante") == [t.reference for t in tickets[2::-1] + tickets[:2:-1]]


def test_a_relevance_link_kept_after_the_words_are_cleared_lists_by_last_activity(people):
    teacher = people["teacher"]
    older, newer = file_request(teacher), file_request(teacher)
    listed = selectors.TicketQuery(tab=Tab.ALL, sort=Sort.RELEVANCE).page(teacher).items
    assert [ticket.pk for ticket in listed] == [newer.pk, older.pk]


# The inbox -----------------------------------------------------------------------------------------------


def test_the_inbox_offers_best_match_first_when_words_are_typed(client, people, pair):
    client.force_login(people["teacher"])
    searching = client.get("/", {"tab": "all", "q": "eleve"})
    assert [t.reference for t in searching.context["tickets"]] == [pair["fr"]]
    # The box names the default order first; the others follow.
    offered = [value for value, _label in searching.context["form"].fields["sort"].widget.choices]
    assert offered == ["", Sort.ACTIVITY, Sort.FILED, Sort.PRIORITY]
    assert str(searching.context["form"].fields["sort"].widget.choices[0][1]) == str(Sort.RELEVANCE.label)
    listing = client.get("/", {"tab": "all"})
    offered = [value for value, _label in listing.context["form"].fields["sort"].widget.choices]
    assert offered == ["", Sort.FILED, Sort.PRIORITY]
    # The default chosen while words are typed lists the best match; a link that keeps relevance after the
    # words are cleared is understood (by last activity).
    assert client.get("/", {"tab": "all", "q": "eleve", "sort": ""}).status_code == 200
    assert client.get("/", {"tab": "all", "sort": "relevance"}).status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index of the words")
def test_on_sqlite_the_words_are_read_from_fts5_and_migrate_puts_back_dropped_triggers(people):
    ticket = file_request(people["teacher"], subject="Relevé de notes")
    with CaptureQueriesContext(connection) as captured:
        assert found(people["teacher"], "releve") == [ticket.reference]
    assert any(f"{search.SQLITE_INDEX} MATCH" in query["sql"] for query in captured.captured_queries)
    # A migration that rebuilds the tickets table on SQLite drops its triggers; migrate ends by putting them
    # back and building the index again, so words written since are found.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {search.SQLITE_INDEX}_update")
    services.ticket_take(people["head"], ticket)
    services.ticket_reply(people["head"], ticket, body="Bulletin corrigé.")
    assert found(people["teacher"], "bulletin") == []
    call_command("migrate", verbosity=0)
    assert found(people["teacher"], "bulletin") == [ticket.reference]
    assert search.ensure_sqlite_index(connection) is False  # nothing missing: nothing rebuilt


# Tickets written before the word columns ------------------------------------------------------------------


def test_the_migration_writes_each_tickets_words_from_its_history(people, talked):
    # A conversation with notes, and a request whose subject was requalified on its way up.
    requalified = file_request(people["teacher"], subject="تعذر الولوج")
    services.ticket_escalate(people["head"], requalified, note="جربت", subject="إعادة تعيين القن السري")
    references = [talked, requalified.reference]
    kept = {
        t.reference: (t.subject_text, t.search_text, t.note_text)
        for t in Ticket.objects.filter(reference__in=references)
    }
    Ticket.objects.filter(reference__in=references).update(subject_text="", search_text="", note_text="")
    migration = importlib.import_module("musanada.tickets.migrations.0016_ticket_words")

    migration.write_words(apps, None)

    written = {
        t.reference: (t.subject_text, t.search_text, t.note_text)
        for t in Ticket.objects.filter(reference__in=references)
    }
    assert written == kept
    subject_text, search_text, note_text = written[talked]
    assert " pedagogique " in search_text and " doublon " in note_text and " doublon " not in search_text
    # The words first filed stay findable beside the requalified subject, as the services kept them.
    assert (
        found(people["province"], "الولوج")
        == found(people["province"], "اعاده تعيين")
        == [requalified.reference]
    )


def test_a_tickets_words_stop_within_their_limit(people):
    ticket = file_request(people["teacher"], description="mot " * 4900)
    services.ticket_reply(people["head"], ticket, body="fin " * 500)
    stored = Ticket.objects.get(pk=ticket.pk).search_text
    assert search.WORDS_MAX - 4 <= len(stored) <= search.WORDS_MAX and stored.endswith(" fin ")
