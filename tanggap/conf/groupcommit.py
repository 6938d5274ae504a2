"""Group commit on the embedded database: writers of one process that arrive together share one
write transaction, and so one fsync.

On SQLite every write transaction takes the one database write lock and, at the default
`synchronous=full`, waits for the disk at its commit (docs/configuration.md). A burst of
citizen messages or webhooks therefore queued on the lock, one commit each. Here a writer puts
its work (a function) on this process's queue; the first writer to get the leader's turn runs
everything queued, each piece in a savepoint of its own, and commits once. Whoever arrives while
that batch commits waits for the next one, which the next leader takes. So throughput rises with
concurrency instead of queueing on the lock.

What each caller is promised, exactly as with its own transaction:
- `run` returns (or raises) only after the transaction holding the caller's rows has committed:
  nothing is acknowledged before it is durable, and a crash between the batch and the answers
  loses nothing that was acknowledged (nobody was answered yet).
- A piece of work that raises is rolled back to its own savepoint and its caller gets the
  exception; the others of its batch are committed.
- A piece runs with its caller's active language; its on_commit callbacks run after the batch
  commits, in the caller's own thread.
- If the commit itself fails, every caller of that batch gets the error and nothing of it is stored.

Only on SQLite (PostgreSQL commits rows of different writers concurrently and groups fsyncs
itself), only when the caller is not inside a transaction already (then the work simply joins
it), and only while TANGGAP_GROUP_COMMIT is on (the default).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation

logger = logging.getLogger(__name__)

# A batch is bounded so that its first writer does not wait behind an unbounded crowd.
MAX_BATCH = 64


class _Work:
    __slots__ = ("fn", "language", "result", "error", "done", "hooks")

    def __init__(self, fn: Callable[[], Any], language: str | None):
        self.fn = fn
        self.language = language
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.hooks: list = []  # its on_commit callbacks, run by its own caller after commit


_queue: deque[_Work] = deque()
_queue_lock = threading.Condition()  # notified at each arrival (waiting_at_least)
_leader = threading.Lock()

# Test seams: called with the batch just before its COMMIT and just after it, before any caller
# is answered (the crash tests end the process there).
before_commit: Callable[[list[_Work]], None] | None = None
after_commit: Callable[[list[_Work]], None] | None = None
# Told the size of every batch committed (benchmarks report it).
observer: Callable[[int], None] | None = None


def _fresh_locks_in_child() -> None:
    # A forked child has none of its parent's threads: whatever they held or queued is not its.
    global _queue_lock, _leader, _queue
    _queue_lock, _leader, _queue = threading.Condition(), threading.Lock(), deque()


os.register_at_fork(after_in_child=_fresh_locks_in_child)


def enabled() -> bool:
    return (settings.TANGGAP_GROUP_COMMIT and connection.vendor == "sqlite"
            and not connection.in_atomic_block)


def run(fn: Callable[[], Any]) -> Any:
    """`fn()` in a write transaction (shared with other threads' work when group commit is on);
    its result once that transaction has committed, or its exception."""
    if not enabled():
        with transaction.atomic():
            return fn()
    work = _Work(fn, translation.get_language())
    with _queue_lock:
        _queue.append(work)
        _queue_lock.notify_all()
    while not work.done:
        with _leader:
            if not work.done:
                _lead()
    if work.error is not None:
        raise work.error
    _run_hooks(work.hooks)
    return work.result


def _run_hooks(hooks: list) -> None:
    # As Django runs on_commit callbacks: in order, a robust one's failure only logged. They run
    # in the caller's thread, not the leader's, so a slow one (a live push) holds up its own
    # caller only, never the next batch.
    for _sids, func, robust in hooks:
        if not robust:
            func()
            continue
        try:
            func()
        except Exception:
            logger.exception("an on_commit callback failed")


def waiting_at_least(count: int, timeout: float) -> bool:
    """Whether `count` pieces of work are queued (waiting up to `timeout` seconds for them):
    lets a test line a batch up while it holds the leader's turn."""
    with _queue_lock:
        return _queue_lock.wait_for(lambda: len(_queue) >= count, timeout)


def _lead() -> None:
    with _queue_lock:
        batch = [_queue.popleft() for _ in range(min(MAX_BATCH, len(_queue)))]
    if batch:
        _commit(batch)


def _commit(batch: list[_Work]) -> None:
    committed = []
    try:
        with transaction.atomic():
            # First hook of the batch: runs first after COMMIT, so a later hook that fails
            # cannot make a committed batch look lost.
            transaction.on_commit(lambda: committed.append(True))
            for work in batch:
                _run_one(work, alone=len(batch) == 1)
            if before_commit is not None:
                before_commit(batch)
    except BaseException as exc:
        if committed:
            logger.exception("an after-commit hook of a group commit failed")
        else:
            for work in batch:
                work.result, work.error = None, exc
        if not isinstance(exc, Exception):
            _finish(batch, committed)
            raise
    _finish(batch, committed)


def _finish(batch: list[_Work], committed: list) -> None:
    if committed and after_commit is not None:
        after_commit(batch)
    if committed and observer is not None:
        observer(len(batch))
    for work in batch:
        work.done = True


def _run_one(work: _Work, *, alone: bool) -> None:
    hooks_before = len(connection.run_on_commit)
    with translation.override(work.language):
        if alone:
            # Nothing to protect from it: if it fails, the whole transaction rolls back, which
            # is exactly its own work. Spares the SAVEPOINT pair.
            work.result = work.fn()
        else:
            try:
                with transaction.atomic():
                    work.result = work.fn()
            except Exception as exc:
                work.error = exc
    # Its callbacks leave the batch's list (a rolled-back savepoint's are already gone) and go
    # with it to its caller, who runs them once the batch has committed.
    work.hooks = connection.run_on_commit[hooks_before:]
    connection.run_on_commit = connection.run_on_commit[:hooks_before]
