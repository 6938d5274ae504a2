"""Where a search request's time goes: the search query alone, the whole API view in a second
process (search, 50 rows, their SLA clocks and offers, the JSON), and the running server over
HTTP, on one seeded desk, one after the other (the first two interleaved request by request).

    .venv/bin/python bench/search/where.py [--cases N --messages M] [--database-url postgres://...]

The default desk is 20,000 cases / 100,000 messages (bench/core/seed.py --varied), which seeds
in minutes; search.py measures the target size over HTTP alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from common import LATENCY_HEADER, latency_row, parser, seed, server_for  # noqa: E402
from common import table as print_table  # noqa: E402

QUERIES = ["lampu", "sudir", "air keruh", "gak mengalir", "gunung samarinda banjir",
           "siti wulandari", "xylofon"]

# Run with the server's environment, so it reads the same database.
IN_PROCESS = r'''
import json, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from tanggap.cases import queries
from tanggap.workspaces.models import Membership
token, words, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
user = get_user_model().objects.get(username="op01")
workspaces = [m.workspace_id for m in Membership.objects.filter(user=user)]
client = Client(SERVER_NAME="127.0.0.1")
out = {}
for q in words:
    alone, view = [], []
    for i in range(n + 3):
        t0 = time.perf_counter()
        list(queries.inbox_cases(workspace_ids=workspaces, now=timezone.now(), user=user,
                                 status="all", q=q).select_related("claimed_by", "contact")[:51])
        t1 = time.perf_counter()
        r = client.get("/api/v1/cases", {"q": q, "limit": 50}, HTTP_AUTHORIZATION="Bearer " + token)
        t2 = time.perf_counter()
        assert r.status_code == 200, r.content[:300]
        if i >= 3:
            alone.append(t1 - t0)
            view.append(t2 - t1)
    out[q] = [alone, view]
print(json.dumps(out))
'''


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=20_000)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=30, help="per query and way")
    args = p.parse_args()
    with server_for(args, "search-where") as server:
        desk = seed(server, "--operators", "2", "--cases", str(args.cases),
                    "--messages", str(args.messages), "--mix", "--varied", "--search-index")
        token = desk["tokens"]["op01"]
        server.start(workers=args.server_workers, worker=not args.no_worker)
        api = httpx.Client(base_url=server.url, timeout=30,
                           headers={"Authorization": f"Bearer {token}"})
        over_http = {}
        for q in QUERIES:
            seconds = []
            for i in range(args.requests + 3):
                t = time.perf_counter()
                assert api.get("/api/v1/cases", params={"q": q, "limit": 50}).status_code == 200
                if i >= 3:
                    seconds.append(time.perf_counter() - t)
            over_http[q] = seconds
        api.close()
        done = subprocess.run(
            [sys.executable, "-c", IN_PROCESS, token, json.dumps(QUERIES), str(args.requests)],
            env={**server.env, "DJANGO_SETTINGS_MODULE": "tanggap.settings"},
            cwd=server.data_dir, capture_output=True, text=True, timeout=1800)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        in_process = json.loads(done.stdout.strip().splitlines()[-1])
    rows = []
    for q in QUERIES:
        alone, view = in_process[q]
        rows += [latency_row(f"{q!r}: the search alone", alone),
                 latency_row(f"{q!r}: the view in process", view),
                 latency_row(f"{q!r}: over HTTP", over_http[q])]
    print_table(f"where a search's time goes, {desk['cases']:,} cases / {desk['messages']:,} "
                f"messages, load average {os.getloadavg()[0]:.1f}", LATENCY_HEADER, rows)


if __name__ == "__main__":
    main()
