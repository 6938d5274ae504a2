"""Inbound ingest rate through POST /api/v1/inbound, with N concurrent clients.

    .venv/bin/python bench/core/ingest.py [--quick] [--clients 8] [--database-url postgres://...]

Each client is a thread with its own keep-alive connection. 70% of the messages come from new
citizens (a new case each), 30% are follow-ups that join an open case; every 50th is a
redelivery of an earlier platform id (answered 200, stored once). Bounded by --messages and
--seconds, whichever ends first. Target: >= 300 messages/s on the embedded default.
"""

from __future__ import annotations

import random

import httpx
from common import LATENCY_HEADER, backend_label, latency_row, parser, run_clients, seed, server_for
from common import table as print_table


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--messages", type=int, default=None, help="default 4000, quick 1000")
    p.add_argument("--seconds", type=float, default=60)
    args = p.parse_args()
    total = args.messages or (1000 if args.quick else 4000)

    with server_for(args, "ingest") as server:
        desk = seed(server, "--operators", "1")
        server.start(workers=args.server_workers, worker=not args.no_worker)
        token = desk["inbound_token"]
        reader = next(iter(desk["tokens"].values()))
        url = server.url + "/api/v1/inbound"
        rngs: dict[int, random.Random] = {}

        def send(http, n: int, worker: int) -> int:
            rng = rngs.setdefault(worker, random.Random(worker))
            author = f"w{worker}-{rng.randrange(20)}" if rng.random() < 0.3 else f"new-{n}"
            external = f"m-{n - 1}" if n % 50 == 49 else f"m-{n}"
            body = {"channel_id": desk["channel_id"], "external_id": external,
                    "author": {"id": author, "name": f"Warga {author}"},
                    "text": "Mohon info, lampu jalan di RT 05 Gunung Bahagia mati."}
            return http.post(url, json=body).status_code

        latencies, statuses, wall = run_clients(
            server, clients=args.clients, total=total, seconds=args.seconds, send=send,
            headers={"Authorization": f"Bearer {token}"})
        check = httpx.get(server.url + "/api/v1/cases?status=open&limit=1",
                          headers={"Authorization": f"Bearer {reader}"}, timeout=10)
        if check.status_code != 200:
            print(f"after the run GET /api/v1/cases answered {check.status_code}")

    done = len(latencies)
    ok = statuses.get(201, 0) + statuses.get(200, 0)
    label = backend_label(args.database_url)
    print_table(
        f"inbound ingest, {label}, {args.clients} clients, {args.server_workers} server process(es)",
        ["backend", "clients", "requests", "ok (201+200)", "errors", "seconds", "messages/s"],
        [[label, str(args.clients), str(done), str(ok), str(done - ok), f"{wall:.2f}",
          f"{done / wall:.0f}"]],
    )
    print_table("inbound request latency", LATENCY_HEADER, [latency_row("POST /inbound", latencies)])
    print(f"status codes: {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    main()
