"""A pool of threads that gives each job to the thread that finished its last job most recently.

Why: each thread of the ASGI server's pools (the fast paths', api/intake.py and
api/fastclaim.py, and a2wsgi's for Django's path, tanggap/asgi.py) has its own SQLite
connection, and SQLite empties a connection's page cache whenever another connection has written
since that connection's last transaction. `ThreadPoolExecutor` hands jobs to its idle threads in
turn, so requests arriving one at a time (a desk's ordinary day) each found a connection whose
cache the previous request had just emptied, and read every page they touched from the
operating system again: 61 `pread` calls per inbound in-process against 2 on one connection
(`strace -c`, docs/performance.md). Given to the thread that finished last, the next job finds
the connection that wrote last, its cache still good. Under load every thread is busy and this
changes nothing; nor does it help when another process wrote in between.

Otherwise it behaves as `ThreadPoolExecutor` does for `submit` (what asyncio's
`run_in_executor` calls): at most `threads` threads, started on demand; jobs beyond them wait in
order; a job's exception goes to its future; a job cancelled before it started is skipped.
Unlike it, `shutdown` (Executor's) does nothing: the threads are daemons, idle between jobs
until the process ends; the server's pools live as long as their process.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from concurrent.futures import Executor, Future

_pools: weakref.WeakSet[WarmPool] = weakref.WeakSet()


def _empty_in_child() -> None:
    # A forked child has none of its parent's threads: idle workers listed here are not its own.
    for pool in list(_pools):
        pool._lock = threading.Lock()
        pool._idle, pool._waiting, pool._started = [], deque(), 0


os.register_at_fork(after_in_child=_empty_in_child)


class _Worker:
    __slots__ = ("wake", "job")

    def __init__(self, job):
        self.wake = threading.Event()
        self.job = job


class WarmPool(Executor):
    def __init__(self, threads: int, name: str):
        if threads < 1:
            raise ValueError("a pool needs at least one thread")
        self.threads = threads
        self.name = name
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []  # a stack: its last is the thread that went idle last
        self._waiting: deque = deque()  # jobs no thread was free for, in order
        self._started = 0
        _pools.add(self)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        job = (future, fn, args, kwargs)
        with self._lock:
            if self._idle:
                worker = self._idle.pop()
                worker.job = job
                worker.wake.set()
            elif self._started < self.threads:
                self._started += 1
                threading.Thread(target=self._work, args=(_Worker(job),), daemon=True,
                                 name=f"{self.name}_{self._started}").start()
            else:
                self._waiting.append(job)
        return future

    def _work(self, worker: _Worker) -> None:
        while True:
            future, fn, args, kwargs = worker.job
            worker.job = None
            ran = future.set_running_or_notify_cancel()
            result = error = None
            if ran:
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    error = exc
            # Idle (or on to a waiting job) before the caller is told, so that a caller who
            # submits again as soon as its answer came finds this thread, not a new one.
            with self._lock:
                next_job = self._waiting.popleft() if self._waiting else None
                if next_job is None:
                    worker.wake.clear()
                    self._idle.append(worker)
            if ran:
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            del future, fn, args, kwargs, result, error  # nothing of a job kept while idle
            if next_job is not None:
                worker.job = next_job
                continue
            worker.wake.wait()
