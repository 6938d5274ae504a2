"""WAL checkpoints off the request path: each process that commits checkpoints from a thread of
its own, never inside a commit.

SQLite's default (`wal_autocheckpoint=1000`) runs a checkpoint inside the commit that takes the
WAL past 1,000 pages: copying the WAL into the database file, with its fsyncs, in that
request, while this backend's write lock (tanggap.conf.sqlite.base) is still held, so every
writer of the machine waited behind it (10-40 ms, about once per 150 claims: docs/performance.md,
"Claims"). The desk's connections therefore set `wal_autocheckpoint=0` (tanggap.conf.env), and each
process runs PASSIVE checkpoints from a thread, on a connection of its own: a PASSIVE checkpoint
takes no write lock (writers go on appending to the WAL meanwhile) and waits for nobody.

The WAL stays bounded: every process with a connection checkpoints after EVERY_COMMITS of its
own commits and at least every IDLE_SECONDS, and once a checkpoint has copied every frame
the next writer starts the WAL from its beginning again. A frame a reader still needs is copied
by a later round. The last connection to close checkpoints and removes the WAL (SQLite's own
rule, unchanged): so the checkpointer's connection is closed when the process exits, else it
would outlive every other and a short command (a restore refused, a migrate) would leave the
WAL and its index behind.
"""

from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import threading

logger = logging.getLogger(__name__)

# A process checkpoints after this many commits of its own (a claim's commit adds ~5-10 pages
# to the WAL: about SQLite's default of 1,000 pages between two checkpoints of the machine's two
# web processes), or IDLE_SECONDS after its last checkpoint, whichever comes first. Not more
# often: a checkpoint's fsync of the database file delays the fsync of any commit made while it
# runs (traced at one checkpoint a second: 5-6 claims a run waited 60-90 ms so).
EVERY_COMMITS = 100
IDLE_SECONDS = 5.0

_checkpointers: dict[str, Checkpointer] = {}  # database path -> this process's checkpointer
_registry_lock = threading.Lock()


class Checkpointer:
    """The checkpoints of one database file in this process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pid = os.getpid()
        self.commits = 0  # since the last checkpoint (approximate: not under a lock)
        self._due = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        self._using = threading.Lock()  # the connection: the thread's round or the exit's close
        self._closed = False

    def start(self) -> None:
        """Run this database's checkpoints from a thread of this process (once)."""
        if self._thread is None:
            with _registry_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, daemon=True,
                                                    name="sqlite-checkpoint")
                    self._thread.start()

    def note_commit(self) -> None:
        """A transaction of this process committed: its frames are to be copied."""
        self.commits += 1
        if self.commits >= EVERY_COMMITS:
            self._due.set()

    @property
    def due(self) -> bool:
        """Whether enough commits were made to wake the thread before IDLE_SECONDS."""
        return self._due.is_set()

    def run_once(self) -> tuple[int, int, int]:
        """A PASSIVE checkpoint now: SQLite's (busy, frames in the WAL, frames copied)."""
        self._due.clear()
        self.commits = 0
        with self._using:
            if self._closed:
                return (0, -1, -1)
            if self._connection is None:
                # Kept open while the process runs. isolation_level=None: the PRAGMA opens
                # no transaction.
                self._connection = sqlite3.connect(self.path, timeout=0, isolation_level=None,
                                                   check_same_thread=False)
                self._connection.execute("PRAGMA wal_autocheckpoint=0")
            return tuple(self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())

    def close(self) -> None:
        """Close the checkpointer's connection for good (at the process's exit)."""
        with self._using:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _loop(self) -> None:
        while True:
            # After EVERY_COMMITS of this process, or now and then (a checkpoint with nothing
            # to copy costs nothing), which also covers the writes no transaction of this
            # process announced (autocommit statements, other processes).
            self._due.wait(IDLE_SECONDS)
            try:
                self.run_once()
            except sqlite3.Error:
                # A checkpoint that failed loses nothing (the frames stay in the WAL, readable);
                # the next round copies them.
                logger.exception("WAL checkpoint of %s failed", self.path)


@atexit.register
def _close_at_exit() -> None:
    for found in list(_checkpointers.values()):
        if found.pid == os.getpid():
            found.close()


def _ours() -> list[Checkpointer]:
    return [found for found in list(_checkpointers.values()) if found.pid == os.getpid()]


def _before_fork() -> None:
    # A round in progress holds SQLite's own mutexes of the database file (its in-process
    # record of the file's locks and shared memory, which every connection to that file in the
    # process shares); a child forked meanwhile inherits them held, by a thread it does not
    # have, and its first connection to the file waits forever (one of twelve forked claimers
    # hung so in test_races). So a fork waits for the round, and the checkpointer's connection
    # is closed: the child inherits no connection at all, and the parent reopens it at its
    # next round.
    for found in _ours():
        found._using.acquire()
        if found._connection is not None:
            found._connection.close()
            found._connection = None


def _after_fork_in_parent() -> None:
    for found in _ours():
        found._using.release()


def _after_fork_in_child() -> None:
    global _registry_lock
    _registry_lock = threading.Lock()
    # The forking thread held these locks, and it is the one thread the child has.
    for found in list(_checkpointers.values()):
        if found._using.locked():
            found._using.release()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)


def checkpointer(path: str) -> Checkpointer:
    """This process's checkpointer of `path` (a forked child gets its own)."""
    found = _checkpointers.get(path)
    if found is None or found.pid != os.getpid():
        with _registry_lock:
            found = _checkpointers.get(path)
            if found is None or found.pid != os.getpid():
                found = _checkpointers[path] = Checkpointer(path)
    return found
