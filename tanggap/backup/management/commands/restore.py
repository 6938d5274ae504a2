"""`tanggap restore FILE`: a backup into an empty data directory and an empty database, checked
against its manifest, whole or not at all (tanggap/backup/restore.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tanggap.backup.archive import BackupError
from tanggap.backup.restore import restore_backup


class Command(BaseCommand):
    help = ("Restore a backup written by `tanggap backup` into an empty desk (a new data "
            "directory, an empty database), then bring its schema up to date. Refuses anything "
            "else, and writes nothing when it refuses. The keys are not in a backup.")
    # The checks would open the database this command must find empty.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="FILE")

    def handle(self, *args, source, **options):
        try:
            restored = restore_backup(Path(source))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = restored.manifest
        database = manifest["database"]
        self.stdout.write(
            f"restored the backup of {manifest['created_at']} (Tanggap "
            f"{manifest['tanggap_version']}): {sum(database['tables'].values())} rows in "
            f"{len(database['tables'])} tables; uploads: {restored.uploads} files")
        if restored.migrated:
            self.stdout.write(f"brought its schema up to date: {len(restored.migrated)} "
                              f"migrations ({', '.join(restored.migrated[:5])}"
                              f"{', …' if len(restored.migrated) > 5 else ''})")
        # UU PDP: an erasure made after the backup is not in it, and nothing in the restored
        # database remembers it (its audit trail ends with the backup).
        self.stdout.write(f"personal data: erasures made after {manifest['created_at']} are not "
                          "in this backup: run each again from your register of requests "
                          "(`tanggap citizen erase`, the same citizen ids); the retention run "
                          "anonymises again what is past its period at its next run "
                          "(docs/security.md, \"Personal data\")")
        self.stdout.write("the keys are not in a backup: put TANGGAP_KEYS_DIR (or SECRET_KEY and "
                          "TANGGAP_CREDENTIALS_KEY) back as they were, then `tanggap keys "
                          "status` shows whether every channel token opens")
