"""The webhook intake straight from the ASGI server: a signed `POST /webhooks/meta` is verified,
stored and answered without the hop into Django's WSGI handler.

Why: the intake only checks a signature and stores the raw body, yet through the WSGI path a
webhook cost about as much CPU as a request that does nothing at all (bench/core/ceiling.py:
a2wsgi's thread hop, Django's handler and the machine middleware chain), which held signed
webhooks near 700 a second on two cores. Here the event loop reads the body and checks the
signature; one storing thread per process stores whatever has arrived meanwhile in one
transaction (`receive_webhooks`: group commit, with the batch taken once the transaction holds
SQLite's write lock), and each answer is sent once the transaction holding its body has
committed.

What it keeps, exactly as the view in connectors/webhooks.py:
- a 200 only after the body is committed (a crash before it loses nothing that was
  acknowledged; the platform's retry is stored once);
- the same answers (`EVENT_RECEIVED`, `invalid signature`) with the same headers the machine
  middleware chain adds (SecurityMiddleware's, the locale's);
- every other request goes to Django unchanged (`takes` says None): any method but POST (the
  subscription handshake is a GET), a body without a Content-Length or larger than Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE, a repeated header or a cookie (the locale middleware reads the
  language from it), an insecure request that TANGGAP_HTTPS redirects, no app secret
  configured, TANGGAP_FAST_INTAKE=0.

It never parses the body or touches tenant data, as the view never does.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from tanggap.connectors.actions.webhooks import receive_webhooks
from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, signature_valid

logger = logging.getLogger(__name__)

PATH = "/webhooks/meta"
_SIGNATURE = SIGNATURE_HEADER.lower().encode("latin-1")
# The most webhooks one transaction stores, as group commit's batches (conf/groupcommit.py).
MAX_BATCH = 64


@dataclass(frozen=True)
class Taken:
    signature: str | None
    length: int
    secure: bool


def _secrets() -> list[str]:
    return [settings.META_APP_SECRET, settings.META_INSTAGRAM_APP_SECRET]


def _is_secure(scope: dict, headers: dict[bytes, bytes]) -> bool:
    # As Django's HttpRequest.scheme: the proxy's header when one is configured and sent.
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = header.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        value = headers.get(name)
        if value is not None:
            return value.decode("latin-1").split(",", 1)[0].strip() == secure_value
    return scope.get("scheme", "http") == "https"


def takes(scope: dict) -> Taken | None:
    """What the fast path needs of a request it answers; None sends the request to Django."""
    if (scope["path"] != PATH or scope["method"] != "POST" or scope.get("query_string")
            or not settings.TANGGAP_FAST_INTAKE):
        return None
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in headers:
            return None
        headers[name] = value
    if b"cookie" in headers or b"transfer-encoding" in headers:
        return None
    try:
        length = int(headers.get(b"content-length", b""))
    except ValueError:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length < 0 or (limit is not None and length > limit):
        return None
    secure = _is_secure(scope, headers)
    if (settings.SECURE_SSL_REDIRECT and not secure) or not any(_secrets()):
        return None
    signature = headers.get(_SIGNATURE)
    return Taken(None if signature is None else signature.decode("latin-1"), length, secure)


def _headers(length: int, secure: bool) -> list[tuple[bytes, bytes]]:
    """What the view's text answer carries after the machine chain (conf/handler.py)."""
    out = [(b"content-type", b"text/plain; charset=utf-8"),
           (b"content-length", str(length).encode()),
           # DeskLocaleMiddleware: no cookie here (takes), so the desk's default language.
           (b"vary", b"Accept-Language"),
           (b"content-language", settings.LANGUAGE_CODE.encode())]
    # SecurityMiddleware.process_response, setting by setting.
    if settings.SECURE_HSTS_SECONDS and secure:
        sts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            sts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            sts += "; preload"
        out.append((b"strict-transport-security", sts.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        out.append((b"x-content-type-options", b"nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        values = ([v.strip() for v in policy.split(",")] if isinstance(policy, str) else policy)
        out.append((b"referrer-policy", ",".join(values).encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        out.append((b"cross-origin-opener-policy",
                    settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    return out


async def _answer(send, status: int, text: bytes, secure: bool) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": _headers(len(text), secure)})
    await send({"type": "http.response.body", "body": text})


async def _read_body(receive) -> bytes | None:
    """The whole body, or None if the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class _Writer:
    """This process's storing thread: takes everything the event loop has queued, stores it in
    one transaction (receive_webhooks), then answers each waiting request's future.

    One thread rather than a pool: a pool's threads each carry one webhook to group commit, so
    a batch can never hold more webhooks than there are threads, and every webhook costs a
    thread wake-up of its own. Here a batch holds whatever arrived while the previous one
    committed (at most MAX_BATCH), and one call into the loop answers all of it."""

    def __init__(self) -> None:
        self._queue: deque[tuple[bytes, datetime, asyncio.Future]] = deque()
        self._arrived = threading.Condition()
        self._thread: threading.Thread | None = None

    def store(self, body: bytes, now: datetime) -> asyncio.Future:
        """A future of the event loop this is called from: the body's Receipt once committed,
        or the exception that kept it from being stored."""
        future = asyncio.get_running_loop().create_future()
        with self._arrived:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-intake",
                                                daemon=True)
                self._thread.start()
            self._queue.append((body, now, future))
            self._arrived.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._arrived:
                self._arrived.wait_for(lambda: self._queue)
            self.write()

    def take(self) -> list[tuple[bytes, datetime, asyncio.Future]]:
        """What one transaction stores: everything queued, up to MAX_BATCH; one at a time with
        TANGGAP_GROUP_COMMIT=0 (every write its own transaction)."""
        most = MAX_BATCH if settings.TANGGAP_GROUP_COMMIT else 1
        with self._arrived:
            return [self._queue.popleft() for _ in range(min(most, len(self._queue)))]

    def write(self) -> None:
        """Store one batch and hand each outcome to its request (one loop call per loop).

        The batch is taken only once the write transaction has begun: while this process waited
        for SQLite's write lock (another process committing), the requests answered by the
        previous batch have come back, and they join this one instead of waiting for the next.
        With two web processes that roughly doubles a batch."""
        batch: list[tuple[bytes, datetime, asyncio.Future]] = []

        def arrivals() -> list[tuple[bytes, datetime]]:
            batch.extend(self.take())
            return [(body, now) for body, now, _ in batch]

        try:
            outcomes: list = receive_webhooks(source="meta", arrivals=arrivals)
        except Exception as exc:
            # Not even a transaction could begin (the database): what waits now is told so,
            # rather than waiting for a database that may not come back.
            batch.extend(self.take())
            outcomes = [exc] * len(batch)
        finally:
            # What Django does at the end of each request: drop a connection that failed or aged.
            close_old_connections()
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(future.get_loop(), []).append((future, outcome))
        for loop, answers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, answers)
            except RuntimeError:
                pass  # that loop has closed: nobody is waiting for these answers any more


def _settle(answers: list) -> None:
    for future, outcome in answers:
        if future.done():  # its request was cancelled (the client went away)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class WebhookIntake:
    """The ASGI half of the intake; one per web process."""

    def __init__(self) -> None:
        self.writer = _Writer()

    async def __call__(self, taken: Taken, receive, send) -> None:
        body = await _read_body(receive)
        if body is None:
            return
        if not signature_valid(body, taken.signature, _secrets()):
            await _answer(send, 401, b"invalid signature", taken.secure)
            return
        try:
            # The clock read once, at the edge; the answer only once the body is committed.
            await self.writer.store(body, timezone.now())
        except Exception:
            # Not acknowledged, so the platform sends it again; nothing of it was committed.
            logger.exception("a signed webhook could not be stored")
            await _answer(send, 500, b"server error", taken.secure)
            return
        await _answer(send, 200, b"EVENT_RECEIVED", taken.secure)
