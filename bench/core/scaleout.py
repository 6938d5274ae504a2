"""Scale-out on PostgreSQL + Redis: throughput per process count, with the guarantees checked.

    .venv/bin/python bench/core/scaleout.py --database-url postgres://postgres@127.0.0.1:PORT/x \
        --redis-url redis://127.0.0.1:PORT/0 [--processes 1,2,4] [--seconds 15] [--clients 16] \
        [--webhook-seconds 10] [--replies 100]
    bench/core/scaleout.sh [same options]     # starts PostgreSQL and Redis itself, as root

For each process count N, on a fresh database: `tanggap serve --workers N --no-worker` (N web
processes) and `tanggap worker --processes N --with-periodic` (N task workers and the periodic
runner), live events through Redis, a fake Facebook/X on 127.0.0.1 (bench/connectors/harness.py).
The phases start once the processes have finished starting (their CPU falls idle) and every
client has had an answer.

1. Inbound: `--clients` threads post POST /api/v1/inbound for `--seconds` (70 % new citizens,
   30 % follow-ups, every 50th a redelivery of the previous platform id), keep-alive connections.
2. Webhooks: signed Facebook comment webhooks for `--webhook-seconds` (acknowledged once the raw
   body is stored), then the wait until the workers have ingested them all (the drain).
3. Replies: `--replies` cases opened on the Facebook and X channels and claimed by operators,
   then one reply each through the REST API, delivered by the workers to the fake platform.

CPU seconds of each part are read from /proc (the web processes' group, the workers' group, the
postmaster and its backends when the database server is on this host and we may read its data
directory) and Redis INFO, before and after each phase, and printed per inbound request and per
reply: the figures that size machines, where the rates depend on what else shares the cores.

Checked after each run, straight in PostgreSQL and at the fake platform: every acknowledged
inbound message and webhook comment stored exactly once (none lost, none doubled), every reply posted exactly once
(no double reply). Any breach ends the run with a non-zero status. Bounded in time and requests;
talks to 127.0.0.1 only. The load generator shares the machine's cores with the desk, PostgreSQL
and Redis, so past the core count more processes cannot show more throughput here.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "connectors"))
from common import (  # noqa: E402
    LATENCY_HEADER,
    NO_ANSWER,
    latency_row,
    parser,
    run_clients,
    seed,
    server_for,
)
from common import table as print_table  # noqa: E402
from harness import FlakyPlatform, FlakyPlatformServer  # noqa: E402
from outbound import PAGE, X_HANDLE, X_USER_ID, _cases, _phase  # noqa: E402


def _workers(server, processes: int) -> subprocess.Popen:
    log = open(server.data_dir / "worker.log", "ab")  # noqa: SIM115 - closed after the start
    proc = subprocess.Popen(
        [sys.executable, "-m", "tanggap.cli", "worker", "--processes", str(processes),
         "--with-periodic"], env=server.env, cwd=server.data_dir, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# -- CPU time of the parts, from /proc (Linux): what sizes machines, not a rate on a shared box --

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces): state, ppid, pgrp, ...
    return text[text.rindex(")") + 2:].split()


def _cpu_of(fields: list[str]) -> float:
    # utime + stime + cutime + cstime: a child that exited and was waited for is in its
    # parent's cutime/cstime, one still running in its own utime/stime, never in both.
    return sum(int(x) for x in fields[11:15]) / TICK


def _all_stats() -> dict[int, list[str]]:
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := _stat(int(name))) is not None:
            out[int(name)] = fields
    return out


def group_cpu(pgid: int) -> float:
    """CPU seconds used so far by a process group (a `tanggap serve` and its web processes)."""
    return sum(_cpu_of(f) for f in _all_stats().values() if int(f[2]) == pgid)


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (a postmaster and its backends)."""
    return sum(_cpu_of(f) for p, f in _all_stats().items() if p == pid or int(f[1]) == pid)


def _postmaster(database_url: str) -> int | None:
    """The PostgreSQL server's pid, if we may see its data directory (a superuser, this host)."""
    try:
        with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        with open(Path(data_dir) / "postmaster.pid") as f:
            return int(f.readline())
    except (psycopg.Error, OSError, ValueError):
        return None


def _redis_cpu(redis_url: str) -> float:
    import redis

    info = redis.Redis.from_url(redis_url).info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


