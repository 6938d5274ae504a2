"""Empty desks for restore tests, on the suite's own database kind: a new data directory, and on
the PostgreSQL run a new database on the suite's server (dropped afterwards)."""

from __future__ import annotations

import os
import secrets
import sqlite3
import tarfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tanggap.conf.tests.cli import clean_env

SECRET = "restore-test-" + "r" * 40


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _admin(sql: str) -> None:
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432,
                         user=parts.username or "postgres", password=parts.password or None,
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(sql)


@dataclass
class EmptyDesk:
    data_dir: Path
    database_url: str

    @property
    def env(self) -> dict[str, str]:
        return clean_env(TANGGAP_DATA_DIR=str(self.data_dir), DATABASE_URL=self.database_url,
                         SECRET_KEY=SECRET, TANGGAP_SQLITE_SYNCHRONOUS="normal")

    def sqlite_path(self) -> Path:
        return self.data_dir / "tanggap.sqlite3"

    def query(self, sql: str) -> list[tuple]:
        if self.database_url.startswith("sqlite"):
            connection = sqlite3.connect(self.sqlite_path())
            try:
                return connection.execute(sql).fetchall()
            finally:
                connection.close()
        import psycopg

        with psycopg.connect(self.database_url) as connection:
            return connection.execute(sql).fetchall()

    def listing(self) -> list[str]:
        """Everything under the data directory, for "nothing was changed" checks (but the empty
        static directory that loading the settings makes)."""
        return sorted(str(p.relative_to(self.data_dir)) for p in self.data_dir.rglob("*")
                      if p != self.data_dir / "static")


@contextmanager
def empty_desk(parent: Path):
    data_dir = parent / f"desk-{secrets.token_hex(3)}"
    if not on_postgres():
        yield EmptyDesk(data_dir, f"sqlite:///{data_dir / 'tanggap.sqlite3'}")
        return
    name = f"tanggap_restore_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    parts = urlsplit(os.environ["DATABASE_URL"])
    try:
        yield EmptyDesk(data_dir, urlunsplit(parts._replace(path="/" + name)))
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def repack(archive: Path, target: Path, change) -> Path:
    """A copy of `archive` with `change(members)` applied (a dict of name -> bytes)."""
    import io

    contents = members(archive)
    change(contents)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target
