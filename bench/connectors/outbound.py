"""Outbound replies per second to a fake Facebook/X on 127.0.0.1, with retries on, no doubles.

    .venv/bin/python bench/connectors/outbound.py [--quick] [--replies 200] [--p500 0.10]
        [--p429 0.05] [--p500-posted 0.03] [--retry-after 1] [--worker-processes N]

A FlakyPlatform (bench/connectors/harness.py: tanggap's fake server with seeded random faults)
listens on 127.0.0.1; a real `tanggap serve` points META_GRAPH_BASE_URL and X_API_BASE_URL at
it, with a Facebook Page and an X account connected by `tanggap channel add ... --token-stdin`.
Cases (half Facebook comments, half X mentions) come in through POST /api/v1/inbound and are
claimed by operators; then, with the clock running, every case gets one reply through
POST /api/v1/cases/{id}/replies, and GET /api/v1/cases/{id} is polled until each reply's
delivery_status is final. Two phases on the same server: `clean` (no faults) and `faulty`
(p500 of POSTs answer 500 before posting, p500-posted answer 500 after posting, p429 answer
429 with Retry-After), so their ratio is comparable on a noisy machine.

Figures: sends/s (replies / time from the first reply POST to the last accepted post on the
fake), time until the API shows every reply final, retries seen by the fake, and the check that
every replied-to comment or tweet received exactly one post.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "core"))
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
from harness import FlakyPlatform, FlakyPlatformServer, own_worker  # noqa: E402

from tanggap.connectors.testing.fakeserver import X_USER_ID  # noqa: E402

PAGE = "104512345678901"
X_HANDLE = "PemkotBPN"
REPLY = "Terima kasih laporannya. Kami teruskan ke dinas terkait hari ini."


def _cases(server, desk, channels, phase: str, count: int, tokens: list[str]):
    """Open `count` cases (alternating Facebook comment / X mention), each claimed by one of the
    operators; return [(token, case_id, version, target id)]."""
    out: list[tuple[str, int, int, str]] = []
    lock = threading.Lock()
    inbound_headers = {"Authorization": f"Bearer {desk['inbound_token']}"}

    def run(k: int) -> None:
        token = tokens[k]
        with httpx.Client(base_url=server.url, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            for n in range(k, count, len(tokens)):
                if n % 2 == 0:
                    target = f"{phase}{n}_{PAGE}"
                    body = {"channel_id": channels["facebook"], "external_id": target,
                            "thread_id": f"post:{PAGE}_{phase}{n}"}
                else:
                    target = f"19{phase == 'faulty':d}{n:015d}"
                    body = {"channel_id": channels["x"], "external_id": target,
                            "thread_id": f"conv:{target}"}
                r = http.post("/api/v1/inbound", headers=inbound_headers, json={
                    **body, "author": {"id": f"{phase}-warga-{n}", "name": "Warga"},
                    "text": "Lampu jalan di Jl. MT Haryono mati sejak tiga hari, mohon diperbaiki."})
                assert r.status_code == 201, r.text
                case_id = r.json()["case_id"]
                r = http.post(f"/api/v1/cases/{case_id}/claim")
                assert r.status_code == 200, r.text
                with lock:
                    out.append((token, case_id, r.json()["version"], target))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({c for _, c, _, _ in out}) == count, "expected one new case per inbound"
    return out


def _phase(server, fake: FlakyPlatform, cases, seconds: float) -> dict:
    """Reply to every case; wait until every reply is final; return the figures."""
    by_token: dict[str, list] = {}
    for row in cases:
        by_token.setdefault(row[0], []).append(row)
    replies: dict[int, int] = {}  # message id -> case id
    reply_latency: list[float] = []
    lock = threading.Lock()
    posts_before = len(fake.post_times)
    requests_before = dict(fake.requests)
    barrier = threading.Barrier(len(by_token) + 1)

    def reply(token: str, rows) -> None:
        with httpx.Client(base_url=server.url, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            barrier.wait()
            for _token, case_id, version, _target in rows:
                t0 = time.perf_counter()
                r = http.post(f"/api/v1/cases/{case_id}/replies", json={
                    "text": REPLY, "idempotency_key": f"bench-{case_id}", "base_version": version})
                elapsed = time.perf_counter() - t0
                assert r.status_code == 201, r.text
                with lock:
                    replies[r.json()["message"]["id"]] = case_id
                    reply_latency.append(elapsed)

    threads = [threading.Thread(target=reply, args=item) for item in by_token.items()]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    replies_posted = time.perf_counter() - started

    # Poll the API (one client, only what is still pending) until every reply is final.
    final: dict[int, str] = {}
    errors: dict[int, str] = {}
    deadline = Deadline(seconds)
    token = cases[0][0]
    with httpx.Client(base_url=server.url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        while len(final) < len(replies) and not deadline.passed():
            for message_id, case_id in replies.items():
                if message_id in final:
                    continue
                detail = http.get(f"/api/v1/cases/{case_id}").json()
                message = next(m for m in detail["messages"] if m["id"] == message_id)
                if message["delivery_status"] != "pending":
                    final[message_id] = message["delivery_status"]
                    if message["delivery_status"] != "sent":
                        errors[message_id] = message.get("delivery_error", "")
            if len(final) < len(replies):
                time.sleep(0.2)
    all_final = time.perf_counter() - started
    times = fake.post_times[posts_before:]
    last_post = (max(times) - started) if times else float("nan")
    requests = {k: v - requests_before.get(k, 0) for k, v in fake.requests.items()}
    return {"replies": len(replies), "reply_posted_s": replies_posted, "last_post_s": last_post,
            "all_final_s": all_final, "final": final, "errors": errors, "requests": requests,
            "reply_latency": reply_latency, "timed_out": len(replies) - len(final)}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    # As `tanggap serve` runs by default: one web process per core, at most 4.
    p.set_defaults(server_workers=min(os.cpu_count() or 1, 4))
    p.add_argument("--replies", type=int, default=None, help="per phase; default 200, quick 40")
    p.add_argument("--operators", type=int, default=4)
    p.add_argument("--p500", type=float, default=0.10, help="POSTs answered 500 before posting")
    p.add_argument("--p500-posted", type=float, default=0.03,
                   help="POSTs answered 500 after posting (the answer is lost)")
    p.add_argument("--p429", type=float, default=0.05, help="POSTs answered 429 + Retry-After")
    p.add_argument("--retry-after", type=float, default=1.0)
    p.add_argument("--seconds", type=float, default=180, help="time bound per phase")
    p.add_argument("--worker-processes", type=int, default=0,
                   help="experiment: serve --no-worker plus N `db_worker` processes of our own "
                        "(default 0: the worker `tanggap serve` starts)")
    p.add_argument("--shared-http", action="store_true",
                   help="experiment (implies --worker-processes 1 if not given): the own worker "
                        "keeps one PlatformHTTP instead of building one per send")
    p.add_argument("--phases", default="clean,faulty")
    args = p.parse_args()
    if args.shared_http and not args.worker_processes:
        args.worker_processes = 1
    count = args.replies or (40 if args.quick else 200)
    phases = [x.strip() for x in args.phases.split(",") if x.strip()]

    fake = FlakyPlatform(page_id=PAGE, retry_after=args.retry_after)
    results: dict[str, dict] = {}
    with FlakyPlatformServer(fake) as platform, server_for(args, "outbound") as server:
        server.extra_env.update({
            "META_GRAPH_BASE_URL": platform.url, "X_API_BASE_URL": platform.url,
            "INSTAGRAM_GRAPH_BASE_URL": platform.url})
        desk = seed(server, "--operators", str(args.operators))
        # The tokens pasted below control these accounts (the desk asks before connecting).
        fake.grant("bench-facebook-token", "facebook", PAGE, name="Bench")
        fake.grant("bench-x-token", "x", X_USER_ID, name=X_HANDLE)
        channels = {}
        for platform_name, handle in (("facebook", PAGE), ("x", X_HANDLE)):
            channels[platform_name] = int(server.last_word(
                "channel", "add", desk["slug"], "--platform", platform_name, "--handle", handle,
                "--token-stdin", stdin=f"bench-{platform_name}-token\n"))
        own = args.worker_processes > 0
        server.start(workers=args.server_workers, worker=not args.no_worker and not own)
        tokens = list(desk["tokens"].values())
        with (own_worker(server, interval=1.0, processes=args.worker_processes,
                                shared_http=args.shared_http) if own
              else contextlib.nullcontext()):
            for phase in phases:
                fake.p500, fake.p500_posted, fake.p429 = (
                    (args.p500, args.p500_posted, args.p429) if phase == "faulty" else (0, 0, 0))
                cases = _cases(server, desk, channels, phase, count, tokens)
                result = _phase(server, fake, cases, args.seconds)
                result["targets"] = [target for *_rest, target in cases]
                results[phase] = result

    worker = (f"{args.worker_processes} own db_worker process(es)"
              + (" sharing one PlatformHTTP" if args.shared_http else "") if own
              else "the worker of `tanggap serve`")
    rows = []
    for phase, r in results.items():
        per_target = fake.posts_per_target()
        counts = [per_target.get(t, 0) for t in r["targets"]]
        sent = sum(1 for s in r["final"].values() if s == "sent")
        rows.append([
            phase, str(r["replies"]), str(sent), str(len(r["errors"])), str(r["timed_out"]),
            f"{r['reply_posted_s']:.2f}", f"{r['last_post_s']:.2f}", f"{r['all_final_s']:.2f}",
            f"{r['replies'] / r['last_post_s']:.1f}",
            str(r["requests"].get("POST", 0)),
            "/".join(str(r["requests"].get(k, 0)) for k in ("500", "500 after posting", "429")),
            str(r["requests"].get("GET", 0)),
            str(sum(1 for c in counts if c == 1)), str(sum(1 for c in counts if c > 1)),
            str(sum(1 for c in counts if c == 0)),
        ])
    print_table(
        f"outbound replies to the fake platform ({backend_label(args.database_url)}, "
        f"{args.server_workers} web process(es), {worker}; faulty: {args.p500:.0%} 500, "
        f"{args.p500_posted:.0%} 500 after posting, {args.p429:.0%} 429 Retry-After "
        f"{args.retry_after:g} s)",
        ["phase", "replies", "sent", "failed", "pending", "replies POSTed s", "last post s",
         "all final (API) s", "sends/s", "POSTs seen", "500/500+posted/429", "GETs (lookups)",
         "one post", "doubles", "none"], rows)
    print_table("POST /api/v1/cases/{id}/replies", LATENCY_HEADER,
                [latency_row(phase, r["reply_latency"]) for phase, r in results.items()])
    for phase, r in results.items():
        for message_id, error in list(r["errors"].items())[:5]:
            print(f"{phase}: message {message_id} {r['final'][message_id]}"
                  + (f": {error}" if error else " (the API shows no error text; the case page "
                     "does)"))
    # A reply that failed visibly after the last attempt (CONNECTORS_MAX_ATTEMPTS faults in a
    # row) may have no post; a double, or a `sent` reply without its post, is a bug.
    per_target = fake.posts_per_target()
    bad = [phase for phase, r in results.items()
           if any(per_target.get(t, 0) > 1 for t in r["targets"])
           or sum(1 for t in r["targets"] if per_target.get(t, 0) == 0) > len(r["errors"])]
    if bad:
        raise SystemExit(f"a double post, or a sent reply without its post, in: {', '.join(bad)}")


if __name__ == "__main__":
    main()
