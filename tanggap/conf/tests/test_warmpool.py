"""The fast paths' pool: the next job goes to the thread that finished last; otherwise as
ThreadPoolExecutor's submit."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from tanggap.conf.warmpool import WarmPool


def _name() -> str:
    return threading.current_thread().name


def _blocked(release: threading.Event, started: threading.Event | None = None):
    def job():
        if started is not None:
            started.set()
        release.wait()
        return _name()

    return job


def test_jobs_one_at_a_time_all_run_on_one_thread():
    pool = WarmPool(8, "t")
    names = [pool.submit(_name).result() for _ in range(20)]
    assert names == ["t_1"] * 20


def test_the_thread_that_finished_last_takes_the_next_job():
    pool = WarmPool(3, "t")
    releases = [threading.Event() for _ in range(3)]
    starts = [threading.Event() for _ in range(3)]
    futures = []
    for release, started in zip(releases, starts, strict=True):
        futures.append(pool.submit(_blocked(release, started)))
        # Each job holds its thread, so the next one starts a thread of its own (the bound is
        # on a failure only: a started job says so at once).
        assert started.wait(60)
    finished = []
    for i in (1, 0, 2):  # t_2, then t_1, then t_3 finish, one after the other
        releases[i].set()
        finished.append(futures[i].result())
    assert finished == ["t_2", "t_1", "t_3"]
    assert pool.submit(_name).result() == "t_3"
    assert pool.submit(_name).result() == "t_3"


def test_no_more_threads_than_asked_and_every_job_runs():
    pool = WarmPool(2, "t")
    release = threading.Event()
    order = []
    lock = threading.Lock()

    def noted(n):
        def job():
            release.wait()
            with lock:
                order.append(n)
            return _name()
        return job

    futures = [pool.submit(noted(n)) for n in range(6)]
    release.set()
    names = {f.result() for f in futures}
    assert names == {"t_1", "t_2"}
    assert sorted(order) == [0, 1, 2, 3, 4, 5]
    assert pool._started == 2


def test_waiting_jobs_start_in_the_order_submitted():
    pool = WarmPool(1, "t")
    release = threading.Event()
    first = pool.submit(_blocked(release))
    started = []
    later = [pool.submit(started.append, n) for n in range(5)]
    release.set()
    first.result()
    for future in later:
        future.result()
    assert started == [0, 1, 2, 3, 4]


def test_an_error_goes_to_its_future_and_the_thread_goes_on():
    pool = WarmPool(1, "t")

    def fails():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        pool.submit(fails).result()
    assert pool.submit(_name).result() == "t_1"


def test_a_job_cancelled_before_it_started_does_not_run():
    pool = WarmPool(1, "t")
    release = threading.Event()
    first = pool.submit(_blocked(release))
    ran = []
    cancelled = pool.submit(ran.append, "cancelled")
    assert cancelled.cancel() is True
    after = pool.submit(ran.append, "after")
    release.set()
    first.result()
    after.result()
    assert ran == ["after"]
    assert cancelled.cancelled() is True


def test_asyncio_runs_jobs_in_it():
    pool = WarmPool(2, "t")

    async def main():
        loop = asyncio.get_running_loop()
        return [await loop.run_in_executor(pool, _name) for _ in range(3)]

    assert asyncio.run(main()) == ["t_1", "t_1", "t_1"]


def test_a_pool_needs_a_thread():
    with pytest.raises(ValueError):
        WarmPool(0, "t")


def test_a_forked_child_starts_threads_of_its_own():
    """The parent's idle thread does not exist in a child: the child's first job must start a
    thread of its own rather than be handed to it (and never run)."""
    pool = WarmPool(1, "t")
    assert pool.submit(_name).result() == "t_1"  # now one idle thread, in the parent only
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            # A bound on a failure only: the job is a name lookup.
            answer = pool.submit(_name).result(timeout=60).encode()
        except BaseException as exc:
            answer = repr(exc).encode()
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    os.waitpid(pid, 0)
    assert said == b"t_1"
    assert pool.submit(_name).result() == "t_1"


def test_the_django_path_runs_its_requests_in_a_warm_pool(monkeypatch):
    """tanggap.asgi gives a2wsgi a WarmPool for its `executor`, which a2wsgi hands each request
    to: two requests one after the other run on one thread."""
    import tanggap.asgi

    app = tanggap.asgi.http_application
    assert isinstance(app.executor, WarmPool)
    seen = []

    def wsgi(environ, start_response):
        seen.append(_name())
        start_response("204 No Content", [])
        return [b""]

    monkeypatch.setattr(app, "app", wsgi)

    async def get() -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": "/", "raw_path": b"/",
                 "query_string": b"", "root_path": "", "headers": [],
                 "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    async def twice():
        return [await get(), await get()]

    assert asyncio.run(twice()) == [204, 204]
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0].startswith("wsgi_")
