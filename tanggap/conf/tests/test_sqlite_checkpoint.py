"""WAL checkpoints off the request path (tanggap/conf/sqlite/checkpoint.py): the desk's
connections never checkpoint inside a commit (which holds the write lock), the checkpointer copies
what they committed, and the WAL stays bounded."""

import os
import sqlite3
import threading

from django.db import transaction

from tanggap.conf.env import sqlite_database
from tanggap.conf.sqlite import checkpoint
from tanggap.conf.sqlite.base import DatabaseWrapper

PAGE = 4096
# More than SQLite's default wal_autocheckpoint (1,000 pages) in one transaction.
BIG = 1200 * PAGE


def _desk_connection(path: str) -> DatabaseWrapper:
    settings_dict = sqlite_database(path)
    settings_dict.update({"ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "TIME_ZONE": None,
                          "CONN_HEALTH_CHECKS": False, "TEST": {}})
    return DatabaseWrapper(settings_dict, alias=f"checkpoint-{os.path.basename(path)}")


def _write(connection: DatabaseWrapper, size: int) -> None:
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("INSERT INTO blobs (data) VALUES (zeroblob(%s))", [size])


def _with_desk(tmp_path, django_db_blocker, monkeypatch, body):
    # The checkpointer's thread is not started here: the test runs its rounds itself, so
    # nothing checkpoints behind its back. That a connection starts it is checked below.
    started = []
    monkeypatch.setattr(checkpoint.Checkpointer, "start", lambda self: started.append(self.path))
    path = str(tmp_path / "desk.sqlite3")
    connection = _desk_connection(path)
    from django.db import connections
    connections[connection.alias] = connection
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
            result = body(path, connection)
            assert started == [path]  # the connection started its process's checkpointer
            return result
        finally:
            connection.close()
            del connections[connection.alias]


def test_a_commit_never_checkpoints_the_checkpointer_does(tmp_path, django_db_blocker,
                                                         monkeypatch):
    def body(path, connection):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == 0
        before = os.stat(path).st_size
        _write(connection, BIG)
        # The pages are in the WAL only: the commit copied nothing into the database file.
        assert os.stat(path).st_size == before
        ours = checkpoint.checkpointer(path)
        assert ours.commits == 1  # the commit was counted for the next checkpoint
        busy, frames, copied = ours.run_once()
        assert (busy, copied) == (0, frames) and frames > 1000
        assert os.stat(path).st_size > BIG
        assert ours.commits == 0

    _with_desk(tmp_path, django_db_blocker, monkeypatch, body)


def test_sqlites_default_would_have_checkpointed_in_the_commit(tmp_path):
    # What the first test guards against: the same write on a connection left at SQLite's
    # default runs the checkpoint inside its own commit.
    path = str(tmp_path / "plain.sqlite3")
    plain = sqlite3.connect(path, isolation_level=None)
    try:
        plain.execute("PRAGMA journal_mode=WAL")
        plain.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
        plain.execute("BEGIN IMMEDIATE")
        plain.execute("INSERT INTO blobs (data) VALUES (zeroblob(?))", [BIG])
        plain.execute("COMMIT")
        assert os.stat(path).st_size > BIG
    finally:
        plain.close()


def test_enough_commits_wake_the_checkpointer(tmp_path, django_db_blocker, monkeypatch):
    monkeypatch.setattr(checkpoint, "EVERY_COMMITS", 3)

    def body(path, connection):
        ours = checkpoint.checkpointer(path)
        for _ in range(2):
            _write(connection, 10)
        assert not ours.due
        _write(connection, 10)
        assert ours.due

    _with_desk(tmp_path, django_db_blocker, monkeypatch, body)


def test_the_wal_stays_bounded(tmp_path, django_db_blocker, monkeypatch):
    def body(path, connection):
        ours = checkpoint.checkpointer(path)
        for _ in range(20):
            _write(connection, 200 * PAGE)
            ours.run_once()  # the thread's round after each
        # Each write found the WAL copied and started it again from its beginning: the file
        # is about one write long, not twenty.
        assert os.stat(path + "-wal").st_size < 2 * 200 * PAGE

    _with_desk(tmp_path, django_db_blocker, monkeypatch, body)


def test_one_checkpoint_thread_per_process_and_database(tmp_path):
    ours = checkpoint.Checkpointer(str(tmp_path / "x.sqlite3"))
    before = set(threading.enumerate())
    ours.start()
    ours.start()
    started = [t for t in set(threading.enumerate()) - before if t.name == "sqlite-checkpoint"]
    assert len(started) == 1 and started[0].daemon
