"""`tanggap backup`: one archive file with a consistent copy of the database and the uploads,
made while the desk runs.

The database is copied first (one instant, see sqlite.py and postgres.py), the uploads after it:
a photo is written before the transaction that points to it commits, so every photo the copied
database names is already on disk when the uploads are read. A photo stored after that instant
may come along without a row naming it, which is harmless.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.conf import settings
from django.db import connection

from tanggap.backup import archive, postgres, sqlite
from tanggap.backup.archive import BackupError

ARCHIVE_NAME = re.compile(r"^tanggap-\d{8}T\d{6}Z\.tar\.gz$")


def tanggap_version() -> str:
    try:
        return version("tanggap")
    except PackageNotFoundError:
        return "unknown"


def upload_dir() -> Path:
    return Path(settings.TANGGAP_UPLOAD_DIR)


def vendor() -> str:
    if connection.vendor == "sqlite":
        return "sqlite"
    if connection.vendor == "postgresql":
        return "postgresql"
    raise BackupError(f"backups of a {connection.vendor} database are not supported")


@dataclass(frozen=True)
class Written:
    path: Path
    manifest: dict
    removed: list[Path]


def archive_path(target: Path, now: datetime) -> Path:
    """`target` itself, or a new time-stamped name in it when it is a directory."""
    if target.is_dir():
        return target / f"tanggap-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    if target.exists():
        raise BackupError(f"{target} exists; a backup never overwrites a file (give a new name "
                          "or a directory)")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    return target


def create_backup(target: Path, *, now: datetime, keep: int | None = None,
                  while_open: Callable[[], None] | None = None) -> Written:
    """Write a backup to `target` (a new file, or a directory to put a time-stamped one in);
    with `keep`, then remove the oldest time-stamped backups in that directory beyond `keep`."""
    path = archive_path(target.resolve(), now)
    if path.exists():
        raise BackupError(f"{path} exists; a backup never overwrites a file")
    uploads = upload_dir().resolve()
    if path.parent == uploads or uploads in path.parents:
        raise BackupError(f"{path} is inside the uploads directory ({uploads}), which every "
                          "backup copies: write backups elsewhere")
    if keep is not None and not target.is_dir():
        raise BackupError("--keep needs a directory to put time-stamped backups in")
    kind = vendor()
    staging = Path(tempfile.mkdtemp(prefix=".tanggap-backup-", dir=path.parent))
    try:
        if kind == "sqlite":
            copy = sqlite.snapshot(str(connection.settings_dict["NAME"]),
                                   staging / "tanggap.sqlite3", while_open=while_open)
        else:
            copy = postgres.snapshot(staging / "tanggap.pgdump", while_open=while_open)
        manifest = archive.write(path, database=copy, upload_dir=uploads, created_at=now,
                                 version=tanggap_version())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    removed = rotate(path.parent, keep) if keep is not None else []
    return Written(path=path, manifest=manifest, removed=removed)


def rotate(directory: Path, keep: int) -> list[Path]:
    """Remove the oldest time-stamped backups in `directory` beyond the newest `keep`; other
    files are never touched."""
    ours = sorted(p for p in directory.iterdir() if p.is_file() and ARCHIVE_NAME.match(p.name))
    doomed = ours[:-keep] if keep > 0 else ours
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
