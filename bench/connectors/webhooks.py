"""Signed Meta webhooks accepted and durably stored per second, against a real `tanggap serve`.

    .venv/bin/python bench/connectors/webhooks.py [--quick] [--clients 8] [--server-workers N]
        [--database-url postgres://...]

Each client thread keeps one connection and POSTs distinct Facebook feed-comment bodies signed
with the server's META_APP_SECRET; an answer of 200 means the raw body is committed. The task
worker runs as users run it (it parses and opens cases meanwhile). Target: >= 500/s on the
embedded default (SQLite). Afterwards the stored rows are counted in the database. The server
runs as many web processes as `tanggap serve` does by default (one per core, at most 4).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "core"))
from common import (  # noqa: E402
    LATENCY_HEADER,
    backend_label,
    latency_row,
    parser,
    run_clients,
    server_for,
)
from common import table as print_table  # noqa: E402
from harness import connect_facebook_page  # noqa: E402

from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, sign  # noqa: E402

SECRET = "bench-meta-app-secret"
PAGE = "104512345678901"


def body(n: int) -> bytes:
    return json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1764300000, "changes": [{
        "field": "feed", "value": {
            "from": {"id": f"user-{n % 500}", "name": f"Warga {n % 500}"},
            "post_id": f"{PAGE}_1", "comment_id": f"1_{n}", "created_time": 1764299990,
            "item": "comment", "verb": "add", "parent_id": f"{PAGE}_1",
            "message": "Jalan berlubang di Gn. Samarinda, mohon diperbaiki"}}]}]}).encode()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(server_workers=min(os.cpu_count() or 1, 4))  # as `tanggap serve` runs
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--webhooks", type=int, default=None, help="default 5000, quick 1000")
    p.add_argument("--seconds", type=float, default=60)
    args = p.parse_args()
    total = args.webhooks or (1000 if args.quick else 5000)

    with server_for(args, "webhooks") as server:
        server.extra_env["META_APP_SECRET"] = SECRET
        server.cli("workspace", "create", "bench", "--name", "Bench")
        connect_facebook_page(server, "bench", PAGE)
        server.start(workers=args.server_workers, worker=not args.no_worker)
        url = server.url + "/webhooks/meta"
        def send(http, n: int, _worker: int) -> int:
            data = body(n)
            return http.post(url, content=data, headers={
                SIGNATURE_HEADER: sign(data, SECRET), "Content-Type": "application/json"}
            ).status_code

        latencies, statuses, wall = run_clients(
            server, clients=args.clients, total=total, seconds=args.seconds, send=send)
        stored = None
        if not args.database_url:
            db = Path(server.data_dir) / "desk.sqlite3"
            with sqlite3.connect(db) as conn:
                stored = conn.execute("select count(*) from connectors_webhookdelivery").fetchone()[0]

    ok = statuses.get(200, 0)
    print_table(f"signed webhooks accepted ({backend_label(args.database_url, args.redis_url)}, "
                f"{args.server_workers} web process(es), {args.clients} clients)", ["webhooks", "200", "other", "stored rows", "wall s",
                                             "accepted/s"],
                [[str(len(latencies)), str(ok), str(len(latencies) - ok),
                  "-" if stored is None else str(stored), f"{wall:.2f}", f"{ok / wall:.0f}"]])
    print_table("latency", LATENCY_HEADER, [latency_row("POST /webhooks/meta", latencies)])
    if stored is not None and stored != ok:
        raise SystemExit(f"acknowledged {ok} but stored {stored}")


if __name__ == "__main__":
    main()
