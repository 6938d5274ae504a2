"""Helpers of the privacy tests: an admin for `--by`, and a scan of every table for text."""

from __future__ import annotations

from django.db import connection

from tanggap.workspaces.actions.members import add_member


def admin_of(workspace, username="adi", now=None):
    from django.utils import timezone

    return add_member(workspace=workspace, username=username, role="admin",
                      password="kata-sandi-uji", now=now or timezone.now()).user


def tables_holding(needles: list[str]) -> dict[str, set[str]]:
    """For each needle, the tables in which some column of some row contains it: every table of
    the database, read raw (text, JSON and binary columns alike)."""
    found: dict[str, set[str]] = {needle: set() for needle in needles}
    encoded = [(needle, needle.encode()) for needle in needles]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if value is None:
                        continue
                    blob = (bytes(value) if isinstance(value, (bytes, bytearray, memoryview))
                            else str(value).encode())
                    for needle, raw in encoded:
                        if raw in blob:
                            found[needle].add(table)
    return found
