from musanada.org.imports import import_staff
from musanada.org.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update the staff of a Massar export (CSV or JSON, see docs/import.md), keyed on their "
        "Massar identifier, with their unit and role. A file with any bad row is refused whole."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--full",
            action="store_true",
            help="the file lists everyone of the units it names: people of those units not in it are "
            "deactivated there",
        )

    def run(self, data, options):
        return import_staff(data, dry_run=options["dry_run"], full=options["full"])
