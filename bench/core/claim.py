"""Claim latency with 20 concurrent operators, each with its own token, claiming different cases.

    .venv/bin/python bench/core/claim.py [--quick] [--operators 20] [--database-url postgres://...]

The cases are seeded new and unclaimed; operator k claims cases k, k+20, k+40, ... one after the
other, all operators at once, so every claim is a real first claim (200) under contention for the
database but never for the same row. Two runs on two fresh sets of cases:
  burst: no pause between an operator's claims (a closed loop: the server is saturated, so the
         latency is mostly queueing; the worst case, not a desk's real load);
  paced: each operator waits --think seconds between claims (default 0.5 s: 40 claims/s offered
         by 20 operators, still far above a real desk).
Target (issue 9): p99 <= 10 ms for the paced run, printed on its own line at the end with the
load average (on a shared machine the tail is the scheduler's: compare on a quiet one).
Any answer but 200 (or no answer at all) is an error and makes the run exit non-zero.

--floor adds a third run: the same client, operators and pacing against a request the ASGI
server refuses at once in its event loop (a Meta webhook, no body, a wrong signature: 401, no
thread, no Django, no database): the share of a paced claim that is the client's, the
loopback's and uvicorn's, which no claim can go under on this machine.

The server does not inherit TANGGAP_* variables from this shell (tanggap.testing.liveserver
keeps them out, so a developer's settings never leak into a figure): give a setting to the
server under test with --set (or --server-env), e.g. --set TANGGAP_SQLITE_SYNCHRONOUS=normal;
every benchmark built on common.py takes it.
"""

from __future__ import annotations

import os
import threading
import time

import httpx
from common import (
    LATENCY_HEADER,
    NO_ANSWER,
    StartLine,
    backend_label,
    latency_row,
    parser,
    percentile,
    seed,
    server_for,
    settings_title,
    warm_up,
)
from common import table as print_table
from targets import verdict


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--operators", type=int, default=20)
    p.add_argument("--per-operator", type=int, default=None, help="default 50, quick 15")
    p.add_argument("--think", type=float, default=0.5, help="pause of the paced run, seconds")
    p.add_argument("--seconds", type=float, default=60, help="time bound of each run")
    p.add_argument("--floor", action="store_true",
                   help="also pace the same client against a request refused at once (see above)")
    args = p.parse_args()
    per = args.per_operator or (15 if args.quick else 50)
    n_cases = per * args.operators * 2

    with server_for(args, "claim") as server:
        if args.floor:
            # The webhook intake answers in the event loop only when a secret is configured.
            server.extra_env["META_APP_SECRET"] = "claim-bench-floor"
        desk = seed(server, "--operators", str(args.operators), "--cases", str(n_cases))
        server.start(workers=args.server_workers, worker=not args.no_worker)
        tokens = list(desk["tokens"].values())
        half = len(desk["case_ids"]) // 2
        runs = [("burst", 0.0, desk["case_ids"][:half], _claim),
                ("paced", args.think, desk["case_ids"][half:], _claim)]
        if args.floor:
            runs.append(("floor", args.think, desk["case_ids"][half:], _refused))
        results = [(name, *_run(server, tokens, ids, think, args, ask))
                   for name, think, ids, ask in runs]

    label = backend_label(args.database_url)
    load = os.getloadavg()
    print_table(
        f"claim latency, {label}, {args.operators} concurrent operators, "
        f"{args.server_workers} server process(es)"
        f"{settings_title(args)}, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}",
        [*LATENCY_HEADER, "claims/s", "codes"],
        [[*latency_row(f"claim, {name}", lat), f"{len(lat) / wall:.0f}",
          str(dict(sorted(codes.items())))] for name, lat, wall, codes in results],
    )
    for name, lat, _wall, _codes in results:
        ms = [x * 1000 for x in lat]
        if name == "paced" and ms:
            print(f"\npaced claims: p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} "
                  f"ms, p99 {percentile(ms, 99):.1f} ms over {len(ms)} claims")
            if args.operators == 20 and args.think == 0.5:
                print(verdict("claim_p99_ms", percentile(ms, 99)))
        if name == "floor" and ms:
            print(f"floor, a request refused in the event loop, paced the same: p50 "
                  f"{percentile(ms, 50):.1f} ms, "
                  f"p95 {percentile(ms, 95):.1f} ms, p99 {percentile(ms, 99):.1f} ms over "
                  f"{len(ms)} requests")
    wrong = {name: codes for name, _lat, _wall, codes in results
             if set(codes) - {FLOOR_STATUS if name == "floor" else 200}}
    if wrong:
        raise SystemExit(f"requests that did not answer as expected: {wrong}")


def _claim(http, server, case_id: int) -> int:
    return http.post(f"{server.url}/api/v1/cases/{case_id}/claim").status_code


# What the webhook intake answers a body whose signature is wrong, from the event loop.
FLOOR_STATUS = 401


def _refused(http, server, _case_id: int) -> int:
    return http.post(f"{server.url}/webhooks/meta", content=b"",
                     headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}).status_code


def _run(server, tokens: list[str], case_ids: list[int], think: float, args, ask):
    latencies: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()
    start = StartLine(args.operators, args.seconds)

    def operator(k: int) -> None:
        mine = case_ids[k::args.operators]
        # Only the claims carry a token (the floor's requests are not the API's).
        token = {"Authorization": f"Bearer {tokens[k]}"} if ask is _claim else {}
        with httpx.Client(headers=token, timeout=30) as http:
            if not warm_up(http, server):
                start.client_failed(f"operator {k}: the server did not answer")
                return
            if not start.client_ready():
                return
            # Stagger the paced operators so they do not all press Claim in the same instant.
            time.sleep(think * k / args.operators)
            for case_id in mine:
                if start.deadline.passed():
                    return
                t0 = time.perf_counter()
                try:
                    status = ask(http, server, case_id)
                except httpx.HTTPError:
                    status = NO_ANSWER
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    codes[status] = codes.get(status, 0) + 1
                if think:
                    time.sleep(think)

    threads = [threading.Thread(target=operator, args=(k,)) for k in range(args.operators)]
    for t in threads:
        t.start()
    start.go(threads)
    for t in threads:
        t.join()
    return latencies, start.wall(), codes


if __name__ == "__main__":
    main()
