"""SQLite with one writer at a time per process, queued on a lock instead of SQLite's busy wait.

Every write transaction here is BEGIN IMMEDIATE (see conf.env.sqlite_database), so writers wait
for SQLite's write lock. SQLite's busy handler waits by sleeping in growing steps (up to 100 ms),
so with several server threads writing at once most of their time went into sleeping past the
moment the lock was free (p99 of an inbound POST near 1 s). Threads of one process now queue on a
plain lock, handed over the moment the previous transaction ends; the busy handler still arbitrates
between processes (the web processes, the task workers).
"""

from __future__ import annotations

import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_WRITE_LOCK = threading.Lock()
_WAIT_SECONDS = 30


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self):
        if not _WRITE_LOCK.acquire(timeout=_WAIT_SECONDS):
            raise OperationalError("database is locked (no write turn within 30 s)")
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            _WRITE_LOCK.release()
            raise
        self._holds_write_lock = True

    def _release_write_lock(self):
        if self._holds_write_lock:
            self._holds_write_lock = False
            _WRITE_LOCK.release()

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
