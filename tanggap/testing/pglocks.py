"""Helpers for tests that drive a lock interleaving on PostgreSQL: which backend a connection
is, and whether PostgreSQL shows it waiting for a lock (the bounded poll such a test ends on)."""

from __future__ import annotations

from django.db import connection


def backend_pid() -> int:
    """This thread's PostgreSQL backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"
