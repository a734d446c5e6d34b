"""What `import-units` and `import-staff` share: reading the file, printing the report or the bad rows."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from musanada.org.imports import ImportRefused


class ImportCommand(BaseCommand):
    """Subclasses give `run(data, options)`, which calls the importer and returns its report."""

    def add_arguments(self, parser):
        parser.add_argument("file", help="a CSV (comma or semicolon, UTF-8) or JSON export")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")

    # Consoles read English, as with Django's own commands; pages follow the reader's language.
    @no_translations
    def handle(self, *args, **options):
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {options['file']}: {error.strerror}") from error
        try:
            report = self.run(data, options)
        except ImportRefused as refused:
            for row_error in refused.errors:
                self.stderr.write(str(row_error))
            raise CommandError(str(refused)) from refused
        prefix = "dry run, nothing changed: " if report.dry_run else ""
        self.stdout.write(f"{prefix}{report.summary()} {report.seconds:.1f} s")
        for change in report.sample:
            line = change.line if change.line is not None else "-"
            self.stdout.write(f"  line {line}: {change.key} {change.action_label} {change.detail}".rstrip())
