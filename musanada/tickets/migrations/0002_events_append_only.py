"""The database itself refuses to change a ticket event: the history is append-only whatever the code does."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER tickets_event_no_update BEFORE UPDATE ON tickets_event
       BEGIN SELECT RAISE(ABORT, 'ticket events are append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS tickets_event_no_update;"]

POSTGRES = [
    """CREATE FUNCTION tickets_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'ticket events are append-only'; END $$;""",
    """CREATE TRIGGER tickets_event_no_update BEFORE UPDATE ON tickets_event
       FOR EACH ROW EXECUTE FUNCTION tickets_event_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS tickets_event_no_update ON tickets_event;",
    "DROP FUNCTION IF EXISTS tickets_event_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
