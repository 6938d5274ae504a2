"""`tanggap restore`: a backup into an empty data directory and an empty database, whole or not
at all.

Order, so that a failure at any step leaves the desk as empty as it was:
1. refuse unless the target is empty: the data directory holds nothing but collected static
   files, the uploads directory no file, the database no table;
2. unpack into staging directories beside the targets and check every checksum and size
   against the manifest, the database kind against DATABASE_URL, and the migrations against
   this code (a backup from a newer Tanggap is refused: this code cannot read its schema);
3. SQLite: check the copy (integrity, row counts), bring its schema up to date (`migrate`)
   while it is still staged, then move it into place; PostgreSQL: load the dump in one
   transaction, check the row counts, `migrate`;
4. move the uploads into place.
The staging directories are removed whatever happens.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tanggap.backup import archive, postgres, sqlite
from tanggap.backup.archive import BackupError
from tanggap.backup.create import upload_dir, vendor

_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal", ".writelock")


@dataclass(frozen=True)
class Restored:
    manifest: dict
    migrated: list[str]
    uploads: int


def _files_under(directory: Path) -> list[Path]:
    if not directory.exists():
        return []
    return [path for path in directory.rglob("*") if not path.is_dir()]


def _refuse_unless_empty(kind: str, data_dir: Path, uploads: Path) -> None:
    problems = []
    database = (Path(connection.settings_dict["NAME"]).resolve() if kind == "sqlite"
                else None)
    if database is not None and not sqlite.is_empty(database):
        problems.append(f"the database {database} holds tables")
    if kind == "postgresql":
        found = postgres.relations()
        if found:
            problems.append(f"the database {connection.settings_dict['NAME']} holds "
                            f"{len(found)} tables or sequences ({', '.join(found[:3])}, …)")
    if _files_under(uploads):
        problems.append(f"the uploads directory {uploads} holds files")
    allowed = {settings.STATIC_ROOT.resolve(), uploads}
    if database is not None:
        allowed |= {database, *(Path(f"{database}{side}") for side in _SQLITE_SIDE_FILES)}
    others = sorted(entry.name for entry in data_dir.iterdir()
                    if entry.resolve() not in allowed) if data_dir.exists() else []
    if others:
        problems.append(f"the data directory {data_dir} holds {', '.join(others[:5])}")
    if problems:
        raise BackupError(
            "restore goes only into an empty desk, and this one is not: "
            + "; ".join(problems)
            + ". Point TANGGAP_DATA_DIR (and DATABASE_URL) at a new, empty place, or move "
            "the old data away first. Nothing was changed.")


def _check_schema(manifest: dict) -> list[str]:
    """The migrations this code will apply to the backup; refuse a backup from newer code."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {tuple(pair) for pair in manifest["database"]["migrations"]}
    unknown = sorted(applied - set(loader.disk_migrations))
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"this backup was made by a newer Tanggap ({manifest.get('tanggap_version')}): its "
            f"database has migrations this version does not know ({names}). Restore it with "
            "that version or a later one. Nothing was changed.")
    return [f"{app}.{name}" for app, name in sorted(set(loader.graph.nodes) - applied)]


def _migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def _migrate_staged_sqlite(path: Path) -> None:
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = str(path)
    try:
        _migrate()
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
    sqlite.settle(path)


def restore_backup(source: Path) -> Restored:
    kind = vendor()
    data_dir = Path(settings.DATA_DIR).resolve()
    uploads = upload_dir().resolve()
    _refuse_unless_empty(kind, data_dir, uploads)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    token = secrets.token_hex(4)
    database_target = (Path(connection.settings_dict["NAME"]).resolve() if kind == "sqlite"
                       else data_dir / "tanggap.pgdump")
    stage_db = database_target.parent / f".restore-{token}"
    stage_uploads = uploads.parent / f".restore-{token}-uploads"
    stage_db.mkdir(mode=0o700, parents=True)
    try:
        stage_uploads.mkdir(mode=0o700, parents=True)
        unpacked = archive.unpack(source, database_dir=stage_db, uploads_dir=stage_uploads)
        manifest = unpacked.manifest
        backup_kind = manifest["database"]["vendor"]
        if backup_kind != kind:
            raise BackupError(
                f"this backup holds a {backup_kind} database and DATABASE_URL names a {kind} "
                f"one: restore it into a {backup_kind} desk. Nothing was changed.")
        pending = _check_schema(manifest)
        if kind == "sqlite":
            sqlite.check(unpacked.database, manifest["database"]["tables"])
            _migrate_staged_sqlite(unpacked.database)
            for side in _SQLITE_SIDE_FILES:
                Path(f"{database_target}{side}").unlink(missing_ok=True)
            database_target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            unpacked.database.replace(database_target)
        else:
            postgres.load(unpacked.database)
            counts = postgres.current_counts()
            if counts != manifest["database"]["tables"]:
                raise BackupError(
                    "the loaded database does not hold the rows the backup lists; drop and "
                    "create the database again before another try")
            _migrate()
        if uploads.exists():
            shutil.rmtree(uploads)  # empty: checked above
        stage_uploads.replace(uploads)
    finally:
        shutil.rmtree(stage_db, ignore_errors=True)
        shutil.rmtree(stage_uploads, ignore_errors=True)
    return Restored(manifest=manifest, migrated=pending, uploads=len(manifest["uploads"]))
