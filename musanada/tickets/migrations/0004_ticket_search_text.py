"""Keyword search: a normalised copy of each ticket's subject, description and reference.

Existing tickets get theirs here. On PostgreSQL a trigram GIN index lets `LIKE '%word%'` use an index, so a
search over millions of tickets does not read them all; SQLite scans the column (fine at its scale).
"""

from django.db import migrations, models

from musanada.core.text import search_document

TRIGRAM_INDEX = "ticket_search_text_trgm"
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
    f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON tickets_ticket USING gin (search_text gin_trgm_ops);",
]
# The extension stays: other objects may use it by now.
POSTGRES_REVERSE = [f"DROP INDEX IF EXISTS {TRIGRAM_INDEX};"]


def fill_search_text(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    batch = []
    rows = Ticket.objects.only("pk", "reference", "subject", "description").order_by("pk")
    for ticket in rows.iterator(chunk_size=2000):
        ticket.search_text = search_document(ticket.subject, ticket.description, ticket.reference)
        batch.append(ticket)
        if len(batch) == 2000:
            Ticket.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Ticket.objects.bulk_update(batch, ["search_text"])


def _on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_events_no_delete_postgres")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search text"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(_on_postgres(POSTGRES), _on_postgres(POSTGRES_REVERSE)),
    ]
