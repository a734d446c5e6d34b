from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "musanada.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        post_migrate.connect(_sqlite_word_index, sender=self)


def _sqlite_word_index(sender, using, **kwargs):
    # After every migrate (and every test database flush): the SQLite FTS5 index of ticket words and its
    # triggers, which a migration rebuilding the tickets table would have dropped.
    from django.db import connections

    from musanada.tickets.search import ensure_sqlite_index

    ensure_sqlite_index(connections[using])
