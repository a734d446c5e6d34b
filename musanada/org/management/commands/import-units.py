from musanada.org.imports import import_units
from musanada.org.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update the schools of a Massar export (CSV or JSON, see docs/import.md), keyed on their "
        "GRESA code. A file with any bad row is refused whole, every bad row listed."
    )

    def run(self, data, options):
        return import_units(data, dry_run=options["dry_run"])
