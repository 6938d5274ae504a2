"""Full-text search latency over cases: GET /api/v1/cases?q=WORDS with 100,000 cases and 500,000
messages (quick: 20,000 and 100,000), on the embedded default (SQLite FTS5) or PostgreSQL
(full text, with the trigram fallback for a misspelt word).

    .venv/bin/python bench/search/search.py [--quick] [--database-url postgres://...]

Bulk-loads the rows with bench/core/seed.py --varied (texts and names from a city's vocabulary:
streets, matters, slang, names, so a word picks few cases as on a real desk), writes every
case's search document (`tanggap search rebuild`, timed), starts the server, then times each
query one request after another after a short warm-up, first page (50 rows), every status.
Target: p95 <= 100 ms.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from common import (  # noqa: E402
    LATENCY_HEADER,
    Deadline,
    backend_label,
    latency_row,
    parser,
    seed,
    server_for,
)
from common import table as print_table  # noqa: E402

QUERIES = [
    ("one common word", "lampu"),
    ("a street, as a prefix", "sudir"),
    ("two words", "air keruh"),
    ("slang (gak = tidak)", "gak mengalir"),
    ("place and matter, three words", "gunung samarinda banjir"),
    ("a citizen's name", "siti wulandari"),
    ("a tracking number", None),  # filled from the seeded cases
    ("nothing matches", "xylofon"),
    ("a misspelt street", "sudirmn"),
]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=None, help="default 100000, quick 20000")
    p.add_argument("--messages", type=int, default=None, help="default 500000, quick 100000")
    p.add_argument("--requests", type=int, default=None, help="per query; default 100, quick 30")
    p.add_argument("--seconds", type=float, default=60, help="time bound per query")
    args = p.parse_args()
    n_cases = args.cases or (20_000 if args.quick else 100_000)
    n_messages = args.messages or (100_000 if args.quick else 500_000)
    n_requests = args.requests or (30 if args.quick else 100)

    with server_for(args, "search") as server:
        t0 = time.monotonic()
        desk = seed(server, "--operators", "2", "--cases", str(n_cases),
                    "--messages", str(n_messages), "--mix", "--varied", "--search-index")
        load_seconds = time.monotonic() - t0
        server.start(workers=args.server_workers, worker=not args.no_worker)
        api = httpx.Client(base_url=server.url, timeout=30,
                           headers={"Authorization": f"Bearer {desk['tokens']['op01']}"})
        some = api.get("/api/v1/cases", params={"status": "all", "limit": 1}).json()
        number = some["results"][0]["tracking_number"]
        rows, everything = [], []
        for label, query in QUERIES:
            query = query or number
            deadline = Deadline(args.seconds)
            for _ in range(3):
                api.get("/api/v1/cases", params={"q": query, "limit": 50})
            seconds, found = [], None
            for _ in range(n_requests):
                if deadline.passed():
                    break
                t = time.perf_counter()
                r = api.get("/api/v1/cases", params={"q": query, "limit": 50})
                seconds.append(time.perf_counter() - t)
                assert r.status_code == 200, (label, r.status_code, r.text[:300])
                found = len(r.json()["results"])
            everything.extend(seconds)
            rows.append(latency_row(f"{label}: {query!r} ({found} on page 1)"
                                    + ("" if len(seconds) == n_requests else " (time bound hit)"),
                                    seconds))
        rows.append(latency_row("all queries", everything))
        api.close()

    print_table(
        f"search latency, {backend_label(args.database_url)}, {desk['cases']:,} cases / "
        f"{desk['messages']:,} messages (bulk load {load_seconds:.0f} s, of which search "
        f"documents {desk['search_index_seconds']} s)",
        LATENCY_HEADER, rows,
    )


if __name__ == "__main__":
    main()
