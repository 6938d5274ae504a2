"""Inbox list latency with 100,000 cases and 500,000 messages (quick: 20,000 and 100,000).

    .venv/bin/python bench/core/inbox.py [--quick] [--database-url postgres://...]

Bulk-loads the rows with seed.py (ORM bulk_create, statuses spread, about half closed), starts
the server, then times, one request after another after a short warm-up:
  GET /api/v1/cases?status=open        (first page, token)
  GET /api/v1/cases?status=open&cursor (a page deep in the list, token)
  GET /api/v1/cases?status=open&claimed=false
  GET /w/<slug>/                        (the HTML inbox, logged-in session)
Targets (issue 9): API p95 <= 10 ms, HTML p95 <= 25 ms. bench/core/inbox_cpu.py measures the
same pages in-process (CPU per page, SQL statements, a profile) on a smaller seed, no HTTP.
"""

from __future__ import annotations

import time

import httpx
from common import (
    LATENCY_HEADER,
    Deadline,
    backend_label,
    latency_row,
    parser,
    percentile,
    seed,
    server_for,
    wait_for_quiet,
)
from common import table as print_table
from targets import verdict

from tanggap.testing.liveserver import session_login


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=None, help="default 100000, quick 20000")
    p.add_argument("--messages", type=int, default=None, help="default 500000, quick 100000")
    p.add_argument("--requests", type=int, default=None, help="per endpoint; default 200, quick 50")
    p.add_argument("--seconds", type=float, default=60, help="time bound per endpoint")
    p.add_argument("--quiet-load", type=float, default=None,
                   help="after the bulk load, wait until the load average is below this")
    args = p.parse_args()
    n_cases = args.cases or (20_000 if args.quick else 100_000)
    n_messages = args.messages or (100_000 if args.quick else 500_000)
    n_requests = args.requests or (50 if args.quick else 200)

    with server_for(args, "inbox") as server:
        t0 = time.monotonic()
        desk = seed(server, "--operators", "2", "--cases", str(n_cases),
                    "--messages", str(n_messages), "--mix")
        load_seconds = time.monotonic() - t0
        quiet = wait_for_quiet(args.quiet_load)
        print(f"load average before measuring: {quiet}", flush=True)
        server.start(workers=args.server_workers, worker=not args.no_worker)
        api = httpx.Client(base_url=server.url, timeout=30,
                           headers={"Authorization": f"Bearer {desk['tokens']['op01']}"})
        web = session_login(server.url, "op01", desk["password"])
        deep = api.get("/api/v1/cases", params={"status": "open", "limit": 200})
        for _ in range(4):
            deep = api.get(deep.json()["next"])
        cursor_url = deep.json()["next"]
        targets = [
            ("API open, first page", api, "/api/v1/cases?status=open"),
            ("API open, page 6 (cursor)", api, cursor_url),
            ("API open + unclaimed", api, "/api/v1/cases?status=open&claimed=false"),
            (f"HTML inbox /w/{desk['slug']}/", web, f"/w/{desk['slug']}/"),
        ]
        rows, p95 = [], {}
        for label, client, url in targets:
            deadline = Deadline(args.seconds)
            for _ in range(5):
                client.get(url)
            seconds = []
            for _ in range(n_requests):
                if deadline.passed():
                    break
                t = time.perf_counter()
                r = client.get(url)
                seconds.append(time.perf_counter() - t)
                assert r.status_code == 200, (label, r.status_code, r.text[:300])
            rows.append(latency_row(label + ("" if len(seconds) == n_requests
                                             else " (time bound hit)"), seconds))
            p95[label] = percentile([s * 1000 for s in seconds], 95)
        api.close()
        web.close()

    label = backend_label(args.database_url)
    print_table(
        f"inbox list latency, {label}, {desk['cases']:,} cases / {desk['messages']:,} messages "
        f"(bulk load {load_seconds:.0f} s)",
        LATENCY_HEADER, rows,
    )
    if desk["cases"] >= 100_000 and desk["messages"] >= 500_000:
        print(verdict("inbox_api_p95_ms", p95[targets[0][0]]) + f" ({targets[0][0]})")
        print(verdict("inbox_html_p95_ms", p95[targets[-1][0]]))


if __name__ == "__main__":
    main()
