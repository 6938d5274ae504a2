"""Copying a live PostgreSQL database with pg_dump, and loading one into an empty database.

The copy: a connection of our own opens a REPEATABLE READ transaction and exports its snapshot;
the row counts and migrations are read in that transaction and pg_dump dumps that same snapshot
(`--snapshot`), so the manifest describes exactly what the dump holds while the desk keeps
writing. The load: `pg_restore --single-transaction --exit-on-error` into a database without a
single table, so it loads whole or not at all.

pg_dump and pg_restore come from the PostgreSQL client package. They are looked for where
Debian puts them (the newest /usr/lib/postgresql/*/bin, as scripts/lib.sh does: pg_dump must not
be older than the server), then on PATH. The password reaches them through PGPASSWORD, never the
command line (other users of the machine can read command lines).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from tanggap.backup.archive import BackupError, DatabaseCopy

# Connection options of DATABASE_URL that libpq reads from the environment.
_LIBPQ_ENV = {
    "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY", "sslcrl": "PGSSLCRL", "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME", "options": "PGOPTIONS", "target_session_attrs":
    "PGTARGETSESSIONATTRS", "gssencmode": "PGGSSENCMODE", "channel_binding": "PGCHANNELBINDING",
    "passfile": "PGPASSFILE", "service": "PGSERVICE",
}


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


def tool(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        f"{name} not found: install PostgreSQL's client programs (Debian: apt-get install "
        f"postgresql-client, of the server's major version or newer) or put {name} on PATH")


def libpq_env(settings_dict: dict) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                          ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    for key, value in settings_dict.get("OPTIONS", {}).items():
        if key in _LIBPQ_ENV:
            env[_LIBPQ_ENV[key]] = str(value)
    return env


def _run(args: list[str], settings_dict: dict, what: str) -> None:
    done = subprocess.run(args, env=libpq_env(settings_dict), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        detail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise BackupError(f"{what} failed ({Path(args[0]).name} exited with {done.returncode}):"
                          f"\n{detail}")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                   "ORDER BY tablename")
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f"SELECT count(*) FROM {_quoted(name)}")
        counts[name] = cursor.fetchone()[0]
    return counts


def snapshot(target: Path, *, while_open: Callable[[], None] | None = None) -> DatabaseCopy:
    """Dump the configured database to `target` as it is at one instant, while others write."""
    dump = tool("pg_dump")
    own = connection.copy()  # never the caller's connection, which may be in a transaction
    try:
        own.ensure_connection()
        raw = own.connection
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            exported = cursor.fetchone()[0]
            tables = table_counts(cursor)
            if "django_migrations" not in tables:
                raise BackupError("the database holds no Tanggap tables (run `tanggap migrate` "
                                  "first): there is nothing to back up")
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
            migrations = [list(row) for row in cursor.fetchall()]
            if while_open is not None:
                while_open()
            _run([dump, "--format=custom", "--no-password", f"--snapshot={exported}",
                  f"--file={target}", "--dbname", own.settings_dict["NAME"]],
                 own.settings_dict, "pg_dump")
        raw.rollback()
    finally:
        own.close()
    return DatabaseCopy(vendor="postgresql", path=target, tables=tables, migrations=migrations)


def current_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return table_counts(cursor)


def relations() -> list[str]:
    """Tables, views and sequences in the configured database's schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
            "ORDER BY c.relname")
        return [row[0] for row in cursor.fetchall()]


def load(dump: Path) -> None:
    """Load a pg_dump file into the configured (empty) database, whole or not at all."""
    settings_dict = connection.settings_dict
    _run([tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
          "--no-privileges", "--no-password", "--dbname", settings_dict["NAME"], str(dump)],
         settings_dict, "pg_restore")
