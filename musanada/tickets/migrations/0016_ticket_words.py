"""Keyword search by whole words over the conversation (issue 14): each ticket keeps its subject's words, its
public words (subject, description, public messages) and its internal notes' words, as `core.text.
word_document`s (`tickets/search.py`). Existing tickets get them from their history here, a batch per
transaction: 100,000 tickets of the benchmark's histories took 104 s (docs/architecture.md), so a million
about 17 minutes and ten million about three hours. On PostgreSQL the notes get their own trigram index,
built CONCURRENTLY so that filings go on meanwhile (hence a non-atomic migration); the public words keep
theirs, `ticket_search_access`, with the access keys.
"""

from django.db import migrations, models

NOTE_INDEX = "ticket_note_words"


def write_words(apps, schema_editor):
    from musanada.tickets.search import rewrite_words

    rewrite_words(apps.get_model("tickets", "Ticket"), apps.get_model("tickets", "Event"))


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NOTE_INDEX} ON tickets_ticket USING gin (note_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NOTE_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0015_known_incidents")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="subject_text",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="subject words"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="note_text",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="note words"),
        ),
        migrations.RunPython(write_words, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
