"""`POST /api/v1/cases/{id}/claim` with a Bearer token straight from the ASGI server, as the
inbound API's common call is (api/intake.py): without a2wsgi's hand-over to a WSGI thread and
without Django's handler and middleware.

Why: a claim's p50 was 6.7–8.8 ms on a quiet machine against a target p99 of 10 ms (issue 9),
and of it about 1.8 ms went into a2wsgi's hand-over and a further share into Django's handler
and the machine middleware chain, none of it the claim's own work (docs/performance.md,
"Claims").

What it answers is exactly what the view answers, nothing else (tests compare status, body bytes
and headers with the Django path's):
- it takes only a POST to that path with a Bearer token, no body (Content-Length 0 or none), no
  cookie, no query string, no repeated header, and secure when TANGGAP_HTTPS redirects
  (fastpath.plain_headers);
- a thread of its pool checks the token with the API's one-query lookup (nothing cached: a
  revoked token is refused on the next request), notes its use as the API does, and runs the
  view's own work (views.claim_answer: the same accessor, the same action, whose write shares a
  group commit on SQLite); live events run once the claim has committed, and the answer leaves
  only after that commit.

Anything else goes to Django unchanged: a token that is not valid or is an integration
account's, any refusal (an outsider's 404, a case another holds, a closed case) and any error of
the action or of the commit (its rows were rolled back, so Django's attempt starts from the same
state and every error is the API's own, in the reader's language). TANGGAP_FAST_INTAKE=0 turns it
off with the other fast paths.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils import timezone, translation

from tanggap.api.views import claim_answer
from tanggap.conf import fastpath
from tanggap.conf.warmpool import WarmPool
from tanggap.workspaces.access import token_bearer
from tanggap.workspaces.actions.tokens import note_token_use

PREFIX, SUFFIX = "/api/v1/cases/", "/claim"
# As a2wsgi's pool of the Django path (tanggap/asgi.py): enough to fill a group commit batch.
POOL_THREADS = 8


@dataclass(frozen=True)
class Taken:
    token: str
    case_id: str
    secure: bool
    language: str


def takes(scope: dict) -> Taken | None:
    """What the fast path needs of a request it may answer; None sends it to Django."""
    path = scope["path"]
    if scope["method"] != "POST" or not path.startswith(PREFIX) or not path.endswith(SUFFIX):
        return None
    case_id = path[len(PREFIX):-len(SUFFIX)]  # what the URL's <str:case_id> gives the view
    if not case_id or "/" in case_id:
        return None
    headers = fastpath.plain_headers(scope)
    if headers is None or (b"content-length" in headers
                           and fastpath.body_length(headers, 0) is None):
        return None
    token = fastpath.bearer(headers)
    if token is None:
        return None
    secure = fastpath.is_secure(scope, headers)
    if fastpath.redirected(secure):
        return None
    return Taken(token, case_id, secure, fastpath.api_language(headers))


class Refused(Exception):
    """The request is not one the fast path answers: Django answers it."""


def _claim(taken: Taken, now):
    """In a thread of the fast path's pool: the view's steps after its middleware, in its order.
    Any exception sends the request to Django; nothing of the claim was committed then."""
    try:
        with translation.override(taken.language):
            token = token_bearer(taken.token, now=now)
            if token is None or token.machine:
                raise Refused("the token is not valid here")
            note_token_use(token=token, now=now)
            response = claim_answer(token.user, taken.case_id, now=now)
        return response.status_code, response["Content-Type"].encode("latin-1"), response.content
    finally:
        # What Django does at the end of each request: drop a connection that failed or aged.
        close_old_connections()


class ClaimIntake:
    """The ASGI half; one per web process. `django` is the application that answers whatever
    the fast path does not."""

    def __init__(self, django, threads: int = POOL_THREADS):
        self.django = django
        # Its threads start at the first claims, on demand; the thread that finished last takes
        # the next claim, its SQLite connection's page cache still current (conf.warmpool).
        self.pool = WarmPool(threads, "claim")

    async def __call__(self, scope, taken: Taken, receive, send) -> None:
        try:
            # The clock read once, at the edge.
            status, content_type, content = await asyncio.get_running_loop().run_in_executor(
                self.pool, _claim, taken, timezone.now())
        except Exception:
            # Nothing of the claim was committed: Django tries again and answers as the API
            # answers. The body (none) was not read, so Django reads it from the client.
            await self.django(scope, receive, send)
            return
        await fastpath.answer(send, status, content_type, content, secure=taken.secure,
                              language=taken.language)
