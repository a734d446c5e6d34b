from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from musanada.core.backup import BackupError, backup_create, backup_manifest


class Command(BaseCommand):
    help = (
        "Write one archive of the database and the uploaded files, with a manifest, into --output "
        "(MUSANADA_DATA_DIR/backups); copy it off this machine (docs/deploy.md, 'Backup and restore')."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help="folder to write the archive in (default: MUSANADA_DATA_DIR/backups)"
        )

    def handle(self, *args, output=None, **options):
        try:
            archive = backup_create(output or settings.DATA_DIR / "backups")
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = backup_manifest(archive)
        counts = manifest["counts"]
        self.stdout.write(
            f"{archive} ({archive.stat().st_size} bytes): {counts['tickets']} tickets, {counts['events']} "
            f"events, {counts['attachments']} attachments, {len(manifest['members']) - 1} files"
        )
        missing = manifest["missing_attachments"]
        if missing:
            self.stderr.write(
                f"warning: {len(missing)} attachments named by the database were not in the uploaded files "
                f"and are not in the archive, for instance {missing[0]}"
            )
