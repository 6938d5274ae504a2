"""SQLite whose writers queue on locks that hand over at once, instead of SQLite's busy wait.

Every write transaction here is BEGIN IMMEDIATE (see conf.env.sqlite_database), so writers wait
for SQLite's write lock. SQLite's busy handler waits by sleeping in growing steps (up to 100 ms),
so with several server threads and processes writing at once most of their time went into
sleeping past the moment the lock was free (p99 of an inbound POST near 1 s). Writers now queue
first on a thread lock (inside a process) and then on an flock of a file beside the database
(between the processes of one machine: web processes, task workers); both wake the next writer the
moment the previous transaction ends. SQLite's own locking still decides correctness; these locks
only order the waiting.
"""

from __future__ import annotations

import fcntl
import os
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_THREAD_LOCK = threading.Lock()
_WAIT_SECONDS = 30
_lock_files: dict[str, tuple[int, int]] = {}  # database path -> (pid, fd)


def _fresh_lock_in_child() -> None:
    # A thread of the parent may have held the lock at fork time; the child has no such thread.
    global _THREAD_LOCK
    _THREAD_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


def _lock_fd(path: str) -> int | None:
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    pid = os.getpid()
    known = _lock_files.get(path)
    if known is not None and known[0] == pid:
        return known[1]
    # A forked child must not share its parent's open file description: flock would then treat
    # both as one holder.
    fd = os.open(path + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
    _lock_files[path] = (pid, fd)
    return fd


class DatabaseWrapper(base.DatabaseWrapper):
    _write_fd: int | None = None
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self):
        if not _THREAD_LOCK.acquire(timeout=_WAIT_SECONDS):
            raise OperationalError("database is locked (no write turn within 30 s)")
        fd = None
        try:
            fd = _lock_fd(str(self.settings_dict["NAME"]))
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            super()._start_transaction_under_autocommit()
        except BaseException:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            _THREAD_LOCK.release()
            raise
        self._write_fd = fd
        self._holds_write_lock = True

    def _release_write_lock(self):
        if self._holds_write_lock:
            self._holds_write_lock = False
            if self._write_fd is not None:
                fcntl.flock(self._write_fd, fcntl.LOCK_UN)
                self._write_fd = None
            _THREAD_LOCK.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
