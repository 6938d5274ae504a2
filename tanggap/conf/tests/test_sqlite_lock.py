"""The SQLite writer lock (tanggap/conf/sqlite): a writer that gets no turn within the timeout
fails with a clear error instead of hanging, and a writer that gave up leaks no lock."""

import fcntl
import os
import threading

import pytest
from django.db import OperationalError

from tanggap.conf.env import sqlite_database
from tanggap.conf.sqlite.base import DatabaseWrapper, flock_within


def _holder(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_turn_that_never_comes_is_given_up_and_leaks_no_lock(tmp_path):
    path = str(tmp_path / "db.sqlite3.writelock")
    ours = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    other = _holder(path)  # another process's writer, stuck
    assert flock_within(ours, path, 0) is None
    os.close(other)  # it ends
    # The abandoned helper got the lock and let it go: we get our turn (this blocks, if it
    # were leaked, instead of timing out).
    fd = flock_within(ours, path, 60)
    assert fd is not None
    os.close(fd) if fd != ours else fcntl.flock(ours, fcntl.LOCK_UN)
    assert flock_within(ours, path, 0) == ours  # uncontended: our own descriptor
    fcntl.flock(ours, fcntl.LOCK_UN)
    os.close(ours)


def test_a_writer_without_a_turn_gets_a_clear_error(tmp_path, django_db_blocker):
    db_path = str(tmp_path / "desk.sqlite3")
    settings_dict = sqlite_database(db_path)
    settings_dict["OPTIONS"]["timeout"] = 0
    settings_dict.update({"ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "TIME_ZONE": None,
                          "CONN_HEALTH_CHECKS": False, "TEST": {}})
    connection = DatabaseWrapper(settings_dict, alias="locktest")
    with django_db_blocker.unblock():
        try:
            connection.ensure_connection()
            stuck = _holder(db_path + ".writelock")
            before = set(threading.enumerate())
            with pytest.raises(OperationalError, match=(
                    r"database is locked: no write turn within 0 s \(another process holds the "
                    r"write lock of .*desk.sqlite3: a stuck or very long transaction\)")):
                connection._start_transaction_under_autocommit()
            waiting = [t for t in set(threading.enumerate()) - before
                       if t.name == "sqlite-write-turn"]
            os.close(stuck)
            # The writer that gave up left a helper blocked on the lock: it now takes the lock
            # and lets it go. Until it has, the lock may still be busy, so wait for it to end.
            assert waiting
            for helper in waiting:
                helper.join()
            connection._start_transaction_under_autocommit()  # its turn comes once free
            connection._rollback()
            # Rolled back: the lock is free again for another process.
            probe = os.open(db_path + ".writelock", os.O_RDWR)
            assert flock_within(probe, db_path + ".writelock", 0) == probe
            os.close(probe)
        finally:
            connection.close()
