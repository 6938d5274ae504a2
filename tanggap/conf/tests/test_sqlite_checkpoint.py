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


def test_a_fork_waits_for_the_round_and_leaves_the_child_no_connection(tmp_path, monkeypatch):
    path = str(tmp_path / "forked.sqlite3")
    ours = checkpoint.Checkpointer(path)
    monkeypatch.setitem(checkpoint._checkpointers, path, ours)
    ours.run_once()
    assert ours._connection is not None

    checkpoint._before_fork()
    # The lock of a round is held across the fork, so no round is in SQLite meanwhile, and
    # the connection the child would have inherited is closed.
    assert ours._using.locked() and ours._connection is None
    checkpoint._after_fork_in_parent()
    assert not ours._using.locked()
    assert ours.run_once()[0] == 0 and ours._connection is not None  # reopened at the next round


def test_a_forked_child_writes_to_the_database_its_parent_checkpoints(tmp_path, monkeypatch):
    path = str(tmp_path / "shared.sqlite3")
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY)")
    setup.close()
    ours = checkpoint.Checkpointer(path)
    monkeypatch.setitem(checkpoint._checkpointers, path, ours)
    ours.run_once()

    pid = os.fork()
    if pid == 0:  # the child: its own connection and checkpointer, the parent's lock free
        code = 1
        try:
            child = checkpoint.checkpointer(path)
            assert child is not ours and not ours._using.locked()
            mine = sqlite3.connect(path, isolation_level=None)
            mine.execute("INSERT INTO rows (id) VALUES (1)")
            mine.close()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not ours._using.locked() and ours._connection is None
    check = sqlite3.connect(path)
    assert check.execute("SELECT id FROM rows").fetchall() == [(1,)]
    check.close()
