"""Injected fakes for the connectors' tests: a scripted platform behind httpx.MockTransport,
signed Meta webhook bodies, and runners that replay a task's retries on a stepped clock.

Nothing here opens a socket (see fakeserver.py for the one that does, on 127.0.0.1 only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tanggap.connectors.http import PlatformHTTP
from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, sign

APP_SECRET = "test-meta-app-secret"
# The X account of the tests' channels, as X's /2/users/me names it.
X_USER_ID = "1500000000000000000"
WABA_ID = "102290129340398"
VERIFY_TOKEN = "test-verify-token"
PLATFORMS_DIR = Path(__file__).resolve().parent.parent / "platforms"


def fixture_bytes(platform: str, name: str) -> bytes:
    return (PLATFORMS_DIR / platform / "tests" / "fixtures" / f"{name}.json").read_bytes()


def fixture(platform: str, name: str) -> Any:
    return json.loads(fixture_bytes(platform, name))


def facebook_comment_body(page: str, n: int) -> bytes:
    """A Page webhook delivery with one new citizen comment, numbered `n` (its own author)."""
    return json.dumps({"object": "page", "entry": [{"id": page, "time": 1764300000, "changes": [{
        "field": "feed", "value": {
            "from": {"id": f"warga-{n}", "name": "Warga"}, "post_id": f"{page}_1",
            "comment_id": f"1_{n}", "created_time": 1764299990, "item": "comment",
            "verb": "add", "message": f"Lampu jalan mati nomor {n}"}}]}]}).encode()


def post_meta_webhook(client, body: bytes, *, secret: str = APP_SECRET, signature=None):
    header = sign(body, secret) if signature is None else signature
    return client.post("/webhooks/meta", data=body, content_type="application/json",
                       headers={SIGNATURE_HEADER: header} if header else {})


def deliver_until_done(message_id: int, *, now, http: PlatformHTTP | None = None,
                       max_runs: int = 20):
    """Run a delivery as the workers would: one attempt per run, each retry run at the time it
    was queued for (the clock steps; nothing sleeps). (final outcome, waits between runs)."""
    from tanggap.connectors.delivery import deliver_message_now

    waits: list[float] = []
    outcome = deliver_message_now(message_id=message_id, now=now, http=http)
    while outcome is not None and outcome.status == "pending":
        assert len(waits) < max_runs, "the delivery never settled"
        waits.append((outcome.retry_at - now).total_seconds())
        now = outcome.retry_at
        outcome = deliver_message_now(message_id=message_id, now=now, http=http)
    return outcome, waits


def moderate_until_done(message_id: int, *, now, http: PlatformHTTP | None = None,
                        max_runs: int = 20):
    """apply_moderation run after run at each retry's time; (final result, waits)."""
    from tanggap.connectors.models import CommentModeration
    from tanggap.connectors.moderation import apply_moderation

    waits: list[float] = []
    result = apply_moderation(message_id=message_id, now=now, http=http)
    while result == "retry":
        assert len(waits) < max_runs, "the moderation never settled"
        retry_at = CommentModeration.objects.get(message_id=message_id).retry_at
        waits.append((retry_at - now).total_seconds())
        now = retry_at
        result = apply_moderation(message_id=message_id, now=now, http=http)
    return result, waits


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeAPI:
    """Routes keyed by (METHOD, path suffix); each route answers from a script of responses,
    the last one repeating. Every request is recorded."""

    routes: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, *responses: Any) -> FakeAPI:
        self.routes[(method, path)] = list(responses)
        return self

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path.endswith(path)]

    def bodies(self, method: str, path: str) -> list[Any]:
        return [json.loads(r.content) for r in self.calls(method, path)]

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for (method, path), script in self.routes.items():
            if request.method == method and request.url.path.endswith(path):
                answer = script.pop(0) if len(script) > 1 else script[0]
                if isinstance(answer, Exception):
                    raise answer
                if callable(answer):
                    return answer(request)
                if isinstance(answer, httpx.Response):
                    return answer
                return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"error": {"message": "no such route in FakeAPI",
                                                   "code": 803}})

    def http(self) -> PlatformHTTP:
        return PlatformHTTP(transport=httpx.MockTransport(self._handle), clock=lambda: 0.0)


def pending_reply(desk, channel, *, external_id: str, thread_id: str, author_id: str,
                  platform_created_at, now, text: str = "Terima kasih, sudah kami teruskan.",
                  inbound_text: str = "Mohon bantuannya"):
    """A citizen message on `channel` and the holder's reply to it, waiting for delivery."""
    from tanggap.cases.actions import claim_case, ingest_inbound, send_reply

    case = ingest_inbound(channel=channel, external_id=external_id, author_id=author_id,
                          author_name="Warga", text=inbound_text, thread_id=thread_id,
                          platform_created_at=platform_created_at, now=now).case
    case = claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    return send_reply(case_id=case.pk, actor=desk.ani.user, text=text,
                      idempotency_key=f"k-{external_id}", base_version=case.version,
                      now=now).message


def proof_routes(api: FakeAPI, platform: str, handle: str, *,
                 x_user_id: str = X_USER_ID) -> FakeAPI:
    """Teach `api` the calls that prove a token controls `handle` (actions.channels), as each
    platform documents them (docs/platforms.md, "Connecting an account")."""
    if platform == "facebook":
        api.on("GET", "/me", {"id": handle, "name": "Pemkot Balikpapan"})
    elif platform == "instagram":
        api.on("GET", "/me", {"id": "104512345678901", "name": "Pemkot Balikpapan",
                              "instagram_business_account": {"id": handle,
                                                             "username": "pemkotbpn"}})
    elif platform == "whatsapp":
        api.on("GET", f"/{handle}", {"id": handle, "display_phone_number": "+62 812-5555-0100",
                                     "verified_name": "Pemkot Balikpapan"})
        api.on("GET", "/debug_token", {"data": {"is_valid": True, "granular_scopes": [
            {"scope": "whatsapp_business_messaging", "target_ids": [WABA_ID]}]}})
        api.on("GET", f"/{WABA_ID}/phone_numbers", {"data": [{"id": handle}]})
    elif platform == "x":
        api.on("GET", "/2/users/me", {"data": {"id": x_user_id, "username": handle}})
    return api


def add_proven_channel(*, platform: str, handle: str, token: str = "test-token",
                       x_user_id: str = X_USER_ID, **kwargs):
    """actions.channels.add_channel for a platform account, through the proof it needs, the
    platform answering from a FakeAPI that confirms the token controls `handle`."""
    from tanggap.connectors.actions.channels import add_channel

    api = proof_routes(FakeAPI(), platform, handle, x_user_id=x_user_id)
    return add_channel(platform=platform, handle=handle, token=token, http=api.http(),
                       **kwargs)


def legacy_channel(*, workspace, platform: str, handle: str, now, token: str = "", **fields):
    """A platform channel as one connected before proofs existed: stored as it was then (Meta:
    its handle as the account id; no verification), with or without a token. For tests of what
    such channels still do, and of a proven owner taking one over."""
    from tanggap.connectors.crypto import encrypt_secret
    from tanggap.connectors.models import ChannelAccount

    return ChannelAccount.objects.create(
        workspace=workspace, platform=platform, handle=handle, name=handle, created_at=now,
        account_id=handle if platform in ("facebook", "instagram", "whatsapp") else "",
        credentials_encrypted=encrypt_secret(token) if token else "", **fields)
