from django.core.management.base import BaseCommand

from musanada.tickets.services import close_resolved_tickets


class Command(BaseCommand):
    help = (
        "Close the tickets resolved longer ago than MUSANADA_AUTO_CLOSE_DAYS (run it daily from a scheduler)."
    )

    def handle(self, *args, **options):
        closed = close_resolved_tickets()
        self.stdout.write(f"{closed} resolved tickets closed")
