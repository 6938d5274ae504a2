"""SQLite whose writers queue on locks that hand over at once, instead of SQLite's busy wait.

Every write transaction here is BEGIN IMMEDIATE (see conf.env.sqlite_database), so writers wait
for SQLite's write lock. SQLite's busy handler waits by sleeping in growing steps (up to 100 ms),
so with several server threads and processes writing at once most of their time went into
sleeping past the moment the lock was free (p99 of an inbound POST near 1 s). Writers now queue
first on a thread lock (inside a process) and then on an flock of a file beside the database
(between the processes of one machine: web processes, task workers); both wake the next writer the
moment the previous transaction ends. SQLite's own locking still decides correctness; these locks
only order the waiting.

Both waits are bounded by the connection's `timeout` option (30 s, the same as SQLite's own
busy timeout): a writer that gets no turn raises OperationalError("database is locked: ...")
instead of hanging behind a process that holds the lock forever (a stopped debugger, a stuck
transaction). flock itself has no timeout, so a contended wait happens in a helper thread on a
file description of its own; a helper whose writer gave up releases the lock as soon as it gets
it, and never touches a description another writer holds.
"""

from __future__ import annotations

import fcntl
import os
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from tanggap.conf.sqlite import checkpoint

_THREAD_LOCK = threading.Lock()
_DEFAULT_WAIT_SECONDS = 30.0
_lock_files: dict[str, tuple[int, int]] = {}  # database path -> (pid, fd)


def _fresh_lock_in_child() -> None:
    # A thread of the parent may have held the lock at fork time; the child has no such thread.
    global _THREAD_LOCK
    _THREAD_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


def _on_disk(path: str) -> bool:
    return bool(path) and path != ":memory:" and not path.startswith("file:")


def _lock_fd(path: str) -> int | None:
    if not _on_disk(path):
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


def flock_within(fd: int, path: str, seconds: float) -> int | None:
    """Take the exclusive flock; the descriptor that holds it (`fd`, or a fresh one when we had
    to wait), or None if no turn came within `seconds`."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    # Contended: wait in a helper thread on a description of its own (flock locks belong to
    # the open file description, so an abandoned helper must never share the one we keep).
    waiting = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    got = threading.Event()
    guard = threading.Lock()
    abandoned = False

    def take() -> None:
        fcntl.flock(waiting, fcntl.LOCK_EX)
        with guard:
            if abandoned:
                os.close(waiting)  # closing the description releases its lock
            else:
                got.set()

    threading.Thread(target=take, name="sqlite-write-turn", daemon=True).start()
    if got.wait(seconds):
        return waiting
    with guard:
        if got.is_set():
            return waiting
        abandoned = True
    return None


class DatabaseWrapper(base.DatabaseWrapper):
    _write_fd: int | None = None
    _write_fd_is_own = False
    _holds_write_lock = False

    def _wait_seconds(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout",
                                                                _DEFAULT_WAIT_SECONDS))

    def _start_transaction_under_autocommit(self):
        wait = self._wait_seconds()
        if not _THREAD_LOCK.acquire(timeout=wait):
            raise OperationalError(
                f"database is locked: no write turn within {wait:.0f} s (other threads of this "
                "process kept writing)")
        fd = shared = None
        try:
            path = str(self.settings_dict["NAME"])
            shared = _lock_fd(path)
            if shared is not None:
                fd = flock_within(shared, path + ".writelock", wait)
                if fd is None:
                    raise OperationalError(
                        f"database is locked: no write turn within {wait:.0f} s (another "
                        f"process holds the write lock of {path}: a stuck or very long "
                        "transaction)")
            super()._start_transaction_under_autocommit()
        except BaseException:
            if fd is not None:
                self._unlock(fd, own=fd != shared)
            _THREAD_LOCK.release()
            raise
        self._write_fd = fd
        self._write_fd_is_own = fd is not None and fd != shared
        self._holds_write_lock = True

    @staticmethod
    def _unlock(fd: int, *, own: bool) -> None:
        if own:
            os.close(fd)  # a helper's description: closing it releases the lock
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _release_write_lock(self):
        if self._holds_write_lock:
            self._holds_write_lock = False
            if self._write_fd is not None:
                self._unlock(self._write_fd, own=self._write_fd_is_own)
                self._write_fd = None
            _THREAD_LOCK.release()

    def _commit(self):
        wrote = self._holds_write_lock
        try:
            result = super()._commit()
        finally:
            self._release_write_lock()
        if wrote and _on_disk(path := str(self.settings_dict["NAME"])):
            checkpoint.checkpointer(path).note_commit()
        return result

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if _on_disk(path := str(self.settings_dict["NAME"])):
            checkpoint.checkpointer(path).start()
        return connection

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
