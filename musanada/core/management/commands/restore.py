from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from musanada.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Check an archive written by `musanada backup`; with --yes, replace this installation's database and "
        "uploaded files with its content. Stop the web processes and the job workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="the archive (musanada-YYYYMMDDTHHMMSSZ.tar)")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="replace the database and the uploaded files (without it the archive is only checked)",
        )

    def handle(self, *args, archive, yes=False, **options):
        try:
            restored = backup_restore(archive, confirmed=yes)
        except BackupError as error:
            raise CommandError(str(error)) from error
        archived = restored.manifest["counts"]
        self.stdout.write(f"restored {archive}, made {restored.manifest['created_at']}")
        self.stdout.write(f"{'':12} {'archive':>10} {'restored':>10}")
        for label, count in restored.counts.items():
            self.stdout.write(f"{label:12} {archived.get(label, '?'):>10} {count:>10}")
        self.stdout.write(f"{restored.files} files put back")
        if restored.counts != archived:
            raise CommandError("The restored database does not hold the rows the archive counted.")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write(
                "This code has migrations the archive's database lacks: run `musanada migrate`."
            )
