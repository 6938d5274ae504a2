"""CPU and SQL queries of one POST /api/v1/inbound, in-process (Django's test client, no HTTP).

    .venv/bin/python bench/core/inbound_cpu.py [--requests 2000] [--profile 30]

Runs the desk's whole request path through the WSGI application `tanggap serve` uses
(middleware, token, channel, the ingest action, the triage, the commit at the settings'
`synchronous` level, the live event handed to a server loop) in this one process on a fresh SQLite file in
a temp data dir: 70% new citizens, 30% follow-ups, like ingest.py. Prints CPU ms per request
(process time, so waiting on the disk is not counted), wall ms, and the SQL statements of one
new-citizen and one follow-up request. `--alternate-cursor` alternates blocks of 100 requests
between the hot statements on SQLite's own cursor and on Django's, and prints both;
`--alternate-token-cache` likewise between the token lookup kept per process and read each time;
`--alternate-drop NAMES` and `--alternate-create SQL` likewise alternate the migrated schema
with one without those indexes or triggers, or with those created (what an index, or the
search index's triggers, cost an inbound). `--profile N` prints the N most expensive functions
(cProfile, cumulative). Target (issue 9): <= 1.5 ms CPU per inbound.

`--path fast` measures instead the path `tanggap serve` answers a well-formed inbound from by
default (TANGGAP_FAST_INTAKE=1): tanggap.asgi's application called with an ASGI scope on the
server loop's thread, its InboundIntake (pool threads, group commit) storing the message and
answering after the commit; the bench waits for each answer and counts the CPU of all the
process's threads. It includes the ASGI application's own work but not uvicorn's HTTP parsing
(nor, on the Django path, a2wsgi's hand-over). `--path both` alternates blocks of 100 requests
between the two paths in one process and prints both. Either exits if an answer is not 201 or
200 with the view's JSON fields, if the fast path hands a request to Django, or if the stored
messages do not match the requests sent. Importing tanggap.asgi freezes the collector's
objects as `tanggap serve` does (gc.freeze), for both paths of a run that uses it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time

from targets import verdict


def post_environ(path: str, raw: bytes, token: str) -> dict:
    """A WSGI environ for `POST path` with a JSON body and a Bearer token, as uvicorn builds one."""
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(raw)),
        "HTTP_AUTHORIZATION": f"Bearer {token}", "wsgi.input": io.BytesIO(raw),
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    p.add_argument("--show-sql", action="store_true")
    p.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    p.add_argument("--profile-out", default="",
                   help="also write the raw cProfile data here (for pstats' print_callers)")
    p.add_argument("--alternate-cursor", action="store_true",
                   help="alternate blocks of 100 requests between the hot statements on "
                        "SQLite's own cursor (the default) and on Django's cursor, and print "
                        "both: an A/B in one process, steadier than two runs on a busy machine")
    p.add_argument("--alternate-token-cache", action="store_true",
                   help="alternate blocks of 100 requests between the token lookup kept per "
                        "process (workspaces.access.cached_bearer, the default) and read on "
                        "every request, and print both")
    p.add_argument("--alternate-fts-prefix", default="", metavar="PREFIXES",
                   help="e.g. '2 3': alternate blocks of 100 requests between the search index "
                        "as migrated and one with FTS5's prefix='PREFIXES' (each rebuilt from "
                        "the documents at the switch)")
    p.add_argument("--alternate-drop", default="",
                   help="NAME,NAME...: indexes or triggers of the migrated schema; alternate "
                        "blocks of 100 requests between the schema with them and without them "
                        "(each re-created from its own SQL)")
    p.add_argument("--alternate-create", action="append", default=[], metavar="SQL",
                   help="a CREATE INDEX or CREATE TRIGGER statement (repeatable); alternate "
                        "blocks of 100 requests between the schema without and with them")
    p.add_argument("--path", choices=("django", "fast", "both"), default="django",
                   help="django: the WSGI application (Django's handler and middleware); fast: "
                        "the ASGI application's fast path for the inbound (tanggap/api/intake.py), "
                        "what `tanggap serve` runs by default; both: alternate blocks of 100 "
                        "requests between them and print both")
    p.add_argument("--alternate-fast-threads", type=int, default=0, metavar="N",
                   help="with --path fast: alternate blocks of 100 requests between the fast "
                        "path's pool as it runs (tanggap.api.intake.POOL_THREADS threads, each "
                        "with its own database connection; the next request to the thread "
                        "that finished last, tanggap.conf.warmpool) and a ThreadPoolExecutor "
                        "of N threads (taken in turn), and print both")
    args = p.parse_args()
    if args.alternate_fast_threads and args.path != "fast":
        p.error("--alternate-fast-threads measures the fast path: --path fast")
    if sum(map(bool, (args.alternate_cursor, args.alternate_token_cache, args.alternate_drop,
                      args.alternate_create, args.alternate_fts_prefix,
                      args.path == "both", args.alternate_fast_threads))) > 1:
        p.error("one --alternate-... at a time")

    data = tempfile.mkdtemp(prefix="tanggap-cpu-")
    os.environ["TANGGAP_DATA_DIR"] = data
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-long-enough-0123456789abcdef")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        run(args)
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(data + "-keys", ignore_errors=True)


def run(args) -> None:
    import django

    django.setup()
    import asyncio
    import threading

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tanggap.conf.handler import DeskWSGIHandler
    from tanggap.connectors.actions.channels import add_channel
    from tanggap.live.fanout import remember_server_loop
    from tanggap.workspaces.actions.members import add_member
    from tanggap.workspaces.actions.tokens import create_token
    from tanggap.workspaces.actions.workspaces import create_workspace

    call_command("migrate", verbosity=0)
    now = timezone.now()
    workspace = create_workspace(slug="cpu", name="CPU", now=now)
    channel = add_channel(workspace=workspace, platform="web", handle="cpu-web", now=now)
    gateway = add_member(workspace=workspace, username="gerbang", role="integration",
                         password="", now=now).user
    token = create_token(user=gateway, now=now)
    app = DeskWSGIHandler()
    # As under `tanggap serve`: live events go to the server's event loop, in another thread.
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    asyncio.run_coroutine_threadsafe(_remember(remember_server_loop), loop).result()
    rng = random.Random(9)
    serial = 0

    last_author = [""]

    def body(follow_up: bool, again: bool = False) -> str:
        # again: from the author of the request before (a follow-up whose case surely exists).
        nonlocal serial
        serial += 1
        author = (last_author[0] if again else
                  f"lama-{rng.randrange(50)}" if follow_up else f"baru-{serial}")
        last_author[0] = author
        return json.dumps({
            "channel_id": channel.pk, "external_id": f"m-{serial}",
            "author": {"id": author, "name": f"Warga {author}"},
            "text": "Mohon info, lampu jalan di RT 05 Gunung Bahagia mati sejak kemarin malam, "
                    "anak-anak takut lewat. Tolong segera diperbaiki ya pak, sudah lapor ke RT.",
        })

    def post(follow_up: bool, again: bool = False):
        raw = body(follow_up, again).encode()
        environ = post_environ("/api/v1/inbound", raw, token)
        status = []
        chunks = app(environ, lambda s, headers, exc_info=None: status.append(s))
        content = b"".join(chunks)
        if not status[0].startswith(("200", "201")):
            sys.exit(f"inbound answered {status[0]}: {content[:300]!r}")
        _check_answer(content)
        sent_count[0] += 1

    sent_count = [0]
    fast = _FastPath(loop, token) if args.path != "django" else None

    def fast_post(follow_up: bool, again: bool = False):
        fast.post(body(follow_up, again).encode())
        sent_count[0] += 1

    chosen = {"django": post, "fast": fast_post}
    current = [fast_post if args.path == "fast" else post]

    for i in range(args.warmup):
        current[0](i % 10 < 3)
        if args.path == "both":
            fast_post(i % 10 < 3)
    samples = {"new": [], "follow-up": []}
    statements = {}
    for kind in ("new", "follow-up"):
        if args.path == "fast":
            statements[kind] = fast.statements(
                lambda kind=kind: fast_post(kind == "follow-up", again=kind == "follow-up"))
            continue
        with CaptureQueriesContext(connection) as queries:
            post(kind == "follow-up", again=kind == "follow-up")
        statements[kind] = [q["sql"] for q in queries.captured_queries]
    fast_statements = ({kind: fast.statements(
        lambda kind=kind: fast_post(kind == "follow-up", again=kind == "follow-up"))
                        for kind in ("new", "follow-up")} if args.path == "both" else {})

    profiler = cProfile.Profile() if args.profile else None
    ordered: list[float] = []  # CPU seconds of each request, in order
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    if args.alternate_cursor:
        cursors, restore = _cursor_modes(), "driver cursor"
    elif args.alternate_token_cache:
        cursors, restore = _token_cache_modes(), "token kept"
    elif args.alternate_fts_prefix:
        cursors, restore = _fts_prefix_modes(args.alternate_fts_prefix), "index as migrated"
    elif args.alternate_drop or args.alternate_create:
        cursors, restore = _schema_modes(args.alternate_drop, args.alternate_create)
    elif args.alternate_fast_threads:
        cursors, restore = fast.pools(args.alternate_fast_threads)
    elif args.path == "both":
        cursors = {f"{name} path": (lambda chosen_post=chosen_post:
                                    current.__setitem__(0, chosen_post))
                   for name, chosen_post in chosen.items()}
        restore = "django path"
    else:
        cursors, restore = {}, ""
    per_mode: dict[str, list[float]] = {name: [] for name in cursors}
    for i in range(args.requests):
        if cursors and i % 100 == 0:
            mode = list(cursors)[(i // 100) % 2]
            cursors[mode]()
        follow_up = i % 10 < 3
        c, w = time.process_time(), time.perf_counter()
        current[0](follow_up)
        samples["follow-up" if follow_up else "new"].append(
            (time.process_time() - c, time.perf_counter() - w))
        ordered.append(samples["follow-up" if follow_up else "new"][-1][0])
        if cursors:
            per_mode[mode].append(ordered[-1])
    if profiler:
        profiler.disable()
    if cursors:
        cursors[restore]()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    # On a machine shared with other work the mean swings with the neighbours; the median of
    # blocks of 100 requests (each block's mean) is steadier, and what A/B runs compare.
    blocks = sorted(sum(b) / len(b) for b in
                    (ordered[i:i + 100] for i in range(0, len(ordered), 100)) if len(b) == 100)
    median = statistics.median(blocks) if blocks else cpu / args.requests
    floor = _floor(app, token, body(False).encode(), args.requests)
    from tanggap.cases.models import Message

    stored = Message.objects.count()
    if stored != sent_count[0]:
        sys.exit(f"{sent_count[0]} inbound answered, {stored} messages stored")

    load = os.getloadavg()[0]
    print(f"## inbound in-process, {args.path} path, sqlite synchronous="
          f"{os.environ.get('TANGGAP_SQLITE_SYNCHRONOUS', 'full')}, {args.requests} requests, "
          f"load average {load:.2f}")
    print("| kind | requests | CPU ms/request | wall ms/request | SQL statements |")
    print("|---|---|---|---|---|")
    for kind, rows in samples.items():
        n = len(rows) or 1
        print(f"| {kind} | {len(rows)} | {1000 * sum(r[0] for r in rows) / n:.2f} | "
              f"{1000 * sum(r[1] for r in rows) / n:.2f} | {len(statements[kind])} |")
    print(f"| all | {args.requests} | **{1000 * cpu / args.requests:.2f}** | "
          f"{1000 * wall / args.requests:.2f} | |")
    print(f"median of {len(blocks)} blocks of 100 requests: {1000 * median:.2f} CPU ms/request")
    print(json.dumps({"figure": "inbound_cpu_ms", "value": round(1000 * cpu / args.requests, 3),
                      "median_block_ms": round(1000 * median, 3),
                      "wall_ms": round(1000 * wall / args.requests, 3), "load": round(load, 2),
                      "floor_ms": round(1000 * floor, 3),
                      "queries_new": len(statements["new"]),
                      "queries_follow_up": len(statements["follow-up"])}))
    print(verdict("inbound_cpu_ms", 1000 * cpu / args.requests)
          + f" ({args.path} path{'s alternated' if args.path == 'both' else ''})")
    print(f"the floor, a bare Django view on the same machine chain (JSON body in, JSON out, no "
          f"database): {1000 * floor:.2f} CPU ms/request (median of blocks of 100)")
    for mode, rows in per_mode.items():
        mode_blocks = [sum(rows[i:i + 100]) / 100 for i in range(0, len(rows) - 99, 100)]
        print(f"{mode}: {1000 * sum(rows) / max(len(rows), 1):.2f} CPU ms/request, median of "
              f"{len(mode_blocks)} blocks {1000 * statistics.median(mode_blocks or [0]):.2f}")
    for kind, sqls in fast_statements.items():
        print(f"fast path, SQL statements of one {kind} inbound: {len(sqls)}")
    if fast is not None:
        print(f"fast path: {fast.answered} requests answered by it, none handed to Django; "
              f"{stored} messages stored for {sent_count[0]} requests")
        print(f"of which the bench's own hand-over to the server loop and back (no such hop "
              f"under uvicorn, whose loop reads the request): {1000 * fast.hop():.3f} CPU "
              f"ms/request (median of blocks of 100 empty coroutines)")
    if args.show_sql:
        for kind, sqls in statements.items():
            print(f"\n### SQL of one {kind} inbound")
            for sql in sqls:
                print("-", sql[:240])
    if profiler:
        print()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(args.sort).print_stats(
            args.profile)
        if args.profile_out:
            profiler.dump_stats(args.profile_out)


def _cursor_modes() -> dict:
    """Switches between the two ways the hot statements can run (tanggap.conf.statements): on
    SQLite's own cursor, as they do, or on Django's cursor, as they did before."""
    from tanggap.conf import statements

    driver = statements._run

    def django_cursor(sql, params, read):
        with statements._connection().cursor() as cursor:
            cursor.execute(sql, params)
            return read(cursor)

    def use(run):
        return lambda: setattr(statements, "_run", run)

    return {"driver cursor": use(driver), "django cursor": use(django_cursor)}


def _token_cache_modes() -> dict:
    """Switches between the inbound's token lookup kept per process (as it runs) and read on
    every request, without the access generation's read (as it ran before)."""
    from tanggap.workspaces import access

    generation = access.access_generation

    class Forgetting(dict):
        def __setitem__(self, key, value):
            pass

    def kept():
        access.access_generation, access._kept = generation, {}

    def read():
        access.access_generation, access._kept = (lambda: None), Forgetting()

    return {"token kept": kept, "token read each time": read}


