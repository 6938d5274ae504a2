"""Every report over a city's year: 1,000,000 messages, each report timed.

Seeds the demo desk (`tanggap.demo`: its members, channels and directory of bodies) in a fresh
database with a year of history from the demo's generator (`tanggap/demo/history.py`: contacts,
cases, messages, the citizen form's submissions, referrals to the directory's bodies, and the
audit trail the desk's actions would have written), about `--messages` messages in all, then
builds the report roll-ups from that trail the way the periodic job does. Then it asks for every
report through Django's whole request path (middleware, permission checks, templates), in
process, as a supervisor (the reports page, its exports, the monthly PDF) and as an anonymous
visitor (the transparency page, its open data, Open311), and prints each one's time: the median
and the slowest of `--repeat` runs after one warm-up, and the median CPU time the benchmark's
process spent on it (on SQLite that includes the database's work; on PostgreSQL it leaves out the
server's). On a shared machine the CPU time is the figure that does not move with the others'
load: at a load average of 10 on 2 CPUs a report waits about five times its CPU time. Downloads
that stream print the time to their first bytes, and the whole download separately.

    .venv/bin/python bench/reports/bench_reports.py                 # 1,000,000 messages, SQLite
    .venv/bin/python bench/reports/bench_reports.py --quick         # 100,000 messages
    .venv/bin/python bench/reports/bench_reports.py \\
        --database-url postgres://postgres@127.0.0.1:5440/postgres  # a fresh database there

Talks to nothing but the database (SQLite in a temp dir, or PostgreSQL on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "bench" / "core")]

from common import fresh_database  # noqa: E402

TARGET_SECONDS = 1.0
# Messages per case in the generated history (a first message, a reply, sometimes a second
# exchange): used to pick the cases a day that give about the messages asked for.
MESSAGES_PER_CASE = 2.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 messages")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-downloads", action="store_true",
                        help="leave out the whole downloads of a year's cases (minutes)")
    parser.add_argument("--data", type=Path,
                        help="keep the data directory here, and reuse what an earlier run seeded "
                             "in it (SQLite; default: a temp dir, removed after)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="postgres://user@127.0.0.1:PORT/any: a fresh database is made "
                             "there for the run and dropped after (default: SQLite in a temp "
                             "dir)")
    args = parser.parse_args()
    if args.quick:
        args.messages = 100_000
    data = args.data or Path(tempfile.mkdtemp(prefix="tanggap-bench-reports-"))
    try:
        with fresh_database(args.database_url, "reports") as database_url:
            os.environ.update(TANGGAP_DATA_DIR=str(data / "data"),
                              TANGGAP_KEYS_DIR=str(data / "keys"),
                              DJANGO_SETTINGS_MODULE="tanggap.settings")
            os.environ.pop("DATABASE_URL", None)
            if database_url:
                os.environ["DATABASE_URL"] = database_url
            run(args)
    finally:
        if not args.data:
            shutil.rmtree(data, ignore_errors=True)


def run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tanggap.cases.models import Message
    from tanggap.demo.actions import DEMO_SLUG, setup_demo
    from tanggap.demo.history import generate_history
    from tanggap.reports import rollup

    print(f"database: {connection.vendor}; {os.cpu_count()} CPUs; "
          f"target: every report under {TARGET_SECONDS:.0f} s")
    call_command("migrate", verbosity=0)
    now = timezone.now()
    demo = setup_demo(now=now, seed=False)
    per_day = max(1, round(args.messages / MESSAGES_PER_CASE / 363))
    started = time.monotonic()

    def progress(report) -> None:
        if not sys.stdout.isatty():
            return
        print(f"\r  seeding: {report.messages:,} messages, {report.cases:,} cases "
              f"({time.monotonic() - started:.0f} s)", end="", flush=True)

    history = generate_history(workspace=demo.workspace, now=now, per_day=per_day,
                               clock=time.monotonic, progress=progress)
    if history.skipped:
        print(f"reusing the history seeded in {args.data}: {Message.objects.count():,} messages")
        # A newer roll-up (a migration that forgot the old counts) reads the trail again here.
        started = time.monotonic()
        run = rollup.catch_up(now=now, batch_size=5000)
        if run.handled:
            print(f"read {run.handled:,} audit events into the roll-ups in "
                  f"{time.monotonic() - started:.0f} s")
    else:
        print("\r", end="")
        print(f"seeded a year: {history.cases:,} cases, {history.messages:,} messages, "
              f"{history.events:,} audit events in {time.monotonic() - started:.0f} s ("
              + ", ".join(f"{step} {s:.0f} s" for step, s in history.seconds.items()) + ")")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    timings(args, demo.workspace, DEMO_SLUG, now)


def timings(args, workspace, slug: str, now) -> None:
    import logging

    from django.test import Client

    from tanggap.reports.models import CaseFact
    from tanggap.workspaces.models import Membership

    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per login otherwise
    supervisor = Membership.objects.filter(workspace=workspace, role="supervisor").first().user
    desk = Client(SERVER_NAME="127.0.0.1")
    desk.force_login(supervisor)
    public = Client(SERVER_NAME="127.0.0.1")
    today = now.date()
    year = {"from": str(today - timedelta(days=364)), "to": str(today)}
    month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month = {"from": str(month_start), "to": str(today.replace(day=1) - timedelta(days=1))}
    facts = CaseFact.objects.filter(workspace_id=workspace.pk)
    sample = facts.exclude(area="").order_by("-pk").first() or facts.first()
    body = facts.exclude(body_id=0).values_list("body_id", flat=True).first()
    base = f"/w/{slug}/reports/"
    checks = [
        ("report, a year by day", base, year),
        ("report, a year by week", base, {**year, "by": "week"}),
        ("report, a year by month", base, {**year, "by": "month"}),
        ("report, last month by day", base, month),
        ("report, a year, one channel", base, {**year, "channel": sample.channel_id}),
        ("report, a year, one kind", base, {**year, "kind": sample.kind}),
        ("report, a year, one intent", base, {**year, "intent": sample.intent}),
        ("report, a year, one topic", base, {**year, "topic": sample.topic}),
        *([("report, a year, one body", base, {**year, "body": body})] if body else []),
        ("report, a year, not referred", base, {**year, "body": 0}),
        ("report, a year, one area", base, {**year, "area": sample.area}),
        ("report, a year, abusive only", base, {**year, "kasar": "true"}),
        ("report, a year, topic + channel + month", base,
         {**year, "by": "month", "topic": sample.topic, "channel": sample.channel_id}),
        ("export, a year's report as XLSX", base + "export.xlsx", year),
        ("export, a year's topic table as CSV", base + "export.csv", {**year, "table": "topic"}),
        ("export, a year's cases as CSV (first bytes)", base + "cases.csv", year),
        ("monthly PDF for the mayor", base + "monthly.pdf", {"month": month_start.strftime("%Y-%m")}),
        ("transparency page (public)", f"/transparansi/{slug}/", {}),
        ("open data, monthly stats JSON", f"/transparansi/{slug}/data/stats.json", {}),
        ("open data, a year's cases CSV (first bytes)", f"/transparansi/{slug}/data/cases.csv", {}),
        ("Open311, requests.json", "/open311/v2/requests.json", {}),
        ("Open311, requests.xml, closed, one service", "/open311/v2/requests.xml",
         {"status": "closed", "service_code": "jalan"}),
    ]
    print(f"\n{'report':<50} {'median':>8} {'slowest':>8} {'cpu':>8}  under {TARGET_SECONDS:.0f} s")
    slow = []
    for label, path, params in checks:
        client = public if path.startswith(("/transparansi", "/open311")) else desk
        times, cpu, status = [], [], None
        for attempt in range(args.repeat + 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, params)
            status = response.status_code
            if response.streaming:
                next(iter(response.streaming_content), b"")
            else:
                _ = response.content
            elapsed = time.perf_counter() - started
            used = time.process_time() - started_cpu
            response.close()
            if attempt:  # the first run warms the caches
                times.append(elapsed)
                cpu.append(used)
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
        median, slowest = statistics.median(times), max(times)
        ok = slowest < TARGET_SECONDS
        if not ok:
            slow.append(label)
        print(f"{label:<50} {median * 1000:>6.0f}ms {slowest * 1000:>6.0f}ms "
              f"{statistics.median(cpu) * 1000:>6.0f}ms  {'yes' if ok else 'NO'}")
    if not args.no_downloads:
        whole_downloads(desk, public, base, slug, year)
    print("\nall under the target" if not slow else f"\nover the target: {', '.join(slow)}")


def whole_downloads(desk, public, base: str, slug: str, year: dict) -> None:
    """Downloads of every case of the year stream; their whole time is not a report's answer
    but is worth knowing."""
    print()
    for label, client, path, params in (
            ("whole download, a year's cases CSV (desk)", desk, base + "cases.csv", year),
            ("whole download, a year's cases XLSX (desk)", desk, base + "cases.xlsx", year),
            ("whole download, open data cases JSON", public, f"/transparansi/{slug}/data/cases.json",
             {})):
        started = time.perf_counter()
        response = client.get(path, params)
        size = sum(len(chunk) for chunk in response.streaming_content)
        response.close()
        print(f"{label:<50} {time.perf_counter() - started:>7.1f} s  {size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
