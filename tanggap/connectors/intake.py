"""The webhook intake straight from the ASGI server: a signed `POST /webhooks/meta` is verified,
stored and answered without the hop into Django's WSGI handler.

Why: the intake only checks a signature and stores the raw body, yet through the WSGI path a
webhook cost about as much CPU as a request that does nothing at all (bench/core/ceiling.py:
a2wsgi's thread hop, Django's handler and the machine middleware chain), which held signed
webhooks near 700 a second on two cores. Here the event loop reads the body and checks the
signature; the process's storing thread (tanggap.conf.groupcommit.submit, shared with the
inbound API's fast path and with group commit's other writers) stores whatever has arrived
meanwhile in one transaction, each body in a savepoint of its own through the view's own
`receive_webhook`, and each answer is sent once the transaction holding its body has committed.

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

import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.utils import timezone

from tanggap.conf import fastpath, groupcommit
from tanggap.connectors.actions.webhooks import receive_webhook
from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, signature_valid

logger = logging.getLogger(__name__)

PATH = "/webhooks/meta"
_SIGNATURE = SIGNATURE_HEADER.lower().encode("latin-1")
_TEXT = b"text/plain; charset=utf-8"


@dataclass(frozen=True)
class Taken:
    signature: str | None
    length: int
    secure: bool


def _secrets() -> list[str]:
    return [settings.META_APP_SECRET, settings.META_INSTAGRAM_APP_SECRET]


def takes(scope: dict) -> Taken | None:
    """What the fast path needs of a request it answers; None sends the request to Django."""
    if scope["path"] != PATH or scope["method"] != "POST":
        return None
    headers = fastpath.plain_headers(scope)
    if headers is None:
        return None
    length = fastpath.body_length(headers, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if length is None:
        return None
    secure = fastpath.is_secure(scope, headers)
    if fastpath.redirected(secure) or not any(_secrets()):
        return None
    signature = headers.get(_SIGNATURE)
    return Taken(None if signature is None else signature.decode("latin-1"), length, secure)


async def _answer(send, status: int, text: bytes, secure: bool) -> None:
    # DeskLocaleMiddleware: no cookie here (takes) and not an /api/ path, so the desk's default.
    await fastpath.answer(send, status, _TEXT, text, secure=secure,
                          language=settings.LANGUAGE_CODE)


class WebhookIntake:
    """The ASGI half of the intake; one per web process."""

    async def __call__(self, taken: Taken, receive, send) -> None:
        body = await fastpath.read_body(receive)
        if body is None:
            return
        if not signature_valid(body, taken.signature, _secrets()):
            await _answer(send, 401, b"invalid signature", taken.secure)
            return
        teller = fastpath.teller()
        future = teller.future()
        # The clock read once, at the edge; the answer only once the body is committed.
        groupcommit.submit(partial(receive_webhook, source="meta", body=body,
                                   now=timezone.now()), tell=teller, handle=future)
        try:
            await future
        except Exception:
            # Not acknowledged, so the platform sends it again; nothing of it was committed.
            logger.exception("a signed webhook could not be stored")
            await _answer(send, 500, b"server error", taken.secure)
            return
        await _answer(send, 200, b"EVENT_RECEIVED", taken.secure)
