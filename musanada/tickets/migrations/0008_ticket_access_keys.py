"""Access keys: who reaches each ticket through desks and subtrees, beside its words, for keyword search.

Existing tickets get theirs from their holdings and origin here. On PostgreSQL one GIN index holds the
trigrams of the search text and the access keys, so that a search reads the tickets that have the words and
that the reader reaches together, instead of every ticket that has the words; it replaces the trigram index
of 0004 (a GIN index on several columns serves a search on the first alone as well). Built CONCURRENTLY, so
that filings go on meanwhile (hence a non-atomic migration).
"""

from django.db import migrations, models

from musanada.tickets.policy import access_keys

INDEX = "ticket_search_access"
OLD_INDEX = "ticket_search_text_trgm"


def fill_access_keys(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketHolding = apps.get_model("tickets", "TicketHolding")
    OrgUnit = apps.get_model("org", "OrgUnit")
    unit_ids = dict(OrgUnit.objects.values_list("path", "pk"))
    last = 0
    while True:
        chunk = list(Ticket.objects.filter(pk__gt=last).select_related("origin_unit").order_by("pk")[:2000])
        if not chunk:
            return
        desks: dict[int, list] = {ticket.pk: [] for ticket in chunk}
        holdings = TicketHolding.objects.filter(ticket_id__in=desks).select_related("desk")
        for holding in holdings:
            desks[holding.ticket_id].append(holding.desk)
        for ticket in chunk:
            ticket.access_keys = access_keys(desks[ticket.pk], ticket.origin_unit, unit_ids=unit_ids)
        Ticket.objects.bulk_update(chunk, ["access_keys"])
        last = chunk[-1].pk


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON tickets_ticket "
        "USING gin (search_text gin_trgm_ops, access_keys jsonb_path_ops)"
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD_INDEX} ON tickets_ticket "
        "USING gin (search_text gin_trgm_ops)"
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0007_list_indexes"), ("org", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="access_keys",
            field=models.JSONField(blank=True, default=list, editable=False, verbose_name="access keys"),
        ),
        migrations.RunPython(fill_access_keys, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
