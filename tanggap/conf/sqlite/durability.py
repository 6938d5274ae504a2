"""Commits without their fsync, for writes whose loss in a power cut leaves the desk consistent.

At the desk's default `synchronous=full` every commit waits for the disk (docs/configuration.md,
"SQLite and power cuts"), and on SQLite it waits holding the machine's one write lock. In WAL
mode a commit at `normal` survives a killed process (`kill -9`: the operating system holds it)
and may be undone only by a power cut or an OS crash, and then only together with every
transaction after it: SQLite's recovery keeps the WAL's frames up to the first one whose
cumulative checksum fails, so what goes is a suffix of the commits. And the next commit at
`full`, from any process of the desk, syncs the WAL and so every commit before it.

So a write may skip its fsync when undoing it together with every later commit leaves a
consistent desk and breaks no promise made outside the desk:
- the reports' roll-up (tanggap.reports.rollup): its rows are derived from the audit trail and
  written together with the cursor that says how far they got; what is undone is read again.
  It commits dozens of short transactions every few seconds, each of which made every claim
  arriving meanwhile wait for its fsync too.
- a claim (cases.actions.claim_case, through tanggap.conf.groupcommit): it reaches nobody
  outside the desk (no citizen, no platform), and its audit event is in its own transaction,
  so a power cut undoes both; an operator whose claim is undone claims again. Whatever was
  promised outside after it (an acknowledged inbound message, a reply's outbound record)
  committed at `full`, which synced the claim first. A group-commit batch that holds any other
  write commits at `full`.
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
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA synchronous={level}")
            except BaseException:
                # Never leave it at `normal` for the next writer, whose commit must be synced.
                connection.close()
                raise
