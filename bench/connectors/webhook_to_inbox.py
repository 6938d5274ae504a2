"""Signed webhook POSTed to /webhooks/meta -> the case's event at logged-in inbox clients, p95.

    .venv/bin/python bench/connectors/webhook_to_inbox.py [--quick] [--listeners 2]
    .venv/bin/python bench/connectors/webhook_to_inbox.py --modes serve,1,0.1   # experiment

Listeners log in like a browser and hold ws://127.0.0.1:PORT/ws/w/<slug>/ with the session
cookie (as bench/core/live.py). One Facebook feed comment at a time, each from a new citizen,
is signed with META_APP_SECRET and POSTed; the clock runs from just before the POST to the
arrival of a new {"kind": "case", "reason": "inbound"} event at every listener. The pause after
each event is random (seeded) and spans a whole second, so webhooks fall at uniformly random
points of the worker's polling cycle (a pause shorter than the interval would land every
webhook early in the worker's sleep and overstate the wait).
An event later than --timeout counts as lost. Target: p95 <= 1 s.

The webhook view only stores the body; the task worker (django_tasks_db `db_worker`, which
sleeps --interval seconds, 1 by default, whenever it finds the queue empty) drains it and opens
the case. From the stored rows the script splits each latency into intake (POST until
received_at), queue wait (received_at until the drain reached it: mostly the polling sleep) and
the rest (parsing, the case, commit, the live event through the hub to the websocket).

--modes: `serve` is `tanggap serve` with its own worker (what users run); a number N is, as an
experiment, `serve --no-worker` plus `tanggap db_worker --interval N` of our own (the `tanggap
worker` command has no interval option). Each mode gets a fresh server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "core"))
from common import (  # noqa: E402
    backend_label,
    listen_for_inbound,
    parser,
    percentile,
    seed,
    server_for,
)
from common import table as print_table  # noqa: E402
from harness import connect_facebook_page, own_worker  # noqa: E402
from webhooks import PAGE, SECRET, body  # noqa: E402

from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, sign  # noqa: E402
from tanggap.testing.liveserver import session_login  # noqa: E402


async def _measure(server, desk, args) -> list[dict]:
    arrivals: dict[tuple[int, int], float] = {}
    stop = asyncio.Event()
    tasks, readies = [], []
    for i in range(args.listeners):
        web = session_login(server.url, f"op{(i % 2) + 1:02d}", desk["password"])
        cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
        web.close()
        ready = asyncio.Event()
        readies.append(ready)
        tasks.append(asyncio.create_task(listen_for_inbound(
            f"{server.ws_url}/ws/w/{desk['slug']}/", cookie, server.url, i, arrivals, ready,
            stop, clock=time.time)))
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=20)

    rng = random.Random(20261128)
    samples: list[dict] = []
    seen: set[int] = set()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        await http.get("/api/v1/health")
        deadline = time.monotonic() + args.seconds
        for n in range(args.events):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(rng.uniform(args.min_gap, args.max_gap))
            data = body(100_000 + n)
            t0 = time.time()
            r = await http.post("/webhooks/meta", content=data, headers={
                SIGNATURE_HEADER: sign(data, SECRET), "Content-Type": "application/json"})
            assert r.status_code == 200, r.text
            case_id = None
            while time.time() < t0 + args.timeout:
                fresh = {c for (_i, c) in arrivals if c not in seen}
                if fresh and all((i, c) in arrivals for c in fresh
                                 for i in range(args.listeners)):
                    case_id = min(fresh)
                    break
                await asyncio.sleep(0.002)
            if case_id is None:
                # Lost (or late): whatever comes later belongs to this webhook, not the next.
                samples.append({"n": n, "t0": t0, "arrived": None})
                await asyncio.sleep(args.timeout)
                seen.update(c for (_i, c) in arrivals)
                continue
            seen.add(case_id)
            samples.append({"n": n, "t0": t0, "case_id": case_id,
                            "arrived": max(arrivals[(i, case_id)]
                                           for i in range(args.listeners))})
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return samples


def _stored_times(server) -> list[tuple[float, float | None]]:
    """(received_at, processed_at) of every stored webhook, oldest first, as epoch seconds."""
    def epoch(value: str | None) -> float | None:
        if value is None:
            return None
        parsed = datetime.fromisoformat(value)
        # Django stores aware datetimes in SQLite as naive UTC text.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()

    with sqlite3.connect(Path(server.data_dir) / "desk.sqlite3") as conn:
        rows = conn.execute("select received_at, processed_at from connectors_webhookdelivery "
                            "order by id").fetchall()
    return [(epoch(a), epoch(b)) for a, b in rows]


def _run_mode(args, mode: str) -> dict:
    with server_for(args, "webhook-inbox") as server:
        server.extra_env["META_APP_SECRET"] = SECRET
        desk = seed(server, "--operators", "2")
        connect_facebook_page(server, desk["slug"], PAGE)
        own = mode != "serve"
        server.start(workers=args.server_workers, worker=not own)
        with own_worker(server, interval=float(mode)) if own else contextlib.nullcontext():
            samples = asyncio.run(_measure(server, desk, args))
        stored = None if args.database_url else _stored_times(server)
    if stored is not None and len(stored) == len(samples):
        for sample, (received, processed) in zip(samples, stored, strict=True):
            sample["received"], sample["processed"] = received, processed
    return {"mode": mode, "samples": samples}


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f}" if values else "-"


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(server_workers=min(os.cpu_count() or 1, 4))  # as `tanggap serve`
    p.add_argument("--listeners", type=int, default=2)
    p.add_argument("--events", type=int, default=None, help="per mode; default 100, quick 30")
    p.add_argument("--min-gap", type=float, default=0.05)
    p.add_argument("--max-gap", type=float, default=1.05,
                   help="keep max-min a multiple of the polling interval")
    p.add_argument("--timeout", type=float, default=5.0, help="an event later than this is lost")
    p.add_argument("--seconds", type=float, default=200, help="time bound per mode")
    p.add_argument("--modes", default="serve",
                   help="comma-separated: serve (tanggap serve's worker) and/or db_worker "
                        "polling intervals in seconds, e.g. serve,1,0.1")
    args = p.parse_args()
    args.events = args.events or (30 if args.quick else 100)
    if args.database_url:
        sys.exit("this script reads the stored rows from the embedded SQLite database")

    runs = [_run_mode(args, mode.strip()) for mode in args.modes.split(",") if mode.strip()]
    rows, split_rows = [], []
    for run in runs:
        got = [s for s in run["samples"] if s["arrived"] is not None]
        total = [s["arrived"] - s["t0"] for s in got]
        label = ("tanggap serve (db_worker --interval 1)" if run["mode"] == "serve"
                 else f"own db_worker --interval {run['mode']}")
        rows.append([label, str(len(run["samples"])), str(len(run["samples"]) - len(got)),
                     _ms(total, 50), _ms(total, 95), _ms(total, 99),
                     f"{max(total) * 1000:.0f}" if total else "-",
                     f"{statistics.fmean(total) * 1000:.0f}" if total else "-"])
        timed = [s for s in got if s.get("processed") is not None]
        if timed:
            intake = [s["received"] - s["t0"] for s in timed]
            wait = [s["processed"] - s["received"] for s in timed]
            rest = [s["arrived"] - s["processed"] for s in timed]
            whole = statistics.fmean(s["arrived"] - s["t0"] for s in timed)
            split_rows.append([label] + [
                f"{statistics.fmean(v) * 1000:.0f} / {_ms(v, 95)}" for v in (intake, wait, rest)
            ] + [f"{statistics.fmean(wait) / whole:.0%}"])
    print_table(f"signed webhook -> websocket case event ({backend_label('')}, "
                f"{args.server_workers} web process(es), {args.listeners} listeners)",
                ["worker", "webhooks", "lost", "p50 ms", "p95 ms", "p99 ms", "max ms",
                 "mean ms"], rows)
    if split_rows:
        print_table("where the time goes (mean / p95 ms; clocks: client wall time and the "
                    "stored received_at / processed_at)",
                    ["worker", "intake", "queue wait (polling)", "parse+case+push",
                     "queue wait share of mean"], split_rows)


if __name__ == "__main__":
    main()
