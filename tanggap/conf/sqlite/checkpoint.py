"""WAL checkpoints off the request path: each process that commits checkpoints from a thread of
its own, never inside a commit.

SQLite's default (`wal_autocheckpoint=1000`) runs a checkpoint inside the commit that takes the
WAL past 1,000 pages: copying the WAL into the database file, with its fsyncs, in that
request, while this backend's write lock (tanggap.conf.sqlite.base) is still held, so every
writer of the machine waited behind it (10-40 ms, about once per 150 claims: docs/performance.md,
"Claims"). The desk's connections therefore set `wal_autocheckpoint=0` (tanggap.conf.env), and each
process runs PASSIVE checkpoints from a thread, on a connection of its own: a PASSIVE checkpoint
takes no write lock (writers go on appending to the WAL meanwhile) and waits for nobody.

The WAL stays bounded: every process with a connection checkpoints within INTERVAL_SECONDS of
its own commits and every IDLE_SECONDS otherwise, and once a checkpoint has copied every frame
the next writer starts the WAL from its beginning again. A frame a reader still needs is copied
by a later round. The last connection to close checkpoints and removes the WAL (SQLite's own
rule, unchanged).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

logger = logging.getLogger(__name__)

# How soon after a commit its frames are copied into the database file.
INTERVAL_SECONDS = 1.0
# How often a process checkpoints when it committed nothing itself.
IDLE_SECONDS = 10.0

_checkpointers: dict[str, Checkpointer] = {}  # database path -> this process's checkpointer
_registry_lock = threading.Lock()


class Checkpointer:
    """The checkpoints of one database file in this process."""

    def __init__(self, path: str, *, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.pid = os.getpid()
        self._due = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None

    def start(self) -> None:
        """Run this database's checkpoints from a thread of this process (once)."""
        if self._thread is None:
            with _registry_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, daemon=True,
                                                    name="sqlite-checkpoint")
                    self._thread.start()

    def note_commit(self) -> None:
        """A transaction of this process committed: its frames are to be copied soon."""
        self._due.set()

    @property
    def due(self) -> bool:
        return self._due.is_set()

    def run_once(self) -> tuple[int, int, int]:
        """A PASSIVE checkpoint now: SQLite's (busy, frames in the WAL, frames copied)."""
        self._due.clear()
        if self._connection is None:
            # Never closed: closing a descriptor of the database would drop this process's
            # POSIX locks on it. isolation_level=None: the PRAGMA opens no transaction.
            self._connection = sqlite3.connect(self.path, timeout=0, isolation_level=None,
                                               check_same_thread=False)
            self._connection.execute("PRAGMA wal_autocheckpoint=0")
        return tuple(self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())

    def _loop(self) -> None:
        while True:
            # Soon after a commit of this process; otherwise now and then, for the writes no
            # transaction of this process announced (autocommit statements, other processes).
            if self._due.wait(IDLE_SECONDS):
                # Let the commits of the next moment join this round rather than one round each.
                time.sleep(self.interval)
            try:
                self.run_once()
            except sqlite3.Error:
                # A checkpoint that failed loses nothing (the frames stay in the WAL, readable);
                # the next round copies them.
                logger.exception("WAL checkpoint of %s failed", self.path)


def _fresh_lock_in_child() -> None:
    global _registry_lock
    _registry_lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


def checkpointer(path: str) -> Checkpointer:
    """This process's checkpointer of `path` (a forked child gets its own)."""
    found = _checkpointers.get(path)
    if found is None or found.pid != os.getpid():
        with _registry_lock:
            found = _checkpointers.get(path)
            if found is None or found.pid != os.getpid():
                found = _checkpointers[path] = Checkpointer(path)
    return found
