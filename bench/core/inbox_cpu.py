"""CPU and SQL queries of one inbox page, in-process (the WSGI application, no HTTP).

    .venv/bin/python bench/core/inbox_cpu.py [--cases 20000] [--messages 100000] [--pages 60]
                                             [--sla] [--profile 30] [--data-dir DIR]

Seeds a fresh SQLite file in a temp data dir with seed.py (--mix: statuses spread, about half
closed, some claims) and then asks the desk's own WSGI application (`tanggap serve`'s, with every
middleware) for the same pages `bench/core/inbox.py` times from outside:
  GET /w/<slug>/                  the HTML inbox (100 rows, logged-in session)
  GET /w/<slug>/rows              the rows alone (the live re-render and the split view)
  GET /api/v1/cases?status=open   the API's first page (50 rows, token)
Prints CPU ms per page (process time: waiting on the disk is not counted), wall ms, and the SQL
statements of one page. `--sla` first gives the workspace an SLA policy, so every open row also
shows its clock. `--profile N` prints the N costliest functions of the HTML pages (cProfile;
`--profile-what API` for the API's).
`--data-dir DIR` keeps the seeded desk in DIR (seeded on the first run, reused after).
`--against CHECKOUT` (with `--data-dir`) compares with another checkout page by page: its
`tanggap` runs the same pages in a second process on the same seed, the two taking turns for
every page, so the others' load on a shared machine falls on both alike; it prints both and
the median of the paired ratios. Before/after, e.g. with main's tree in /tmp/before:
    git archive main tanggap | tar -x -C /tmp/before
    .venv/bin/python bench/core/inbox_cpu.py --data-dir /tmp/inbox-desk --against /tmp/before
Targets (issue 9), from outside: HTML inbox p95 <= 25 ms, API list p95 <= 10 ms; this in-process
figure is the part of them the desk's own code spends.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import in_process_desk

HERE = Path(__file__).resolve().parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=20_000)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--pages", type=int, default=60, help="pages timed per target")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--sla", action="store_true", help="give the workspace an SLA policy first")
    p.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    p.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    p.add_argument("--profile-what", default="HTML",
                   help="profile the pages whose label holds this text (HTML, API)")
    p.add_argument("--show-sql", action="store_true", help="print each page's SQL statements")
    p.add_argument("--data-dir", default="",
                   help="keep the seeded desk here: seeded when the dir holds none, else reused "
                        "(--cases, --messages and --sla then come from the first run)")
    p.add_argument("--against", default="",
                   help="a checkout whose tanggap package runs the same pages in turn with this "
                        "one (needs --data-dir)")
    p.add_argument("--serve-turns", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.against and not args.data_dir:
        p.error("--against needs --data-dir (both checkouts read the same seed)")

    if args.data_dir:
        os.makedirs(args.data_dir, exist_ok=True)
        with in_process_desk("tanggap-inbox-cpu-"):
            # The kept dir replaces the temp one that the context manager removes after.
            os.environ["TANGGAP_DATA_DIR"] = os.path.abspath(args.data_dir)
            run(args)
    else:
        with in_process_desk("tanggap-inbox-cpu-"):
            run(args)


def run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tanggap.conf.handler import DeskWSGIHandler
    from tanggap.workspaces.models import Membership

    kept = Path(os.environ["TANGGAP_DATA_DIR"], "inbox-cpu-desk.json")
    seeded = 0.0
    if args.data_dir and kept.exists():
        desk = json.loads(kept.read_text())
    else:
        call_command("migrate", verbosity=0)
        connection.close()
        t0 = time.monotonic()
        done = subprocess.run(
            [sys.executable, str(HERE / "seed.py"), "--operators", "2", "--cases",
             str(args.cases), "--messages", str(args.messages), "--mix"],
            env=os.environ, capture_output=True, text=True, timeout=3600,
        )
        if done.returncode != 0:
            sys.exit(f"seed.py failed:\n{done.stdout}\n{done.stderr}")
        desk = json.loads(done.stdout.strip().splitlines()[-1])
        seeded = time.monotonic() - t0
    membership = Membership.objects.select_related("user", "workspace").get(
        user__username="op01", workspace__slug=desk["slug"])
    if args.sla and not kept.exists():
        from tanggap.sla.actions import set_policy
        from tanggap.workspaces.actions.members import add_member

        boss = add_member(workspace=membership.workspace, username="kepala", role="supervisor",
                          password=desk["password"], now=timezone.now())
        set_policy(membership=boss, actor=boss.user, now=timezone.now(), name="Standar",
                   first_response=60, next_response=240, resolution=4320)
    if args.data_dir and not kept.exists():
        kept.write_text(json.dumps(desk))
    client = Client()
    client.force_login(membership.user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    app = DeskWSGIHandler()

    def get(path: str, query: str = "", **headers) -> bytes:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            **headers,
        }
        status = []
        content = b"".join(app(environ, lambda s, h, exc_info=None: status.append(s)))
        if not status[0].startswith("200"):
            sys.exit(f"GET {path}?{query} answered {status[0]}: {content[:300]!r}")
        return content

    slug = desk["slug"]
    session = {"HTTP_COOKIE": cookie}
    token = {"HTTP_AUTHORIZATION": f"Bearer {desk['tokens']['op01']}"}
    targets = [
        ("HTML inbox (100 rows)", f"/w/{slug}/", "", session, "case-row"),
        ("HTML rows alone (100 rows)", f"/w/{slug}/rows", "", session, "case-row"),
        ("API open, first page (50 rows)", "/api/v1/cases", "status=open", token, '"tracking_number"'),
    ]
    if args.serve_turns:
        # The other checkout's side of --against: one page per line read, its CPU time back.
        for _label, path, query, headers, _marker in targets:
            for _ in range(args.warmup):
                get(path, query, **headers)
        print("ready", flush=True)
        for line in sys.stdin:
            _label, path, query, headers, _marker = targets[int(line)]
            c = time.process_time()
            get(path, query, **headers)
            print(time.process_time() - c, flush=True)
        return
    other = _other_checkout(args) if args.against else None
    paired = []
    profiler = cProfile.Profile() if args.profile else None
    rows = []
    for index, (label, path, query, headers, marker) in enumerate(targets):
        for _ in range(args.warmup):
            get(path, query, **headers)
        # Counted by a wrapper: the request_started signal empties Django's own query log.
        statements = []

        def count(execute, sql, params, many, context, seen=statements):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            body = get(path, query, **headers)
        shown = body.count(marker.encode())
        if args.show_sql:
            print(f"-- {label}: {len(statements)} statements", *statements, sep="\n")
        cpu, wall, theirs = [], [], []
        profiled = args.profile_what in label
        for page in range(args.pages):
            if other and page % 2:
                theirs.append(_their_turn(other, index))
            if profiler and profiled:
                profiler.enable()
            c, w = time.process_time(), time.perf_counter()
            get(path, query, **headers)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
            if profiler and profiled:
                profiler.disable()
            if other and not page % 2:
                theirs.append(_their_turn(other, index))
        rows.append((label, shown, cpu, wall, len(statements)))
        if other:
            paired.append((label, theirs, cpu))

    load = os.getloadavg()[0]
    origin = f"seeded in {seeded:.0f} s" if seeded else f"seed kept in {args.data_dir}"
    print(f"## inbox pages in-process, sqlite, {desk['cases']:,} cases / {desk['messages']:,} "
          f"messages ({origin}), {args.pages} pages each"
          f"{', SLA policy' if args.sla else ''}, load average {load:.2f}")
    # The fastest tenth: on a shared machine the others' load inflates the mean and the median
    # (caches, the other hyperthread), so before/after comparisons read this column first.
    print("| page | rows/markers | CPU ms/page (mean) | CPU ms (median) | CPU ms (fastest 10%) "
          "| wall ms/page | SQL |")
    print("|---|---|---|---|---|---|---|")
    for label, shown, cpu, wall, queries in rows:
        print(f"| {label} | {shown} | **{1000 * statistics.fmean(cpu):.2f}** | "
              f"{1000 * statistics.median(cpu):.2f} | "
              f"{1000 * statistics.quantiles(cpu, n=10)[0]:.2f} | "
              f"{1000 * statistics.fmean(wall):.2f} | {queries} |")
    print(json.dumps({"figure": "inbox_cpu_ms", "load": round(load, 2),
                      **{label: round(1000 * statistics.fmean(cpu), 2)
                         for label, _s, cpu, _w, _q in rows}}))
    if other:
        other.stdin.close()
        other.wait()
        print(f"\n## page by page against {args.against} (A), this checkout (B), in turns")
        print("| page | A CPU ms (median) | B CPU ms (median) | A fastest 10% | B fastest 10% "
              "| B/A (median of the pairs) |")
        print("|---|---|---|---|---|---|")
        for label, a, b in paired:
            ratio = statistics.median(y / x for x, y in zip(a, b, strict=True))
            print(f"| {label} | {1000 * statistics.median(a):.2f} | "
                  f"{1000 * statistics.median(b):.2f} | "
                  f"{1000 * statistics.quantiles(a, n=10)[0]:.2f} | "
                  f"{1000 * statistics.quantiles(b, n=10)[0]:.2f} | **{ratio:.2f}** |")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
        print(out.getvalue())


def _other_checkout(args) -> subprocess.Popen:
    """This script again, on the same seed, with the other checkout's `tanggap` first on the
    path; it answers once it has warmed up."""
    env = {**os.environ, "PYTHONPATH": os.path.abspath(args.against)}
    child = subprocess.Popen(
        [sys.executable, __file__, "--data-dir", args.data_dir, "--warmup", str(args.warmup),
         "--serve-turns"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=args.against)
    for line in child.stdout:
        if line.strip() == "ready":
            return child
    child.kill()
    sys.exit(f"the checkout in {args.against} did not start its pages")


def _their_turn(child: subprocess.Popen, index: int) -> float:
    child.stdin.write(f"{index}\n")
    child.stdin.flush()
    return float(child.stdout.readline())


if __name__ == "__main__":
    main()
