"""Commits without their fsync, for writes that only follow what is already durable.

At the desk's default `synchronous=full` every commit waits for the disk (docs/configuration.md,
"SQLite and power cuts"), and on SQLite it waits holding the machine's one write lock. The
reports' roll-up (tanggap.reports.rollup) commits dozens of short transactions every few
seconds, each of which made every claim arriving meanwhile wait for its fsync too. Its rows are
derived from the audit trail and written together with the cursor that says how far they got,
so they need no fsync of their own: in WAL mode a commit at `normal` survives a killed process
(`kill -9`) and may be undone only by a power cut or an OS crash, and then only together with
every transaction after it (the WAL is cut at its last synced frame). What is undone is read
again from the trail; the next commit at `full` (any claim, any inbound message) syncs it anyway.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections


@contextlib.contextmanager
def without_fsync(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """The transactions started inside commit at `synchronous=normal` on SQLite; elsewhere (or
    inside a transaction already open, whose commit is its owner's) nothing changes."""
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        level = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        # A connection closed meanwhile (an error) reopens with the configured level.
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={level}")
