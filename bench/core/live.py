"""Time from POST /api/v1/inbound to the websocket event at connected inbox clients, p95.

    .venv/bin/python bench/core/live.py [--quick] [--listeners 4] [--database-url ...]
    .venv/bin/python bench/core/live.py --redis-url redis://127.0.0.1:6390/0 --server-workers 2

Listeners log in like a browser (POST /login/ with the CSRF token), then connect to
ws://127.0.0.1:PORT/ws/w/<slug>/ with the session Cookie and an Origin header. One inbound
message at a time (a new citizen each, --gap apart) is posted; the clock runs from just before
the POST to the arrival of that case's {"kind": "case", "reason": "inbound"} event at each
listener. An event that does not arrive within --timeout counts as lost.

With several server processes the script also reports, from `ss`, which process holds each
listener's connection: every listener getting every event while the listeners sit on different
processes shows delivery across processes (which needs REDIS_URL; without it the in-memory layer
only reaches the clients of the process that took the POST). Target: p95 <= 500 ms.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time

import httpx
from common import (
    LATENCY_HEADER,
    backend_label,
    latency_row,
    listen_for_inbound,
    parser,
    seed,
    server_for,
)
from common import table as print_table

from tanggap.testing.liveserver import session_login


def _server_pid_of(port: int, local_port: int) -> str:
    """The pid of the server process that holds our websocket (from the server's side)."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if f":{local_port} " in line + " ":
            match = re.search(r"pid=(\d+)", line)
            return match.group(1) if match else "?"
    return "?"


async def _measure(server, desk, args) -> tuple[list[float], int, int, dict]:
    arrivals: dict[tuple[int, int], float] = {}
    stop = asyncio.Event()
    addrs: list[tuple[int, int]] = []
    tasks, readies = [], []
    origin = server.url
    for i in range(args.listeners):
        user = f"op{(i % 2) + 1:02d}"
        web = session_login(server.url, user, desk["password"])
        cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
        web.close()
        ready = asyncio.Event()
        readies.append(ready)
        tasks.append(asyncio.create_task(listen_for_inbound(
            f"{server.ws_url}/ws/w/{desk['slug']}/", cookie, origin, i, arrivals, ready, stop,
            addrs=addrs)))
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=20)
    pids: dict[str, int] = {}
    for _index, local_port in addrs:
        pid = _server_pid_of(server.port, local_port)
        pids[pid] = pids.get(pid, 0) + 1

    latencies, expected, lost = [], 0, 0
    token = desk["inbound_token"]
    async with httpx.AsyncClient(base_url=server.url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        await http.get("/api/v1/health")
        deadline = time.monotonic() + args.seconds
        for n in range(args.events):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            r = await http.post("/api/v1/inbound", json={
                "channel_id": desk["channel_id"], "external_id": f"live-{n}",
                "author": {"id": f"live-warga-{n}", "name": "Warga"},
                "text": "Tolong, ada pohon tumbang menutup Jl. Soekarno-Hatta km 5.",
            })
            assert r.status_code == 201, r.text
            case_id = r.json()["case_id"]
            wait_until = t0 + args.timeout
            while time.perf_counter() < wait_until and any(
                    (i, case_id) not in arrivals for i in range(args.listeners)):
                await asyncio.sleep(0.002)
            for i in range(args.listeners):
                expected += 1
                if (i, case_id) in arrivals:
                    latencies.append(arrivals[(i, case_id)] - t0)
                else:
                    lost += 1
            await asyncio.sleep(args.gap)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, expected, lost, pids


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--listeners", type=int, default=None, help="default 4 (8 with several "
                   "server processes)")
    p.add_argument("--events", type=int, default=None, help="default 200, quick 50")
    p.add_argument("--gap", type=float, default=0.02, help="pause between inbound posts, s")
    p.add_argument("--timeout", type=float, default=3.0, help="an event later than this is lost")
    p.add_argument("--seconds", type=float, default=90, help="time bound for the posts")
    args = p.parse_args()
    args.events = args.events or (50 if args.quick else 200)
    args.listeners = args.listeners or (8 if args.server_workers > 1 else 4)

    with server_for(args, "live") as server:
        desk = seed(server, "--operators", "2")
        server.start(workers=args.server_workers, worker=not args.no_worker)
        latencies, expected, lost, pids = asyncio.run(_measure(server, desk, args))

    label = backend_label(args.database_url, args.redis_url)
    title = (f"inbound -> websocket event, {label}, {args.server_workers} server process(es), "
             f"{args.listeners} listeners")
    rows = [latency_row("POST /inbound -> ws event", latencies)] if latencies else []
    print_table(title, LATENCY_HEADER, rows)
    print(f"delivered {expected - lost}/{expected} events; lost {lost}")
    if args.server_workers > 1:
        print("listeners per server process (pid: count): "
              + ", ".join(f"{pid}: {n}" for pid, n in sorted(pids.items())))


if __name__ == "__main__":
    main()
