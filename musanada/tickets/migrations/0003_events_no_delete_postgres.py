"""On PostgreSQL the database also refuses to delete a ticket event.

Test databases are emptied with TRUNCATE there, which row triggers do not see. SQLite empties test databases
with DELETE, so it keeps the update trigger only; the model and its queryset refuse deletes on both.
"""

from django.db import migrations

FORWARD = """CREATE TRIGGER tickets_event_no_delete BEFORE DELETE ON tickets_event
             FOR EACH ROW EXECUTE FUNCTION tickets_event_append_only();"""
REVERSE = "DROP TRIGGER IF EXISTS tickets_event_no_delete ON tickets_event;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_events_append_only")]

    operations = [migrations.RunPython(forward, reverse)]
