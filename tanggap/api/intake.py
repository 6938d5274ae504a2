"""`POST /api/v1/inbound` straight from the ASGI server, as the signed webhooks are
(connectors/intake.py): the common, well-formed request is validated on the event loop and
stored in a group commit, without Django's WSGI handler and middleware.

Why: through uvicorn → a2wsgi's thread pool → Django's handler → the machine middleware chain,
a request that does nothing cost 0.6–0.8 ms of CPU (bench/core/ceiling.py), on top of the
inbound's own work.

What it answers is exactly what the view answers, nothing else (tests compare status, body bytes
and headers with the Django path's):
- it takes only a POST with a Bearer token, a JSON body with a Content-Length within the API's
  limit, no cookie, no query string, no repeated header, and secure when TANGGAP_HTTPS
  redirects (fastpath.plain_headers and `takes`);
- the event loop reads the body and validates it with the view's own code (framework.parse_json,
  views.inbound_fields);
- a thread of its pool checks the token with the view's one-query lookup
  (connectors.access.inbound_bearer: kept per process only while the access generation stays
  put, so a revoked token is refused on the next request) and the channel with the view's
  accessor, then calls the same public action
  (cases.actions.ingest_inbound), whose writes share a group commit (tanggap.conf.groupcommit:
  each inbound in a savepoint of the batch's transaction, on the same queue as the webhooks'
  storing thread); live events and other after-commit hooks run once the batch has committed;
- the answer (201 or 200 for a redelivery, the view's JSON) leaves only after that commit.

Anything else goes to Django unchanged, with the body it read replayed: invalid JSON or fields,
a token that is not valid, a channel the token may not post to, any error of the action or of
the commit (its rows were rolled back, so Django's attempt starts from the same state and every
error is the API's own). TANGGAP_FAST_INTAKE=0 turns it off with the webhooks'.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils import timezone, translation

from tanggap.api.framework import MAX_BODY_BYTES, parse_json
from tanggap.api.views import (
    INBOUND_CONTENT_TYPE,
    InboundFields,
    inbound_answer_body,
    inbound_fields,
    store_inbound,
)
from tanggap.conf import fastpath
from tanggap.conf.warmpool import WarmPool
from tanggap.connectors.access import access_inbound_channel, inbound_bearer
from tanggap.errors import DeskError
from tanggap.workspaces.actions.tokens import note_token_use

PATH = "/api/v1/inbound"
# As a2wsgi's pool of the Django path (tanggap/asgi.py): enough to fill a group commit batch.
POOL_THREADS = 8
_CONTENT_TYPE = INBOUND_CONTENT_TYPE.encode("latin-1")


@dataclass(frozen=True)
class Taken:
    token: str
    secure: bool
    language: str


def takes(scope: dict) -> Taken | None:
    """What the fast path needs of a request it may answer; None sends it to Django."""
    if scope["path"] != PATH or scope["method"] != "POST":
        return None
    headers = fastpath.plain_headers(scope)
    if headers is None or fastpath.body_length(headers, MAX_BODY_BYTES) is None:
        return None
    token = fastpath.bearer(headers)
    if token is None:
        return None
    secure = fastpath.is_secure(scope, headers)
    if fastpath.redirected(secure):
        return None
    return Taken(token, secure, fastpath.api_language(headers))


class Refused(Exception):
    """The request is not one the fast path answers: Django answers it."""


def _store(taken: Taken, channel_named, fields: InboundFields, now):
    """In a thread of the fast path's pool: the view's steps after its middleware, in its
    order. Any exception sends the request to Django; nothing of it was committed then (the
    action's rows are in its own savepoint of a group commit, or its own transaction)."""
    try:
        with translation.override(taken.language):
            token, grant = inbound_bearer(taken.token, channel_named, now=now)
            if token is None:
                raise Refused("the token is not valid")
            note_token_use(token=token, now=now)
            channel, _membership = access_inbound_channel(token.user, fields.channel_id,
                                                          grant=grant)
            status, body = inbound_answer_body(store_inbound(fields, channel=channel,
                                                             user=token.user, now=now))
        return status, _CONTENT_TYPE, body
    finally:
        # What Django does at the end of each request: drop a connection that failed or aged.
        close_old_connections()


class InboundIntake:
    """The ASGI half; one per web process. `django` is the application that answers whatever
    the fast path does not.

    The database work runs in a small pool of threads, not in group commit's storing thread:
    the token check, the triage and the action's other work before its write transaction then
    run outside the batch, so on SQLite the write lock is held only for the writes themselves
    (measured: with everything in the storing thread, the web CPU per inbound fell from 4.3–4.7
    to 3.1 ms but the two web processes queued on each other's write lock and the rate fell
    below the Django path's). The writes still go through group commit (the action's
    groupcommit.run), on the same queue and leader's turn as the webhooks' storing thread."""

    def __init__(self, django, threads: int = POOL_THREADS):
        self.django = django
        self.threads = threads
        self._pool: WarmPool | None = None

    @property
    def pool(self) -> WarmPool:
        if self._pool is None:
            # The thread that finished last takes the next inbound: its SQLite connection's
            # page cache is the one still current (tanggap.conf.warmpool).
            self._pool = WarmPool(self.threads, "inbound")
        return self._pool

    async def __call__(self, scope, taken: Taken, receive, send) -> None:
        body = await fastpath.read_body(receive)
        if body is None:
            return
        try:
            parsed = parse_json(body)
            fields = inbound_fields(parsed)
        except DeskError:
            await self.django(scope, fastpath.replaying(body, receive), send)
            return
        channel_named = parsed["channel_id"]  # what the API's token lookup reads (_channel_named)
        try:
            # The clock read once, at the edge.
            status, content_type, content = await asyncio.get_running_loop().run_in_executor(
                self.pool, _store, taken, channel_named, fields, timezone.now())
        except Exception:
            # Nothing of it was committed: Django tries again and answers as the API answers.
            await self.django(scope, fastpath.replaying(body, receive), send)
            return
        await fastpath.answer(send, status, content_type, content, secure=taken.secure,
                              language=taken.language)
