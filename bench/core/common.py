"""Shared parts of the core benchmarks: arguments, a fresh database per run, the server, figures.

Every benchmark starts its own `tanggap serve` on 127.0.0.1 (see tanggap.testing.liveserver) and
prepares data with seed.py in a subprocess that shares the server's environment. Nothing here
talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tanggap.testing.liveserver import LiveServer

HERE = Path(__file__).resolve().parent


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                   help="postgres://user@127.0.0.1:PORT/any: a fresh database is created on that "
                        "server for the run and dropped after (default: embedded SQLite in a "
                        "temp dir; env BENCH_DATABASE_URL)")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""),
                   help="redis://127.0.0.1:PORT/0 for the Redis channel layer "
                        "(env BENCH_REDIS_URL)")
    p.add_argument("--quick", action="store_true", help="a smaller, faster run")
    p.add_argument("--server-workers", type=int, default=1,
                   help="web server processes (`tanggap serve --workers N`)")
    p.add_argument("--no-worker", action="store_true",
                   help="serve without the task worker (default: with, as users run it)")
    # The server is started by tanggap.testing.liveserver, which keeps the caller's TANGGAP_*
    # variables out of it: a setting under test must be passed on explicitly.
    p.add_argument("--set", "--server-env", dest="settings", type=_setting, action="append",
                   default=[], metavar="NAME=VALUE",
                   help="an environment setting of the server under test (repeatable), e.g. "
                        "TANGGAP_FAST_INTAKE=0 for a before/after in one run")
    return p


def _setting(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"takes NAME=VALUE, not {item!r}")
    return name, value


def settings_title(args) -> str:
    """The --set settings for a table's title: ", NAME=VALUE" each."""
    return "".join(f", {name}={value}" for name, value in args.settings)


@contextlib.contextmanager
def in_process_desk(prefix: str) -> Iterator[str]:
    """For a benchmark that runs the desk in its own process: a temp data dir (its SQLite file
    and keys) and the settings' environment, before django.setup(); both dirs removed after."""
    data = tempfile.mkdtemp(prefix=prefix)
    os.environ["TANGGAP_DATA_DIR"] = data
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-long-enough-0123456789abcdef")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        yield data
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(data + "-keys", ignore_errors=True)


def backend_label(database_url: str, redis_url: str = "") -> str:
    db = "postgresql" if database_url.startswith(("postgres://", "postgresql://")) else "sqlite"
    return db + ("+redis" if redis_url else "")


def _check_local(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"benchmarks only target 127.0.0.1; refusing {host!r}")


@contextlib.contextmanager
def fresh_database(database_url: str, name: str) -> Iterator[str]:
    """Yield a DATABASE_URL for this run: "" (SQLite in the server's dir) or a new PG database."""
    if not database_url:
        yield ""
        return
    _check_local(database_url)
    import psycopg

    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    db_name = f"bench_{name}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + db_name))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


@contextlib.contextmanager
def server_for(args, name: str) -> Iterator[LiveServer]:
    """A migrated, not yet started server with its own data dir (and fresh database)."""
    if args.redis_url:
        _check_local(args.redis_url)
    with fresh_database(args.database_url, name) as db_url:
        server = LiveServer.temporary(database_url=db_url, redis_url=args.redis_url,
                                      prefix=f"tanggap-bench-{name}-")
        server.extra_env.update(args.settings)
        try:
            server.cli("migrate", "-v", "0", timeout=600)
            yield server
            server.stop()
            log = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
            if "Traceback" in log or " ERROR " in log:
                # Errors are figures too: show what the server said before its dir goes.
                print("\nserver errors during the run:\n" + server.log_tail(4000), file=sys.stderr)
        except BaseException:
            server.stop()
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.close()


def wait_for_quiet(max_load: float | None, *, poll_s: float = 5, max_wait_s: float = 3600) -> str:
    """Before measuring: wait until the 1-minute load average is below `max_load` (None: do
    not wait). Returns what happened, for the printout; never measures on a timeout silently."""
    if max_load is None:
        return f"not waited for (load {os.getloadavg()[0]:.1f})"
    waited = 0.0
    while os.getloadavg()[0] >= max_load:
        if waited >= max_wait_s:
            return f"still {os.getloadavg()[0]:.1f} after waiting {waited:.0f} s (measured anyway)"
        time.sleep(poll_s)
        waited += poll_s
    return f"{os.getloadavg()[0]:.1f} after waiting {waited:.0f} s"


def seed(server: LiveServer, *args: str, timeout: float = 1800) -> dict:
    """Run seed.py with the server's environment; return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, str(HERE / "seed.py"), *args], env=server.env, cwd=server.data_dir,
        capture_output=True, text=True, timeout=timeout,
    )
    if done.returncode != 0:
        raise SystemExit(f"seed.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(round(q / 100 * len(ordered) + 0.4999)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_row(label: str, seconds: list[float]) -> list[str]:
    ms = [s * 1000 for s in seconds]
    return [label, str(len(ms)), f"{percentile(ms, 50):.1f}", f"{percentile(ms, 95):.1f}",
            f"{percentile(ms, 99):.1f}", f"{max(ms):.1f}", f"{statistics.fmean(ms):.1f}"]


LATENCY_HEADER = ["what", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean ms"]


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(f"\n## {title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


class Deadline:
    """A hard time bound for a benchmark loop."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.end


