"""Copying a live SQLite database, and checking a copy.

The copy is SQLite's online backup (`sqlite3.Connection.backup`) run inside one read
transaction of a connection of its own: in WAL mode a reader sees the database as it was when its
transaction began and never blocks writers, so the desk keeps taking messages while the copy is
made, and the copy, the row counts and the migration list all describe that one instant. The
whole copy is one backup step: a step-by-step backup restarts whenever another connection writes,
and on a busy desk might never finish.

Nothing here goes through Django's connection: it may be inside a transaction whose uncommitted
rows must not reach a backup.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from tanggap.backup.archive import BackupError, DatabaseCopy


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {name: connection.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]
            for name in names}


def applied_migrations(connection: sqlite3.Connection) -> list[list[str]]:
    return [list(row) for row in connection.execute(
        "SELECT app, name FROM django_migrations ORDER BY app, name")]


def snapshot(source: str, target: Path, *,
             while_open: Callable[[], None] | None = None) -> DatabaseCopy:
    """Copy the database at `source` to `target` as it is at one instant, while others write.

    `while_open` runs after that instant is fixed and before the pages are copied (tests write
    there, to show that what commits meanwhile stays out of the copy).
    """
    try:
        # mode=rw: a missing file is an error, not a new empty database.
        src = sqlite3.connect(f"file:{quote(source)}?mode=rw", uri=True, timeout=30,
                              isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise BackupError(f"cannot open the database {source}: {exc}") from None
    try:
        src.execute("BEGIN")
        # The first read fixes the snapshot; everything below reads that snapshot.
        tables = table_counts(src)
        if "django_migrations" not in tables:
            raise BackupError(f"{source} holds no Tanggap tables (run `tanggap migrate` "
                              "first): there is nothing to back up")
        migrations = applied_migrations(src)
        if while_open is not None:
            while_open()
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            src.backup(dst)
            # One self-contained file: no -wal beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
        src.execute("COMMIT")
    except sqlite3.Error as exc:
        raise BackupError(f"copying the database {source} failed: {exc}") from None
    finally:
        src.close()
    check(target, tables)
    return DatabaseCopy(vendor="sqlite", path=target, tables=tables, migrations=migrations)


def check(path: Path, tables: dict[str, int]) -> None:
    """The copy at `path` opens, passes SQLite's integrity check and holds `tables` rows."""
    try:
        copy = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            verdict = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            counts = table_counts(copy)
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database copy {path.name} does not open: {exc}") from None
    if verdict != ["ok"]:
        raise BackupError(f"the database copy {path.name} fails SQLite's integrity check: "
                          f"{'; '.join(verdict[:5])}")
    if counts != tables:
        differing = sorted(name for name in set(counts) | set(tables)
                           if counts.get(name) != tables.get(name))
        raise BackupError(f"the database copy {path.name} does not hold the rows its manifest "
                          f"lists (tables {', '.join(differing[:5])})")


def is_empty(path: Path) -> bool:
    """No database there yet, or one without a single table."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        # Read-write, although it only reads: a read-only connection to a WAL database leaves
        # -wal and -shm files behind, while the last read-write one to close removes them.
        existing = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True)
        try:
            return existing.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
        finally:
            existing.close()
    except sqlite3.DatabaseError:
        return False  # something else lives there: not ours to replace


def settle(path: Path) -> None:
    """Fold the WAL into the main file and remove it, so the file can be moved alone."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
