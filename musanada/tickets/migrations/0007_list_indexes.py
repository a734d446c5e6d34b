"""Two indexes for national volume: the open tickets of a subtree, and the whole history by last activity.

On PostgreSQL they are built CONCURRENTLY, so that deploying this on a table of ten million tickets does not
stop filings while they build (hence a non-atomic migration); SQLite builds them as usual.
"""

from django.db import migrations, models

INDEXES = {
    "ticket_origin_open": (
        "(origin_unit_id, updated_at DESC, id DESC) WHERE status IN ('new', 'open', 'waiting')"
    ),
    "ticket_recent": "(updated_at DESC, id DESC)",
}


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, definition in INDEXES.items():
        sql = f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON tickets_ticket {definition}"
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0006_event_kind_day")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="ticket",
                    index=models.Index(
                        fields=["origin_unit", "-updated_at", "-id"],
                        name="ticket_origin_open",
                        condition=models.Q(status__in=["new", "open", "waiting"]),
                    ),
                ),
                migrations.AddIndex(
                    model_name="ticket",
                    index=models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