# The status counted for a request that got no HTTP answer (refused, reset, timed out).
NO_ANSWER = 0


def warm_up(http, server: LiveServer, bound: float = 180) -> bool:
    """Knock at GET /api/v1/health on `http` until it answers 200 (True) or `bound` seconds
    pass (False): a client's first answer, outside any measurement."""
    import httpx

    limit = Deadline(bound)
    while not limit.passed():
        try:
            if http.get(server.url + "/api/v1/health").status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


class StartLine:
    """A barrier for `clients` threads and the caller that starts the clock as it opens: the
    measured window (`deadline`, `started`) begins only when every client is warm."""

    def __init__(self, clients: int, seconds: float):
        import threading

        self.seconds = seconds
        self.deadline: Deadline | None = None
        self.started = 0.0
        self.failures: list[str] = []
        self._barrier = threading.Barrier(clients + 1, action=self._start_clock)

    def _start_clock(self) -> None:
        # Run by one thread as the barrier opens, before any thread passes it.
        self.deadline = Deadline(self.seconds)
        self.started = time.perf_counter()

    def client_ready(self) -> bool:
        """Called by a warm client; False if the run was called off."""
        import threading

        try:
            self._barrier.wait()
        except threading.BrokenBarrierError:
            return False
        return True

    def client_failed(self, why: str) -> None:
        self.failures.append(why)
        self._barrier.abort()

    def go(self, threads) -> None:
        """Called by the caller once the threads are started: waits until all are warm, or
        joins them and ends the run if one could not warm up."""
        import threading

        try:
            self._barrier.wait()
        except threading.BrokenBarrierError:
            for t in threads:
                t.join()
            raise SystemExit("warm-up failed: " + "; ".join(self.failures)) from None

    def wall(self) -> float:
        return time.perf_counter() - self.started


def run_clients(server: LiveServer, *, clients: int, total: int, seconds: float,
                send, headers: dict | None = None,
                warm_up_bound: float = 180) -> tuple[list[float], dict[int, int], float]:
    """`clients` threads, each with its own keep-alive connection, call `send(http, n, worker)`
    (returning the HTTP status) for n = 0, 1, ... until `total` requests or `seconds` pass.
    Returns the latencies in seconds, the count of each status, and the wall time.

    The clock starts only once every client has had one answer from the server (`warm_up`):
    with several web processes still importing on a busy machine the warm-up can take longer
    than the whole window, which must not eat it. A request that gets no answer is counted
    under NO_ANSWER (with the time it took to fail) rather than ending its client's thread; a
    server that does not answer every client within `warm_up_bound` seconds ends the run."""
    import itertools
    import threading

    import httpx

    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = StartLine(clients, seconds)

    def client(worker: int) -> None:
        with httpx.Client(headers=headers or {}, timeout=30) as http:
            if not warm_up(http, server, warm_up_bound):
                start.client_failed(f"client {worker}: no answer from the server within "
                                    f"{warm_up_bound:.0f} s")
                return
            if not start.client_ready():
                return
            while not start.deadline.passed():
                n = next(counter)
                if n >= total:
                    return
                t0 = time.perf_counter()
                try:
                    status = send(http, n, worker)
                except httpx.HTTPError:
                    status = NO_ANSWER
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.go(threads)
    for t in threads:
        t.join()
    wall = start.wall()
    if statuses.get(NO_ANSWER):
        print(f"{statuses[NO_ANSWER]} request(s) got no answer (counted as status "
              f"{NO_ANSWER})", file=sys.stderr)
    return latencies, statuses, wall


async def listen_for_inbound(url: str, cookie: str, origin: str, index: int, arrivals: dict,
                             ready, stop, *, clock=time.perf_counter,
                             addrs: list | None = None) -> None:
    """One inbox websocket logged in with `cookie`: record, per (listener, case), when the first
    "inbound" case event arrived (by `clock`) until `stop` is set. With `addrs`, note the local
    port so a caller can tell which server process holds the connection."""
    import asyncio
    import json

    import websockets

    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": origin},
                                  open_timeout=10) as ws:
        hello = json.loads(await ws.recv())
        assert hello.get("kind") == "hello", hello
        if addrs is not None:
            addrs.append((index, ws.local_address[1]))
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.2)
            except TimeoutError:
                continue
            arrived = clock()
            event = json.loads(raw)
            if event.get("kind") == "case" and event.get("reason") == "inbound":
                arrivals.setdefault((index, event["case_id"]), arrived)
