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

`run` batches only on SQLite (PostgreSQL commits rows of different writers concurrently and
groups fsyncs itself), only when the caller is not inside a transaction already (then the work
simply joins it), and only while TANGGAP_GROUP_COMMIT is on (the default).

The same queue has a second door, `submit`, for the ASGI server's webhook intake
(connectors/intake.py): the event loop must not wait, so it queues the work with a function to
call once the batch holding it has committed, and this process's storing thread leads the
batches. (The inbound API's fast path, api/intake.py, calls the ingest action from a small
thread pool instead, so that the action's work before its transaction stays outside the batch
and off SQLite's write lock; the action's writes come through `run`, onto this same queue.)
The storing thread and `run`'s callers take the leader's turn from the same lock, so a batch may
hold both kinds and every write of the process goes through one mechanism, with the same
promises (a submitted piece's after-commit hooks run in the thread that led its batch, before it
is told). A submitted piece is batched on
PostgreSQL too (one storing thread per process: one transaction per piece would cap a process at
one commit at a time); with TANGGAP_GROUP_COMMIT=0 each is its own transaction.

A batch is taken once its transaction has begun (on SQLite, once it holds the database's write
lock): what arrived while the leader waited for the lock (another process committing) joins
this batch instead of waiting for the next one. A transaction that cannot begin fails what was
queued then, rather than leaving it waiting for a database that may not come back.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import translation

logger = logging.getLogger(__name__)

# A batch is bounded so that its first writer does not wait behind an unbounded crowd.
MAX_BATCH = 64


class _Work:
    __slots__ = ("fn", "language", "result", "error", "done", "hooks", "tell", "handle")

    def __init__(self, fn: Callable[[], Any], language: str | None,
                 tell: Callable[[list[_Work]], None] | None = None, handle: Any = None):
        self.fn = fn
        self.language = language
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.hooks: list = []  # its on_commit callbacks, run by its own caller after commit
        # submit's: told with every piece of a batch that shares it; the submitter's handle.
        self.tell = tell
        self.handle = handle


_queue: deque[_Work] = deque()
_queue_lock = threading.Condition()  # notified at each arrival (waiting_at_least)
_leader = threading.Lock()
_storing_thread: threading.Thread | None = None

# Test seams: called with the batch just before its COMMIT and just after it, before any caller
# is answered (the crash tests end the process there).
before_commit: Callable[[list[_Work]], None] | None = None
after_commit: Callable[[list[_Work]], None] | None = None
# Told the size of every batch committed (benchmarks report it).
observer: Callable[[int], None] | None = None


def _fresh_locks_in_child() -> None:
    # A forked child has none of its parent's threads: whatever they held or queued is not its.
    global _queue_lock, _leader, _queue, _storing_thread
    _queue_lock, _leader, _queue = threading.Condition(), threading.Lock(), deque()
    _storing_thread = None


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


def submit(fn: Callable[[], Any], *, tell: Callable[[list[_Work]], None], handle: Any = None,
           language: str | None = None) -> None:
    """Queue `fn` for this process's storing thread and return at once. Once the transaction
    holding it has committed (or failed), and its after-commit hooks have run, `tell` is called,
    from the thread that led the batch, with the pieces of that batch submitted with this same
    `tell` (one call per batch: an event loop is woken once, not once per request). Each piece
    carries its `handle`, and `result` or `error` as `run` would return or raise them."""
    global _storing_thread
    work = _Work(fn, language, tell, handle)
    with _queue_lock:
        if _storing_thread is None:
            _storing_thread = threading.Thread(target=_store_forever, name="group-commit",
                                               daemon=True)
            _storing_thread.start()
        _queue.append(work)
        _queue_lock.notify_all()


def _store_forever() -> None:
    while True:
        with _queue_lock:
            _queue_lock.wait_for(lambda: _queue)
        try:
            with _leader:
                _lead()
        except Exception:  # every piece has been told; the thread must go on for the next ones
            logger.exception("a group commit failed")
        finally:
            # What Django does at the end of each request: drop a connection that failed or aged.
            close_old_connections()


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


def take(batch: list[_Work]) -> None:
    """Move what one transaction stores from the queue into `batch`: everything queued, up to
    MAX_BATCH; one piece with TANGGAP_GROUP_COMMIT=0 (only submitted pieces queue then)."""
    most = MAX_BATCH if settings.TANGGAP_GROUP_COMMIT else 1
    with _queue_lock:
        batch.extend(_queue.popleft() for _ in range(min(most, len(_queue))))


def _lead() -> None:
    with _queue_lock:
        if not _queue:
            return
    _commit([])


def _commit(batch: list[_Work]) -> None:
    committed = []
    try:
        with transaction.atomic():
            take(batch)  # now that the transaction holds the write lock (see above)
            # First hook of the batch: runs first after COMMIT, so a later hook that fails
            # cannot make a committed batch look lost.
            transaction.on_commit(lambda: committed.append(True))
            for work in batch:
                _run_one(work, alone=len(batch) == 1)
            if before_commit is not None:
                before_commit(batch)
    except BaseException as exc:
        if not batch:
            take(batch)  # the transaction could not begin: what waits now is told so
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
    told: dict[Callable, list[_Work]] = {}
    for work in batch:
        if work.tell is not None:
            if work.error is None:
                _run_hooks_of_submitted(work)
            told.setdefault(work.tell, []).append(work)
        work.done = True
    for tell, works in told.items():
        try:
            tell(works)
        except Exception:
            logger.exception("a group commit's submitter could not be told")


def _run_hooks_of_submitted(work: _Work) -> None:
    # As Django would after the submitter's own commit; a failing one is logged, the piece's
    # rows are committed all the same and its submitter is told so.
    try:
        _run_hooks(work.hooks)
    except Exception:
        logger.exception("an on_commit callback failed")


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
