from django.core.management.base import BaseCommand

from musanada.org.services import load_national_tree


class Command(BaseCommand):
    help = "Load the national org tree (academies, directorates), the central services and their categories."

    def handle(self, *args, **options):
        report = load_national_tree()
        self.stdout.write(f"org tree loaded: {report.created} created, {report.updated} updated")
