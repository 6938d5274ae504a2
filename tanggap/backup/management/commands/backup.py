"""`tanggap backup FILE|DIR [--keep N]`: a consistent copy of the database and the uploads in one
archive, made while the desk runs (tanggap/backup/create.py; docs/deployment.md, "Backups")."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.backup.archive import KEYS_NOTE, BackupError
from tanggap.backup.create import create_backup


def _size(count: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


class Command(BaseCommand):
    help = ("Write a backup: the database (SQLite's online backup, or pg_dump) and the uploads "
            "in one .tar.gz with a manifest of checksums. FILE is a new file; a DIR gets a "
            "time-stamped one, and --keep N then removes the oldest beyond N. Never the keys.")

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="FILE|DIR")
        parser.add_argument("--keep", type=int, default=None, metavar="N",
                            help="with a DIR: keep the newest N time-stamped backups there")

    def handle(self, *args, target, keep, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1")
        try:
            written = create_backup(Path(target), now=timezone.now(), keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = written.manifest
        database = manifest["database"]
        rows = sum(database["tables"].values())
        upload_bytes = sum(entry["size"] for entry in manifest["uploads"].values())
        self.stdout.write(
            f"wrote {written.path} ({_size(written.path.stat().st_size)}): {database['vendor']} "
            f"database, {rows} rows in {len(database['tables'])} tables; "
            f"uploads: {len(manifest['uploads'])} files ({_size(upload_bytes)})")
        for path in written.removed:
            self.stdout.write(f"removed the older backup {path}")
        self.stdout.write(f"keys {KEYS_NOTE}")
