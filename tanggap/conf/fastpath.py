"""What the ASGI server's fast paths share (the signed webhooks of connectors/intake.py, the inbound
API of api/intake.py, the claim of api/fastclaim.py): which requests they may answer, the headers
Django's machine middleware chain would give their answers, reading and replaying a body, and
answering the event loop's waiting requests from the storing thread
(tanggap.conf.groupcommit.submit).

A fast path answers only what it can answer exactly as Django would; everything else goes to
Django unchanged (`plain_headers` says None, or the fast path hands over the body it read with
`replaying`). The headers are those of settings.TANGGAP_MACHINE_MIDDLEWARE (conf/handler.py):
SecurityMiddleware's and the API's language (DeskLocaleMiddleware); ClientAddressMiddleware only
rewrites REMOTE_ADDR, which no fast path reads.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from django.conf import settings
from django.utils import translation


def plain_headers(scope: dict) -> dict[bytes, bytes] | None:
    """The request's headers by (lower-case) name, or None when a fast path must leave it to
    Django: TANGGAP_FAST_INTAKE=0, a query string, a repeated header, a cookie (the locale
    middleware reads the language from it, and a session may ride on it), a chunked body, or
    no Content-Length."""
    if scope.get("query_string") or not settings.TANGGAP_FAST_INTAKE:
        return None
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in headers:
            return None
        headers[name] = value
    if b"cookie" in headers or b"transfer-encoding" in headers:
        return None
    return headers


def body_length(headers: dict[bytes, bytes], limit: int | None) -> int | None:
    """The Content-Length if it is a number within `limit` (None: no limit), else None."""
    try:
        length = int(headers.get(b"content-length", b""))
    except ValueError:
        return None
    if length < 0 or (limit is not None and length > limit):
        return None
    return length


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization` header's value, as the API reads it: "Bearer" in any
    case, then the token; None for any other header. The API (api.framework) and the fast
    paths read it with this one function, so they cannot disagree on what a token is."""
    scheme, _sep, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def bearer(headers: dict[bytes, bytes]) -> str | None:
    """`bearer_token` of an ASGI request's headers."""
    return bearer_token(headers.get(b"authorization", b"").decode("latin-1"))


def is_secure(scope: dict, headers: dict[bytes, bytes]) -> bool:
    # As Django's HttpRequest.scheme: the proxy's header when one is configured and sent.
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = header.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        value = headers.get(name)
        if value is not None:
            return value.decode("latin-1").split(",", 1)[0].strip() == secure_value
    return scope.get("scheme", "http") == "https"


def redirected(secure: bool) -> bool:
    """Whether SecurityMiddleware would redirect the request to HTTPS (TANGGAP_HTTPS): Django's."""
    return settings.SECURE_SSL_REDIRECT and not secure


def api_language(headers: dict[bytes, bytes]) -> str:
    """The language DeskLocaleMiddleware gives an /api/ request without a cookie: Django's own
    choice from Accept-Language (LocaleMiddleware; the desk has no language-prefixed URLs)."""
    accept = headers.get(b"accept-language")
    request = SimpleNamespace(COOKIES={}, META={} if accept is None else {
        "HTTP_ACCEPT_LANGUAGE": accept.decode("latin-1")})
    with translation.override(translation.get_language_from_request(request)):
        return translation.get_language()


def answer_headers(content_type: bytes, length: int, *, secure: bool,
                   language: str) -> list[tuple[bytes, bytes]]:
    """What an answer of the view carries after the machine chain (conf/handler.py)."""
    out = [(b"content-type", content_type),
           (b"content-length", str(length).encode()),
           # DeskLocaleMiddleware.
           (b"vary", b"Accept-Language"),
           (b"content-language", language.encode("latin-1"))]
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


async def answer(send, status: int, content_type: bytes, body: bytes, *, secure: bool,
                 language: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": answer_headers(content_type, len(body), secure=secure,
                                          language=language)})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive) -> bytes | None:
    """The whole body, or None if the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def replaying(body: bytes, receive):
    """An ASGI receive that gives the body already read once more, then the client's own
    messages (its disconnect): for handing a request over to Django after reading it."""
    given = False

    async def again():
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


class LoopTeller:
    """A `tell` for groupcommit.submit: settles each told piece's future (its handle) on the
    event loop that made it, with one call into that loop per batch."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop

    def future(self) -> asyncio.Future:
        return self.loop.create_future()

    def __call__(self, works: list) -> None:
        try:
            self.loop.call_soon_threadsafe(_settle, works)
        except RuntimeError:
            pass  # that loop has closed: nobody is waiting for these answers any more


def _settle(works: list) -> None:
    for work in works:
        future = work.handle
        if future.done():  # its request was cancelled (the client went away)
            continue
        if work.error is not None:
            future.set_exception(work.error)
        else:
            future.set_result(work.result)


_tellers: dict[asyncio.AbstractEventLoop, LoopTeller] = {}


def teller() -> LoopTeller:
    """The running loop's teller: one per loop, so a batch wakes each loop once."""
    loop = asyncio.get_running_loop()
    found = _tellers.get(loop)
    if found is None:
        found = _tellers[loop] = LoopTeller(loop)
        for old in [other for other in _tellers if other.is_closed()]:
            del _tellers[old]
    return found