def _fts_prefix_modes(prefix: str) -> dict:
    """Switches between the search index as migrated and one with FTS5's prefix indexes
    `prefix`, the table replaced under its triggers and rebuilt from the documents, as
    migration cases 0015 does (what those prefix indexes cost an inbound)."""
    from importlib import import_module

    from django.db import connection

    migration = import_module("tanggap.cases.migrations.0015_search_without_short_prefixes")

    def use(option):
        def switch():
            with connection.schema_editor() as editor:
                migration._rebuild(editor, option)
        return switch

    return {"index as migrated": use(""), f"index with prefix='{prefix}'": use(prefix)}


def _schema_modes(drop: str, create: list[str]) -> tuple[dict, str]:
    """Switches between the migrated schema and the schema changed by dropping the named
    indexes or triggers, or by creating the given ones: the cost of an index or of the search
    index's triggers, A/B in one process. Returns the switches and the one to end on."""
    from django.db import connection

    with connection.cursor() as cursor:
        saved = []
        for name in filter(None, drop.split(",")):
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
            row = cursor.fetchone()
            if row is None:
                sys.exit(f"no index or trigger named {name}")
            saved.append((name, row[0]))
    created = [(re.search(r'(?:INDEX|TRIGGER)\s+"?(\w+)', sql, re.I).group(1), sql)
               for sql in create]

    def kind(sql):
        return "TRIGGER" if re.match(r"\s*CREATE\s+TRIGGER", sql, re.I) else "INDEX"

    def apply(add, remove):
        with connection.cursor() as cursor:
            for name, sql in remove:
                cursor.execute(f'DROP {kind(sql)} IF EXISTS "{name}"')
            for _name, sql in add:
                cursor.execute(re.sub(r"^\s*CREATE\s+(UNIQUE\s+)?(INDEX|TRIGGER)\s+(?!IF\s)",
                                      lambda m: f"CREATE {m[1] or ''}{m[2]} IF NOT EXISTS ",
                                      sql, count=1, flags=re.I))

    if saved:
        return ({"schema as migrated": lambda: apply(saved, []),
                 f"without {drop}": lambda: apply([], saved)}, "schema as migrated")
    return ({"schema as migrated": lambda: apply([], created),
             f"with {len(created)} created": lambda: apply(created, [])}, "schema as migrated")


