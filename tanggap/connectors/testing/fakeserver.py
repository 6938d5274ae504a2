"""A fake Graph/X API on 127.0.0.1 for end-to-end tests and bench/connectors.

A ThreadingHTTPServer that answers the endpoints our adapters call, records every POST, and
takes scripted faults: `fail(path_suffix, status, times, retry_after=None)`,
`hang_after_posting(path_suffix, seconds)` (posts, then answers too late: the lost-answer case),
`malformed(path_suffix)`. `grant(token, platform, account_id, ...)` makes a token control an
account, for the calls that prove it (docs/platforms.md, "Connecting an account"): any other
token is refused there as the platform refuses an invalid one. It binds 127.0.0.1 only and
never forwards anything.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

X_USER_ID = "1500000000000000000"
INVALID_TOKEN = {"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                           "type": "OAuthException", "code": 190}}
NO_SUCH_OBJECT = {"error": {"message": "Unsupported get request. Object does not exist, cannot "
                                       "be loaded due to missing permissions, or does not "
                                       "support this operation", "type": "GraphMethodException",
                            "code": 100}}
X_UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401,
                  "detail": "Unauthorized"}
_NODE = re.compile(r"^/v[0-9.]+/([^/]+)$")
_NODE_EDGE = re.compile(r"^/v[0-9.]+/([^/]+)/([^/]+)$")


@dataclass(frozen=True)
class Grant:
    platform: str
    account_id: str
    name: str = ""
    instagram_login: bool = False
    waba_id: str = "waba-1"
    # The numbers the token's WhatsApp Business Account lists (default: the granted one).
    waba_numbers: tuple[str, ...] | None = None


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
    grants: dict[str, Grant] = field(default_factory=dict)
    get_faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def grant(self, token: str, platform: str, account_id: str, *, name: str = "",
              instagram_login: bool = False, waba_id: str = "waba-1",
              waba_numbers: tuple[str, ...] | None = None) -> None:
        """`token` controls `account_id` on `platform` (an X grant's name is its username)."""
        with self.lock:
            self.grants[token] = Grant(platform, account_id, name, instagram_login, waba_id,
                                       waba_numbers)

    def _granted(self, token: str, platform: str) -> Grant | None:
        with self.lock:
            grant = self.grants.get(token)
        return grant if grant is not None and grant.platform == platform else None

    def answer_proof(self, path: str, query: dict, token: str) -> tuple[int, dict] | None:
        """The calls that prove which account a token controls; None for any other path."""
        fields = (query.get("fields") or [""])[0]
        if path.endswith("/2/users/me"):
            grant = self._granted(token, "x")
            with self.lock:
                strict = any(g.platform == "x" for g in self.grants.values())
            if grant is not None:
                return 200, {"data": {"id": grant.account_id, "username": grant.name}}
            return (401, X_UNAUTHORIZED) if strict else (200, {"data": {"id": X_USER_ID}})
        if path.endswith("/debug_token"):
            grant = self._granted(token, "whatsapp")
            if grant is None or (query.get("input_token") or [""])[0] != token:
                return 400, INVALID_TOKEN
            return 200, {"data": {"is_valid": True, "type": "SYSTEM_USER", "granular_scopes": [
                {"scope": "whatsapp_business_messaging", "target_ids": [grant.waba_id]}]}}
        node, edge = _NODE.match(path), _NODE_EDGE.match(path)
        if node and node.group(1) == "me":
            if "user_id" in fields:  # graph.instagram.com, an Instagram-Login token
                grant = self._granted(token, "instagram")
                if grant is None or not grant.instagram_login:
                    return 400, INVALID_TOKEN
                return 200, {"id": "app-scoped-1", "user_id": grant.account_id,
                             "username": grant.name}
            facebook, instagram = self._granted(token, "facebook"), self._granted(
                token, "instagram")
            if facebook is not None:
                return 200, {"id": facebook.account_id, "name": facebook.name}
            if instagram is not None and not instagram.instagram_login:
                return 200, {"id": self.page_id, "name": "Page", "instagram_business_account": {
                    "id": instagram.account_id, "username": instagram.name}}
            return 400, INVALID_TOKEN
        if node and "display_phone_number" in fields:
            grant = self._granted(token, "whatsapp")
            if grant is None or grant.account_id != node.group(1):
                return 400, NO_SUCH_OBJECT
            return 200, {"id": grant.account_id, "display_phone_number": "+62 812-5555-0100",
                         "verified_name": grant.name}
        if edge and edge.group(2) == "phone_numbers":
            grant = self._granted(token, "whatsapp")
            if grant is None or grant.waba_id != edge.group(1):
                return 400, NO_SUCH_OBJECT
            numbers = grant.waba_numbers if grant.waba_numbers is not None else (
                grant.account_id,)
            return 200, {"data": [{"id": number} for number in numbers]}
        return None

    def fail(self, suffix: str, status: int = 500, times: int = 1,
             retry_after: float | None = None) -> None:
        self.faults.append(Fault(suffix, status, times, retry_after))

    def hang_after_posting(self, suffix: str, seconds: float) -> None:
        self.faults.append(Fault(suffix, 200, 1, hang=seconds, post_first=True))

    def fail_get(self, suffix: str, status: int = 500, times: int = 1) -> None:
        """GETs whose path ends with `suffix` fail (POST faults are scripted apart)."""
        self.get_faults.append(Fault(suffix, status, times))

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

    def answer_get(self, path: str, query: dict | None = None, token: str = ""
                   ) -> tuple[int, dict]:
        with self.lock:
            fault = next((f for f in self.get_faults
                          if path.endswith(f.suffix) and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            return fault.status, {"error": {"message": "injected", "code": 1}}
        proof = self.answer_proof(path, query or {}, token)
        if proof is not None:
            return proof
        # Listing replies under a comment: what we posted there, as the Page.
        if path.endswith("/comments") or path.endswith("/replies"):
            parent = path.rsplit("/", 2)[-2]
            with self.lock:
                found = [{"id": f"listed-{i}", "from": {"id": self.page_id},
                          "message": body.get("message"), "text": body.get("message")}
                         for i, (p, body) in enumerate(self.posts) if f"/{parent}/" in p]
            return 200, {"data": found}
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
            url = urlsplit(self.path)
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            status, answer = fake.answer_get(url.path, parse_qs(url.query), token)
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
