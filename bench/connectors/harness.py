"""Parts the connector benchmarks share: a flaky fake platform and a task worker of our own.

FlakyPlatform is tanggap's fake Graph/X server (tanggap/connectors/testing/fakeserver.py) with
random, seeded faults on POSTs instead of scripted ones, the two X reads the fake lacks (our own
timeline, to look for an earlier reply; mentions, so `poll_x --loop` stays quiet), and a clock
on every accepted post. It binds 127.0.0.1 only.

own_worker() runs `tanggap db_worker` beside a `tanggap serve --no-worker`, with a polling
interval of our choice (the CLI's `tanggap worker` has no such option), connected to the serve's
live-event hub so its events still reach the websockets.
"""

from __future__ import annotations

import contextlib
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

from tanggap.connectors.testing.fakeserver import FakePlatform, FakePlatformServer, _handler
from tanggap.testing.liveserver import LiveServer


@dataclass
class FlakyPlatform(FakePlatform):
    """Each POST fails at random: `p429` with Retry-After, `p500` before posting, `p500_posted`
    after posting (the answer is lost: the dangerous case for doubles)."""

    p429: float = 0.0
    p500: float = 0.0
    p500_posted: float = 0.0
    retry_after: float = 1.0
    seed: int = 20261128
    rng: random.Random = field(init=False)
    requests: Counter = field(default_factory=Counter)
    post_times: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def answer_post(self, path: str, body: dict) -> tuple[int, dict, dict]:
        x = path.endswith("/2/tweets")
        with self.lock:
            self.requests["POST"] += 1
            roll = self.rng.random()
        if roll < self.p429:
            with self.lock:
                self.requests["429"] += 1
            answer = ({"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}
                      if x else {"error": {"message": "(#4) rate limited", "code": 4}})
            return 429, answer, {"Retry-After": f"{self.retry_after:g}"}
        roll -= self.p429
        if roll < self.p500 + self.p500_posted:
            posted = roll < self.p500_posted
            with self.lock:
                self.requests["500 after posting" if posted else "500"] += 1
            if posted:
                self._record(path, body)
            return 500, {"error": {"message": "An unexpected error has occurred.", "code": 2,
                                   "is_transient": True}}, {}
        return super().answer_post(path, body)

    def _record(self, path: str, body: dict) -> str:
        at = time.perf_counter()
        new_id = super()._record(path, body)
        with self.lock:
            self.post_times.append(at)
        return new_id

    def answer_get(self, path: str, query: dict | None = None, token: str = ""
                   ) -> tuple[int, dict]:
        with self.lock:
            self.requests["GET"] += 1
        if re.fullmatch(r".*/2/users/[^/]+/tweets", path):
            # Our own timeline, newest first, as X answers it (max_results 20: older replies
            # are not looked at, as on the real platform).
            with self.lock:
                tweets = [{"id": f"listed-{i}", "text": body.get("text"), "referenced_tweets": [
                    {"type": "replied_to", "id": (body.get("reply") or {}).get(
                        "in_reply_to_tweet_id")}]}
                    for i, (p, body) in enumerate(self.posts) if p.endswith("/2/tweets")]
            return 200, {"data": tweets[::-1][:20], "meta": {"result_count": len(tweets)}}
        if re.fullmatch(r".*/2/users/[^/]+/mentions", path):
            return 200, {"meta": {"result_count": 0}}
        return super().answer_get(path, query, token)

    def posts_per_target(self) -> Counter:
        """How many posts each replied-to comment or tweet received."""
        counts: Counter = Counter()
        with self.lock:
            for path, body in self.posts:
                if path.endswith("/2/tweets"):
                    counts[(body.get("reply") or {}).get("in_reply_to_tweet_id")] += 1
                else:
                    counts[path.rstrip("/").rsplit("/", 2)[-2]] += 1
        return counts


class FlakyPlatformServer(FakePlatformServer):
    def __init__(self, fake: FlakyPlatform) -> None:
        # The fake's own constructor builds a plain FakePlatform; the handler is the same.
        self.fake = fake
        # TCP_NODELAY: the handler writes headers and body separately; on a kept-alive
        # connection Nagle then waits for the client's delayed ACK (~40 ms a request), which
        # would measure the fake rather than us.
        handler = type("Handler", (_handler(fake),), {"disable_nagle_algorithm": True})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


def connect_facebook_page(server: LiveServer, slug: str, page: str) -> int:
    """`tanggap channel add` a Facebook Page for a benchmark. The desk connects no account
    without the platform's confirmation that the token controls it, so a fake Graph API
    confirms it for the moment of the command. Returns the channel id."""
    with FakePlatformServer() as graph:
        graph.fake.grant("bench-page-token", "facebook", page, name="Bench")
        before = server.extra_env.get("META_GRAPH_BASE_URL")
        server.extra_env["META_GRAPH_BASE_URL"] = graph.url
        try:
            return int(server.last_word("channel", "add", slug, "--platform", "facebook",
                                        "--handle", page, "--token-stdin",
                                        stdin="bench-page-token\n"))
        finally:
            if before is None:
                server.extra_env.pop("META_GRAPH_BASE_URL")
            else:
                server.extra_env["META_GRAPH_BASE_URL"] = before


def hub_path(server: LiveServer) -> str:
    """The UNIX socket of the serve's live-event hub (it listens in the serve parent)."""
    assert server.proc is not None
    out = subprocess.run(["ss", "-xlpH"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if f"pid={server.proc.pid}," in line:
            match = re.search(r"(/\S+/hub\.sock)", line)
            if match:
                return match.group(1)
    raise SystemExit("cannot find the live hub of the server (is REDIS_URL set?)")


# Experiment only (outbound.py --shared-http): one PlatformHTTP for the whole worker process
# instead of a new one per send, as tanggap/connectors/http.py given_or_own could keep it.
# Building an httpx.Client costs ~30 ms here (it loads the CA bundle into an SSL context).
SHARED_HTTP_WORKER = """
import contextlib, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
import django
django.setup()
from tanggap.connectors import delivery, http
shared = http.PlatformHTTP()
@contextlib.contextmanager
def given_or_shared(given):
    yield given if given is not None else shared
delivery.given_or_own = http.given_or_own = given_or_shared
from django.core.management import execute_from_command_line
execute_from_command_line(["tanggap", *sys.argv[1:]])
"""


@contextlib.contextmanager
def own_worker(server: LiveServer, interval: float, processes: int = 1,
               shared_http: bool = False) -> Iterator[None]:
    """`tanggap db_worker --interval INTERVAL` x processes, for a server started --no-worker."""
    env = {**server.env, "TANGGAP_LIVE_HUB": hub_path(server)}
    log = open(server.data_dir / "own-worker.log", "ab")  # noqa: SIM115 - closed below
    command = (["-c", SHARED_HTTP_WORKER] if shared_http else ["-m", "tanggap.cli"]) + [
        "db_worker", "--queue-name", "*", "--no-reload", "-v", "0", "--interval", str(interval)]
    procs = [subprocess.Popen([sys.executable, *command], env=env, cwd=server.data_dir,
                              stdout=log, stderr=subprocess.STDOUT)
             for _ in range(processes)]
    try:
        time.sleep(1.5)  # Django start-up, so the first measurement is not a cold start
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
