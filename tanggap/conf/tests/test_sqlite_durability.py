"""Commits without their fsync for derived writes (tanggap/conf/sqlite/durability.py): inside
`without_fsync` a connection commits at synchronous=normal, and is back at its own level after."""

from django.db import connections, transaction

from tanggap.conf.sqlite.durability import without_fsync
from tanggap.conf.tests.test_sqlite_checkpoint import _desk_connection

FULL, NORMAL = 2, 1  # what PRAGMA synchronous answers


def _level(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return cursor.fetchone()[0]


def test_normal_inside_the_desks_level_after(tmp_path, django_db_blocker):
    connection = _desk_connection(str(tmp_path / "desk.sqlite3"))
    connections[connection.alias] = connection
    with django_db_blocker.unblock():
        try:
            assert _level(connection) == FULL
            with without_fsync(connection.alias):
                assert _level(connection) == NORMAL
                with transaction.atomic(using=connection.alias):
                    # Inside a transaction it cannot change, and does not try.
                    with without_fsync(connection.alias):
                        assert _level(connection) == NORMAL
            assert _level(connection) == FULL
        finally:
            connection.close()
            del connections[connection.alias]