def _floor(app, token: str, raw: bytes, requests: int) -> float:
    """CPU seconds per request of a view that only reads the JSON body and answers JSON, called
    through the same WSGI application and middleware chain: what Django itself costs here,
    below which no inbound can go on this stack."""
    import types

    from django.conf import settings
    from django.http import JsonResponse
    from django.urls import path

    def bare(request):
        body = json.loads(request.body)
        return JsonResponse({"case_id": 1, "tracking_number": "TG-AAAA-BBBB-CCCC",
                             "message_id": len(body), "created": True}, status=201)

    urls = types.ModuleType("inbound_cpu_floor_urls")
    urls.urlpatterns = [path("api/v1/floor", bare)]
    sys.modules[urls.__name__] = urls
    kept, settings.ROOT_URLCONF = settings.ROOT_URLCONF, urls.__name__
    try:
        samples, status = [], []
        for _ in range(max(requests, 1000)):
            environ = post_environ("/api/v1/floor", raw, token)
            c = time.process_time()
            b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
            samples.append(time.process_time() - c)
            if not status[-1].startswith("201"):
                sys.exit(f"the bare view answered {status[0]}")
    finally:
        settings.ROOT_URLCONF = kept
    blocks = [sum(samples[i:i + 100]) / 100 for i in range(0, len(samples) - 99, 100)]
    return statistics.median(blocks)


