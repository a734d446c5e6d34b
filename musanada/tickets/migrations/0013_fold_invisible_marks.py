"""`core.text.normalize` now drops the invisible format characters (right-to-left and left-to-right marks,
zero-width joiners and spaces, the byte-order mark, soft hyphens): the search text of the tickets that hold
one is written again, so that their words are found by their plain spelling."""

from django.db import migrations
from django.db.models import Q

# The format characters that reach stored text (the input cleaning already drops embeddings and isolates).
MARKS = ("\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u2060", "\ufeff", "\u00ad")


def refold(apps, schema_editor):
    from musanada.core.text import search_document

    Ticket = apps.get_model("tickets", "Ticket")
    holding = Q()
    for mark in MARKS:
        holding |= Q(search_text__contains=mark)
    batch = []
    for ticket in Ticket.objects.filter(holding).only("subject", "description", "reference").iterator(2000):
        ticket.search_text = search_document(ticket.subject, ticket.description, ticket.reference)
        batch.append(ticket)
        if len(batch) == 2000:
            Ticket.objects.bulk_update(batch, ["search_text"])
            batch = []
    Ticket.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_saved_views")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
