"""A fake Graph/X API on 127.0.0.1 for end-to-end tests and bench/connectors.

A ThreadingHTTPServer that answers the endpoints our adapters call, records every POST, and
takes scripted faults: `fail(path_suffix, status, times, retry_after=None)`,
`hang_after_posting(path_suffix, seconds)` (posts, then answers too late: the lost-answer case),
`malformed(path_suffix)`. It binds 127.0.0.1 only and never forwards anything.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

X_USER_ID = "1500000000000000000"


@dataclass
class Fault:
    suffix: str
    status: int = 500
    times: int = 1
    retry_after: float | None = None
    hang: float = 0.0  # seconds to sleep before answering
    post_first: bool = False  # record the post before hanging (the answer is what gets lost)
    malformed: bool = False


@dataclass
class FakePlatform:
    posts: list[tuple[str, dict]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    page_id: str = "104512345678901"
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail(self, suffix: str, status: int = 500, times: int = 1,
             retry_after: float | None = None) -> None:
        self.faults.append(Fault(suffix, status, times, retry_after))

    def hang_after_posting(self, suffix: str, seconds: float) -> None:
        self.faults.append(Fault(suffix, 200, 1, hang=seconds, post_first=True))

    def malformed(self, suffix: str) -> None:
        self.faults.append(Fault(suffix, 200, 1, malformed=True))

    def posts_to(self, suffix: str) -> list[dict]:
        with self.lock:
            return [body for path, body in self.posts if path.endswith(suffix)]

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.endswith(fault.suffix) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _record(self, path: str, body: dict) -> str:
        with self.lock:
            self.posts.append((path, body))
            return f"fake-{next(self.ids)}"

    def answer_post(self, path: str, body: dict) -> tuple[int, dict, dict]:
        fault = self._take_fault(path)
        if fault and fault.post_first:
            new_id = self._record(path, body)
            time.sleep(fault.hang)
            return 200, self._created(path, new_id), {}
        if fault and fault.malformed:
            return 200, None, {}
        if fault:
            time.sleep(fault.hang)
            headers = ({"Retry-After": str(fault.retry_after)}
                       if fault.retry_after is not None else {})
            return fault.status, {"error": {"message": "injected", "code": 1}}, headers
        return 200, self._created(path, self._record(path, body)), {}

    def _created(self, path: str, new_id: str) -> dict:
        if "/2/dm_conversations/" in path and path.endswith("/messages"):
            conversation = path.rsplit("/", 2)[-2]
            return {"data": {"dm_conversation_id": conversation, "dm_event_id": new_id}}
        if path.endswith("/2/tweets"):
            return {"data": {"id": new_id, "text": ""}}
        if path.endswith("/messages") and "/v" in path:
            return {"message_id": new_id, "recipient_id": "x",
                    "messages": [{"id": new_id}]}
        return {"id": new_id}

    def answer_get(self, path: str) -> tuple[int, dict]:
        # Listing replies under a comment: what we posted there, as the Page.
        if path.endswith("/comments") or path.endswith("/replies"):
            parent = path.rsplit("/", 2)[-2]
            with self.lock:
                found = [{"id": f"listed-{i}", "from": {"id": self.page_id},
                          "message": body.get("message"), "text": body.get("message")}
                         for i, (p, body) in enumerate(self.posts) if f"/{parent}/" in p]
            return 200, {"data": found}
        if path.endswith("/2/users/me"):
            return 200, {"data": {"id": X_USER_ID}}
        if path.endswith("/2/dm_events") and "/dm_conversations/" not in path:
            return 200, {"meta": {"result_count": 0}}  # no citizen wrote a DM
        if "/2/dm_conversations/" in path and path.endswith("/dm_events"):
            # A conversation's events: the DMs we posted into it, as the account.
            conversation = path.rsplit("/", 2)[-2]
            # The fake keeps no post times; "now" is never earlier than the post, which is all
            # the adapter's time bound asks.
            created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            with self.lock:
                found = [{"id": f"listed-{i}", "event_type": "MessageCreate",
                          "text": body.get("text"), "sender_id": X_USER_ID,
                          "dm_conversation_id": conversation, "created_at": created}
                         for i, (p, body) in enumerate(self.posts)
                         if f"/dm_conversations/{conversation}/" in p]
            return 200, {"data": found[::-1], "meta": {"result_count": len(found)}}
        return 404, {"error": {"message": "unknown path", "code": 803}}


def _handler(fake: FakePlatform):
    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in separate writes; with Nagle on, a kept-alive connection
        # waits ~40 ms for the ACK between them.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: tests read fake.posts instead
            pass

        def _send(self, status: int, body, headers: dict | None = None) -> None:
            data = b"<html>oops" if body is None else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left: exactly what some tests inject

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            status, answer, headers = fake.answer_post(self.path.split("?")[0], body)
            self._send(status, answer, headers)

        def do_GET(self):
            status, answer = fake.answer_get(self.path.split("?")[0])
            self._send(status, answer)

    return Handler


class FakePlatformServer:
    def __init__(self) -> None:
        self.fake = FakePlatform()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakePlatformServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