async def _remember(remember) -> None:
    remember()


ANSWER_FIELDS = {"case_id", "tracking_number", "message_id", "created"}


def _check_answer(content: bytes) -> None:
    answer = json.loads(content)
    if set(answer) != ANSWER_FIELDS:
        sys.exit(f"inbound answered {content[:300]!r}")


class _FastPath:
    """Requests to tanggap.asgi's application, as uvicorn hands them over: each called on the
    server loop's thread (where the live events go too), answered after its group commit."""

    def __init__(self, loop, token: str):
        import tanggap.asgi as asgi

        self.asgi, self.loop, self.token, self.answered = asgi, loop, token, 0
        handed = self.handed = []
        django = asgi.http_application

        async def recording(scope, receive, send):
            handed.append(scope["path"])
            await django(scope, receive, send)

        asgi.http_application = recording  # tanggap.asgi._django looks it up at each call

    def post(self, raw: bytes) -> None:
        sent = asyncio_run(self._call(raw), self.loop)
        if self.handed:
            sys.exit(f"the fast path handed {self.handed[0]} to Django")
        status = sent[0]["status"]
        content = b"".join(m.get("body", b"") for m in sent[1:])
        if status not in (200, 201):
            sys.exit(f"the fast path answered {status}: {content[:300]!r}")
        _check_answer(content)
        self.answered += 1

    async def _call(self, raw: bytes) -> list:
        path = "/api/v1/inbound"
        headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                   (b"content-length", str(len(raw)).encode()),
                   (b"authorization", f"Bearer {self.token}".encode())]
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
                 "http_version": "1.1", "method": "POST", "scheme": "http", "path": path,
                 "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": headers, "client": ("127.0.0.1", 40000),
                 "server": ("127.0.0.1", 8000)}
        sent = []

        async def receive():
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message):
            sent.append(message)

        await self.asgi.application(scope, receive, send)
        return sent

    def pools(self, threads: int) -> tuple[dict, str]:
        """Switches between the fast path's own pool and a ThreadPoolExecutor of `threads`."""
        from concurrent.futures import ThreadPoolExecutor

        intake = self.asgi.fast_inbound
        own, other = intake.pool, ThreadPoolExecutor(threads, thread_name_prefix="other")
        name = f"the fast path's pool ({type(own).__name__}, {intake.threads} threads)"

        def use(pool):
            return lambda: setattr(intake, "_pool", pool)

        return {name: use(own), f"ThreadPoolExecutor of {threads} threads": use(other)}, name

    def hop(self, calls: int = 2000) -> float:
        async def nothing():
            return None

        samples = []
        for _ in range(calls):
            c = time.process_time()
            asyncio_run(nothing(), self.loop)
            samples.append(time.process_time() - c)
        return statistics.median(sum(samples[i:i + 100]) / 100 for i in range(0, calls, 100))

    def statements(self, one) -> list[str]:
        """The SQL of the request `one()` sends, as Django logs it, from the one thread of a
        pool put in for it (the thread that runs the request, and leads its batch of one)."""
        from concurrent.futures import ThreadPoolExecutor

        from django.db import connection

        def logging(on: bool) -> None:
            connection.ensure_connection()
            connection.force_debug_cursor = on
            connection.queries_log.clear()

        intake = self.asgi.fast_inbound
        kept, intake._pool = intake._pool, ThreadPoolExecutor(1)
        try:
            intake._pool.submit(logging, True).result()
            one()
            return intake._pool.submit(
                lambda: [q["sql"] for q in connection.queries_log]).result()
        finally:
            intake._pool.submit(lambda: connection.close()).result()
            intake._pool.shutdown()
            intake._pool = kept


def asyncio_run(coroutine, loop):
    import asyncio

    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()


if __name__ == "__main__":
    main()