class CpuMeter:
    """CPU seconds of the web processes, the task workers, PostgreSQL, Redis and this load
    generator; `snapshot()` twice and subtract."""

    def __init__(self, server, workers: subprocess.Popen, args):
        self.web, self.workers = server.proc.pid, workers.pid
        self.postmaster = _postmaster(server.database_url)
        self.redis_url = args.redis_url

    def snapshot(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"web": group_cpu(self.web), "workers": group_cpu(self.workers),
                "postgres": tree_cpu(self.postmaster) if self.postmaster else float("nan"),
                "redis": _redis_cpu(self.redis_url), "client": usage.ru_utime + usage.ru_stime}

    def settle(self, *, bound: float = 180, idle: float = 0.1) -> float:
        """Wait until the web processes and workers have finished starting (less than `idle`
        CPU seconds in a second: importing Django takes whole seconds), so the measured window
        does not share the cores with their start. Returns the seconds waited."""
        t0 = time.monotonic()
        before = self.snapshot()
        while time.monotonic() - t0 < bound:
            time.sleep(1)
            now = self.snapshot()
            if (now["web"] - before["web"]) + (now["workers"] - before["workers"]) < idle:
                break
            before = now
        return time.monotonic() - t0


def _inbound(server, desk, args) -> dict:
    acked: dict[str, int] = {}
    lock = threading.Lock()
    rngs: dict[int, random.Random] = {}
    url = server.url + "/api/v1/inbound"

    def send(http, n: int, worker: int) -> int:
        rng = rngs.setdefault(worker, random.Random(worker))
        author = f"w{worker}-{rng.randrange(20)}" if rng.random() < 0.3 else f"new-{n}"
        external = f"m-{n - 1}" if n % 50 == 49 else f"m-{n}"
        r = http.post(url, json={
            "channel_id": desk["channel_id"], "external_id": external,
            "author": {"id": author, "name": f"Warga {author}"},
            "text": "Mohon info, lampu jalan di RT 05 Gunung Bahagia mati sejak kemarin."})
        if r.status_code in (200, 201):
            with lock:
                acked[external] = r.json()["message_id"]
        return r.status_code

    latencies, statuses, wall = run_clients(
        server, clients=args.clients, total=10**7, seconds=args.seconds, send=send,
        headers={"Authorization": f"Bearer {desk['inbound_token']}"})
    return {"latencies": latencies, "statuses": statuses, "wall": wall, "acked": acked}


WEBHOOK_SECRET = "bench-meta-app-secret"


def _webhooks(server, args, processes: int, fb_channel: int) -> dict:
    """Signed Facebook comment webhooks for `--webhook-seconds` (a burst as the platform sends
    it: the desk acknowledges once the raw body is stored), then wait until the workers have
    parsed and ingested every one of them."""
    import json

    from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, sign

    acked: set[str] = set()
    lock = threading.Lock()
    url = server.url + "/webhooks/meta"

    def send(http, n: int, _worker: int) -> int:
        comment = f"{PAGE}_w{processes}c{n}"
        data = json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1764300000,
                           "changes": [{"field": "feed", "value": {
                               "from": {"id": f"user-{n % 500}", "name": f"Warga {n % 500}"},
                               "post_id": f"{PAGE}_1", "comment_id": comment,
                               "created_time": 1764299990, "item": "comment", "verb": "add",
                               "parent_id": f"{PAGE}_1",
                               "message": "Banjir di Jl. Ahmad Yani, air setinggi lutut."}}]}]}
                          ).encode()
        r = http.post(url, content=data, headers={SIGNATURE_HEADER: sign(data, WEBHOOK_SECRET),
                                                  "Content-Type": "application/json"})
        if r.status_code == 200:
            with lock:
                acked.add(comment)
        return r.status_code

    latencies, statuses, wall = run_clients(server, clients=args.clients, total=10**7,
                                            seconds=args.webhook_seconds, send=send)
    # The drain: until no delivery waits for the workers (or the bound passes).
    db = server.database_url.replace("postgres://", "postgresql://", 1)
    t0 = time.perf_counter()
    pending = dead = -1
    with psycopg.connect(db, autocommit=True) as conn:
        while time.perf_counter() - t0 < args.drain_seconds:
            pending, dead = conn.execute(
                "SELECT count(*) FILTER (WHERE processed_at IS NULL AND dead_at IS NULL),"
                " count(*) FILTER (WHERE dead_at IS NOT NULL) FROM connectors_webhookdelivery"
            ).fetchone()
            if not pending:
                break
            time.sleep(0.5)
    drain = time.perf_counter() - t0
    stored = _stored(server.database_url, fb_channel)
    # Not yet ingested is not lost (the bodies are stored): it is a drain slower than the bound.
    return {"latencies": latencies, "statuses": statuses, "wall": wall, "drain": drain,
            "pending": pending, "dead": dead, "acked": len(acked),
            "lost": [c for c in acked if stored.get(c, 0) == 0] if pending == 0 else [],
            "doubled": [c for c in acked if stored.get(c, 0) > 1]}


def _stored(database_url: str, channel_id: int) -> dict[str, int]:
    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT external_id, count(*) FROM cases_message WHERE channel_id = %s"
            " AND direction = 'in' GROUP BY external_id", [channel_id]).fetchall()
    return dict(rows)


def _database_bytes(database_url: str) -> int:
    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        conn.execute("CHECKPOINT")  # the WAL's pages in the tables' files, so they count
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def run_one(args, processes: int, fake: FlakyPlatform, platform_url: str) -> dict:
    with server_for(args, f"scale{processes}") as server:
        server.extra_env.update({"META_APP_SECRET": WEBHOOK_SECRET,
                                 "META_GRAPH_BASE_URL": platform_url,
                                 "X_API_BASE_URL": platform_url,
                                 "INSTAGRAM_GRAPH_BASE_URL": platform_url})
        desk = seed(server, "--operators", str(args.operators))
        # The tokens pasted below control these accounts (the desk asks before connecting).
        fake.grant("bench-facebook-token", "facebook", PAGE, name="Bench")
        fake.grant("bench-x-token", "x", X_USER_ID, name=X_HANDLE)
        channels = {}
        for platform_name, handle in (("facebook", PAGE), ("x", X_HANDLE)):
            channels[platform_name] = int(server.last_word(
                "channel", "add", desk["slug"], "--platform", platform_name, "--handle", handle,
                "--token-stdin", stdin=f"bench-{platform_name}-token\n"))
        server.start(workers=processes, worker=False)
        workers = _workers(server, processes)
        try:
            meter = CpuMeter(server, workers, args)
            settled = meter.settle()
            size0 = _database_bytes(server.database_url)
            cpu0 = meter.snapshot()
            inbound = _inbound(server, desk, args)
            cpu1 = meter.snapshot()
            size1 = _database_bytes(server.database_url)
            webhooks = None
            if args.webhook_seconds > 0:
                webhooks = _webhooks(server, args, processes, channels["facebook"])
            cpu_w = meter.snapshot()
            cases = _cases(server, desk, channels, f"p{processes}", args.replies,
                           list(desk["tokens"].values()))
            cpu2 = meter.snapshot()
            replies = _phase(server, fake, cases, seconds=args.reply_seconds)
            cpu3 = meter.snapshot()
            replies["targets"] = [target for *_rest, target in cases]
        finally:
            _stop(workers)
        stored = _stored(server.database_url, desk["channel_id"])
        health = httpx.get(server.url + "/api/v1/health", timeout=10).status_code
    lost = [e for e in inbound["acked"] if stored.get(e, 0) == 0]
    doubled = [e for e, n in stored.items() if n > 1]
    per_target = fake.posts_per_target()
    posts = [per_target.get(t, 0) for t in replies["targets"]]
    return {"inbound": inbound, "replies": replies, "lost": lost, "doubled": doubled,
            "double_replies": sum(1 for n in posts if n > 1),
            "unposted": sum(1 for n in posts if n == 0), "health": health, "settled": settled,
            "cpu_inbound": {k: cpu1[k] - cpu0[k] for k in cpu0},
            "bytes_inbound": size1 - size0, "webhooks": webhooks,
            "cpu_webhooks": {k: cpu_w[k] - cpu1[k] for k in cpu1},
            "cpu_replies": {k: cpu3[k] - cpu2[k] for k in cpu2}}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--processes", default="1,2,4")
    p.add_argument("--seconds", type=float, default=15, help="inbound phase per process count")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--replies", type=int, default=100)
    p.add_argument("--webhook-seconds", type=float, default=10,
                   help="signed Facebook webhooks phase (quick 3; 0: none); the drain after it "
                        "takes several times as long")
    p.add_argument("--drain-seconds", type=float, default=300,
                   help="bound on the wait for the workers to ingest the webhooks")
    p.add_argument("--reply-seconds", type=float, default=120, help="bound on the reply phase")
    p.add_argument("--operators", type=int, default=4)
    args = p.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")) or not args.redis_url:
        sys.exit("scale-out needs --database-url postgres://... and --redis-url redis://... "
                 "(bench/core/scaleout.sh starts both)")
    if args.quick:
        args.seconds, args.replies = 6, 30
        args.webhook_seconds = min(args.webhook_seconds, 3)
    counts = [int(x) for x in args.processes.split(",") if x.strip()]
    results = {}
    for n in counts:
        # A fake platform of its own per run: the X reply targets of two runs share ids, so a
        # shared one would count a reply of the previous run as a double.
        fake = FlakyPlatform(page_id=PAGE)
        with FlakyPlatformServer(fake) as platform:
            results[n] = run_one(args, n, fake, platform.url)
            r = results[n]
            print(f"processes {n}: inbound {len(r['inbound']['latencies']) / r['inbound']['wall']:.0f}"
                  f" requests/s over {r['inbound']['wall']:.1f} s (after {r['settled']:.0f} s of start)"
                  f", replies {r['replies']['replies']}, lost {len(r['lost'])}, doubled "
                  f"{len(r['doubled'])}, double replies {r['double_replies']}", flush=True)

    load = os.getloadavg()
    rows = []
    for n, r in results.items():
        inbound, replies = r["inbound"], r["replies"]
        done = len(inbound["latencies"])
        ok = inbound["statuses"].get(201, 0) + inbound["statuses"].get(200, 0)
        rows.append([
            str(n), str(n), f"{ok / inbound['wall']:.0f}", str(done), str(done - ok),
            str(inbound["statuses"].get(NO_ANSWER, 0)),
            str(len(inbound["acked"])), str(len(r["lost"])), str(len(r["doubled"])),
            f"{replies['replies'] / replies['last_post_s']:.1f}", str(replies["replies"]),
            str(r["double_replies"]), str(r["unposted"]),
        ])
    print_table(
        f"scale-out, PostgreSQL + Redis on 127.0.0.1, {args.clients} inbound clients, "
        f"{args.seconds:g} s, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}",
        ["web processes", "workers", "inbound msg/s", "requests", "errors", "no answer",
         "acknowledged ids", "lost", "doubled", "replies sent/s", "replies", "double replies",
         "unposted"], rows)
    print_table("POST /api/v1/inbound latency per process count", LATENCY_HEADER,
                [latency_row(f"{n} process(es)", r["inbound"]["latencies"])
                 for n, r in results.items() if r["inbound"]["latencies"]])
    parts = ("web", "postgres", "redis", "workers", "client")
    rows = []
    for n, r in results.items():
        inbound = r["inbound"]
        count = max(1, len(inbound["latencies"]))
        cpu = r["cpu_inbound"]
        rows.append([str(n), str(len(inbound["latencies"])),
                     *(f"{cpu[k] * 1000 / count:.2f}" for k in parts),
                     f"{cpu['web'] / inbound['wall']:.2f}", f"{r['settled']:.0f}",
                     f"{r['bytes_inbound'] / max(1, len(inbound['acked'])) / 1024:.1f}"])
    print_table(
        "CPU ms per inbound request during the inbound phase (process CPU from /proc, Redis "
        "from INFO; 'client' is this load generator)",
        ["web processes", "requests", *(f"{k} ms" for k in parts), "web cores busy",
         "start s", "database KiB per message"], rows)
    rows = []
    for n, r in results.items():
        w = r["webhooks"]
        if not w:
            continue
        done = len(w["latencies"])
        ok = w["statuses"].get(200, 0)
        count = max(1, done)
        cpu = r["cpu_webhooks"]
        rows.append([str(n), f"{ok / w['wall']:.0f}", str(done), str(done - ok), str(w["acked"]),
                     f"{w['drain']:.1f}", f"{(w['acked'] - max(0, w['pending'])) / (w['wall'] + w['drain']):.0f}",
                     str(w["pending"]), str(w["dead"]), str(len(w["lost"])),
                     str(len(w["doubled"])), *(f"{cpu[k] * 1000 / count:.2f}" for k in parts)])
    if rows:
        print_table(
            "signed Facebook webhooks: acknowledged, then ingested by the workers (CPU ms per "
            "webhook over both, workers including their idle polling)",
            ["processes", "acked/s", "requests", "errors", "acknowledged", "drain s",
             "ingested/s", "still pending", "dead", "lost", "doubled",
             *(f"{k} ms" for k in parts)], rows)
    rows = []
    for n, r in results.items():
        count = max(1, r["replies"]["replies"])
        cpu = r["cpu_replies"]
        rows.append([str(n), str(r["replies"]["replies"]),
                     *(f"{cpu[k] * 1000 / count:.2f}" for k in parts)])
    print_table(
        "CPU ms per reply during the reply phase (web includes the API calls and the client's "
        "polling of every case until its reply is final; workers is the delivery)",
        ["workers", "replies", *(f"{k} ms" for k in parts)], rows)
    bad = [n for n, r in results.items()
           if r["lost"] or r["doubled"] or r["double_replies"] or r["unposted"]
           or (r["webhooks"] and (r["webhooks"]["lost"] or r["webhooks"]["doubled"]))]
    if bad:
        raise SystemExit(f"a guarantee broke with {bad} process(es): see the table above")
    undrained = [n for n, r in results.items() if r["webhooks"] and r["webhooks"]["pending"]]
    if undrained:
        raise SystemExit(f"webhooks still waiting for the workers after --drain-seconds with "
                         f"{undrained} process(es): raise the bound or lower --webhook-seconds")
    idle = [n for n, r in results.items() if not r["inbound"]["acked"] or r["health"] != 200]
    if idle:
        raise SystemExit(f"no inbound message acknowledged, or the desk unhealthy after the run, "
                         f"with {idle} process(es): the run measured nothing")


if __name__ == "__main__":
    main()
