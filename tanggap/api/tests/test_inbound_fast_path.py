"""POST /api/v1/inbound's fast path in the ASGI server (tanggap/api/intake.py): the same status,
body bytes and headers as the Django path, an answer only once its rows are committed, a group
commit batch whose refused inbound fails alone (and goes to Django), and every request it cannot
answer exactly as the API would handed to Django unchanged, body included."""

from __future__ import annotations

import asyncio
import json

import pytest
from a2wsgi import WSGIMiddleware
from django.db import connection  # noqa: F401  (the skipif condition reads it)
from django.utils import timezone

import tanggap.asgi
from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Contact, Message
from tanggap.conf import groupcommit
from tanggap.conf.handler import DeskWSGIHandler
from tanggap.workspaces.actions.tokens import revoke_tokens
from tanggap.workspaces.models import ApiToken

# The fast path's threads must see the rows: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v1/inbound"
# The tests that line up a batch or use its seams: group commit batches on SQLite only (on
# PostgreSQL each inbound has its own transaction, committed before the action returns).
group_commit = pytest.mark.skipif("connection.vendor != 'sqlite'",
                                  reason="group commit is SQLite's")
# What differs between the two paths by construction: uvicorn frames the WSGI path's answer
# itself (chunked), the fast path says its length.
FRAMING = {"content-length", "transfer-encoding"}


class Recorder:
    """Stands in for the Django path (tanggap.asgi.http_application): which requests reach it,
    with the body it was given. Built at the first request, so it reads the test's settings."""

    def __init__(self):
        self.real, self.seen = None, []

    async def __call__(self, scope, receive, send):
        body = []

        async def recording():
            message = await receive()
            body.append(message.get("body", b""))
            return message

        self.seen.append((scope["method"], scope["path"], body))
        if self.real is None:
            self.real = WSGIMiddleware(DeskWSGIHandler(), workers=2)
        await self.real(scope, recording, send)

    @property
    def bodies(self) -> list[bytes]:
        return [b"".join(body) for _, _, body in self.seen]


@pytest.fixture
def django_path(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(tanggap.asgi, "http_application", recorder)
    return recorder


def _scope(body: bytes, headers: dict[str, str], *, scheme="http", query=b"", length=True):
    given = dict(headers)
    if length:
        given.setdefault("Content-Length", str(len(body)))
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": scheme, "path": PATH, "raw_path": PATH.encode(),
            "query_string": query, "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in (given.items() if isinstance(given, dict) else given)],
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}


async def _one(scope, body: bytes, sent: list) -> None:
    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    await tanggap.asgi.application(scope, receive, send)


def _answer(sent: list):
    start = sent[0]
    return (start["status"],
            {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]))


def call(body, token: str | None, *, headers: dict | None = None, sent: list | None = None,
         **scope_options):
    """One request to the desk's ASGI application: (status, headers, body) of its answer."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    given = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        given["Authorization"] = f"Bearer {token}"
    sent = [] if sent is None else sent
    asyncio.run(_one(_scope(raw, given, **scope_options), raw, sent))
    return _answer(sent)


def through_django(settings, body, token, **options):
    """The same request through the path `tanggap serve` takes without the fast path."""
    settings.TANGGAP_FAST_INTAKE = False
    try:
        return call(body, token, **options)
    finally:
        settings.TANGGAP_FAST_INTAKE = True


def message(desk, n: int, **over) -> dict:
    body = {"channel_id": desk.web.pk, "external_id": f"m{n}",
            "author": {"id": f"w{n}", "name": "Warga"},
            "text": "Mohon info, lampu jalan di RT 05 Gunung Bahagia mati sejak kemarin."}
    body.update(over)
    return body


def without_framing(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in FRAMING}


def expected_body(external_id: str, created: bool) -> bytes:
    found = Message.objects.select_related("case").get(external_id=external_id)
    return (f'{{"case_id": {found.case.pk}, "tracking_number": "{found.case.tracking_number}", '
            f'"message_id": {found.pk}, "created": {"true" if created else "false"}}}').encode()


def state():
    return (Case.objects.count(), Message.objects.count(), Contact.objects.count(),
            AuditEvent.objects.count())


@pytest.mark.parametrize("language", [None, "en", "id", "en-US,en;q=0.9"])
def test_the_answer_is_the_views_status_body_and_headers(tx_desk, django_path, settings,
                                                         language):
    token = tx_desk.gerbang.token
    extra = {} if language is None else {"Accept-Language": language}
    fast = call(message(tx_desk, 1), token, headers=extra)
    slow = through_django(settings, message(tx_desk, 2), token, headers=extra)
    assert (fast[0], slow[0]) == (201, 201)
    assert fast[2] == expected_body("m1", True) and slow[2] == expected_body("m2", True)
    assert without_framing(fast[1]) == without_framing(slow[1])
    assert fast[1]["content-language"] == ("en" if language and "en" in language else "id")
    # A redelivery: the very same bytes from both paths.
    again_fast = call(message(tx_desk, 2), token, headers=extra)
    again_slow = through_django(settings, message(tx_desk, 2), token, headers=extra)
    assert again_fast[0] == again_slow[0] == 200
    assert again_fast[2] == again_slow[2] == expected_body("m2", False)
    assert without_framing(again_fast[1]) == without_framing(again_slow[1])
    assert len(django_path.seen) == 2  # the two sent through Django on purpose
    assert Message.objects.count() == 2


def test_it_is_stored_as_the_view_stores_it(tx_desk, django_path):
    status, _, _ = call(message(tx_desk, 1, thread_id=77), tx_desk.gerbang.token)
    assert status == 201 and django_path.seen == []
    found = Message.objects.select_related("case__contact").get()
    assert (found.text, found.case.thread_id, found.author_name, found.case.contact.external_id) == (
        message(tx_desk, 1)["text"], "77", "Warga", "w1")
    opened = AuditEvent.objects.get(case=found.case, action="case.opened")
    assert opened.actor == tx_desk.gerbang.user  # the token's user, as through the view
    assert ApiToken.objects.get(user=tx_desk.gerbang.user).last_used_at is not None


def test_behind_https_the_insecure_go_to_django_and_the_secure_get_hsts(tx_desk, django_path,
                                                                        settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.ALLOWED_HOSTS = ["desk.example.go.id"]
    token = tx_desk.gerbang.token
    status, headers, _ = call(message(tx_desk, 1), token,
                              headers={"Host": "desk.example.go.id"})
    assert (status, headers["location"]) == (301, "https://desk.example.go.id/api/v1/inbound")
    assert len(django_path.seen) == 1 and not Message.objects.exists()
    secure = {"X-Forwarded-Proto": "https"}
    status, headers, _ = call(message(tx_desk, 1), token, headers=secure)
    assert status == 201 and len(django_path.seen) == 1
    assert headers["strict-transport-security"] == "max-age=3600; includeSubDomains"
    status, django_headers, _ = through_django(settings, message(tx_desk, 2), token,
                                               headers=secure)
    assert status == 201
    assert without_framing(headers) == without_framing(django_headers)


def test_every_error_is_the_apis_own_with_the_body_replayed(tx_desk, django_path, settings):
    desk = tx_desk
    token = desk.gerbang.token
    before = state()
    refusals = [
        # (body, token, headers, scope options) → status and error code from Django
        ((b"{not json", token, {}, {}), (400, "malformed_json")),
        ((message(desk, 1, author="Warga"), token, {}, {}), (422, "invalid")),
        ((message(desk, 1, external_id=""), token, {}, {}), (422, "invalid")),
        ((message(desk, 1, text="x" * 10_001), token, {}, {}), (422, "invalid")),
        ((message(desk, 1), "not-a-token", {}, {}), (401, "unauthenticated")),
        ((message(desk, 1, channel_id=desk.dlh_web.pk), token, {}, {}), (404, "not_found")),
        ((message(desk, 1, channel_id=10**9), token, {}, {}), (404, "not_found")),
        ((message(desk, 1), desk.ani.token, {}, {}), (403, "forbidden")),
        ((message(desk, 1), desk.luar.token, {}, {}), (404, "not_found")),
        ((message(desk, 1), desk.audi.token, {}, {}), (403, "forbidden")),
    ]
    for (body, sent_token, headers, options), (status, code) in refusals:
        got_status, _, got = call(body, sent_token, headers=headers, **options)
        assert (got_status, json.loads(got)["error"]) == (status, code), body
    # Every one reached Django with its whole body, and nothing was stored.
    sent = [b if isinstance(b, bytes) else json.dumps(b).encode() for (b, *_), _ in refusals]
    assert django_path.bodies == sent
    assert state() == before
    # The same answers as the Django path gives them, in the reader's language.
    english = {"Accept-Language": "en"}
    fast = call(message(desk, 1, author={"name": "Warga"}), token, headers=english)
    slow = through_django(settings, message(desk, 1, author={"name": "Warga"}), token,
                          headers=english)
    assert fast[0] == slow[0] == 422
    assert fast[2] == slow[2]
    assert json.loads(fast[2])["message"] == "Missing field(s): id."


def test_what_it_does_not_take_goes_to_django_unchanged(tx_desk, django_path, settings):
    token = tx_desk.gerbang.token
    cases = [
        ({"Cookie": "django_language=en"}, {}, 201),
        ({}, {"query": b"x=1"}, 201),
        ({}, {"length": False}, 400),  # Django reads no body then: "null" is not an object
    ]
    for n, (headers, options, status) in enumerate(cases):
        assert call(message(tx_desk, n), token, headers=headers, **options)[0] == status
    # A repeated header, another scheme, no token at all, a body over the API's limit.
    raw = json.dumps(message(tx_desk, 10)).encode()
    sent: list = []
    scope = _scope(raw, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    scope["headers"].append((b"accept", b"application/json"))
    scope["headers"].append((b"accept", b"*/*"))
    asyncio.run(_one(scope, raw, sent))
    assert _answer(sent)[0] == 201
    assert call(message(tx_desk, 11), None,
                headers={"Authorization": f"Token {token}"})[0] == 401
    assert call(message(tx_desk, 12), None)[0] == 401
    big = json.dumps(message(tx_desk, 13, pad="x" * 256 * 1024)).encode()
    assert call(big, token)[0] == 413
    settings.TANGGAP_FAST_INTAKE = False
    assert call(message(tx_desk, 14), token)[0] == 201
    settings.TANGGAP_FAST_INTAKE = True
    assert len(django_path.seen) == 8
    assert sorted(Message.objects.values_list("external_id", flat=True)) == [
        "m0", "m1", "m10", "m14"]


def test_a_revoked_token_is_refused_at_once(tx_desk, django_path):
    token = tx_desk.gerbang.token
    assert call(message(tx_desk, 1), token)[0] == 201
    revoke_tokens(user=tx_desk.gerbang.user, actor=tx_desk.gerbang.user, now=timezone.now())
    status, _, body = call(message(tx_desk, 2), token)
    assert (status, json.loads(body)["error"]) == (401, "unauthenticated")
    assert list(Message.objects.values_list("external_id", flat=True)) == ["m1"]


@group_commit
def test_nothing_is_answered_before_the_commit(tx_desk, django_path, monkeypatch):
    sent: list = []
    seen_after_commit = []
    monkeypatch.setattr(groupcommit, "after_commit", lambda batch: seen_after_commit.append(
        (list(sent), Message.objects.count())))
    assert call(message(tx_desk, 1), tx_desk.gerbang.token, sent=sent)[0] == 201
    assert seen_after_commit == [([], 1)]


@group_commit
def test_a_failed_commit_answers_nobody_from_the_fast_path(tx_desk, django_path, monkeypatch):
    # The batch's commit fails: nothing of it is stored, and Django answers instead (here it
    # stores the message in a transaction of its own).
    failed = []

    def refuse(batch):
        if not failed:
            failed.append(len(batch))
            raise OSError("disk full")

    monkeypatch.setattr(groupcommit, "before_commit", refuse)
    assert call(message(tx_desk, 1), tx_desk.gerbang.token)[0] == 201
    assert failed == [1] and len(django_path.seen) == 1
    assert Message.objects.count() == 1


@group_commit
def test_a_batch_stores_each_once_and_a_failing_inbound_fails_alone(tx_desk, django_path):
    desk = tx_desk
    token = desk.gerbang.token
    bodies = [message(desk, 1), message(desk, 9, channel_id=desk.dlh_web.pk),
              message(desk, 2), message(desk, 1), message(desk, 3, author={"id": "w1"})]
    sizes: list[int] = []

    async def together():
        answers = [[] for _ in bodies]
        groupcommit._leader.acquire()
        try:
            tasks = [asyncio.create_task(_one(
                _scope(json.dumps(b).encode(), {"Content-Type": "application/json",
                                                "Authorization": f"Bearer {token}"}),
                json.dumps(b).encode(), answers[i])) for i, b in enumerate(bodies)]
            # Every request but the refused one reaches group commit's queue (the refused one
            # fails at the channel, before writing anything).
            while len(groupcommit._queue) < len(bodies) - 1:
                await asyncio.sleep(0)
        finally:
            groupcommit._leader.release()
        await asyncio.gather(*tasks)
        return [_answer(sent) for sent in answers]

    groupcommit.observer = sizes.append
    try:
        answers = asyncio.run(together())
    finally:
        groupcommit.observer = None
    assert sizes[0] == len(bodies) - 1  # one batch (Django's 404 writes nothing)
    # The pool's threads queue in any order: which of the two deliveries of m1 is stored and
    # which is the redelivery is not fixed; that exactly one is, is.
    first, again = sorted([answers[0], answers[3]], key=lambda answer: -answer[0])
    assert (first[0], again[0]) == (201, 200)
    assert again[2] == first[2].replace(b'"created": true', b'"created": false')
    assert [answers[i][0] for i in (1, 2, 4)] == [404, 201, 201]
    assert json.loads(answers[4][2])["case_id"] == json.loads(first[2])["case_id"]
    assert [bodies[1]] == [json.loads(b) for b in django_path.bodies]
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["m1", "m2", "m3"]
    assert AuditEvent.objects.filter(action="case.opened").count() == 2


@pytest.mark.parametrize("created", [True, False])
def test_the_answers_bytes_are_what_json_response_writes(created):
    """Both paths answer with inbound_answer_body's bytes; they must stay JsonResponse's."""
    from types import SimpleNamespace

    from django.http import JsonResponse

    from tanggap.api.views import inbound_answer, inbound_answer_body

    result = SimpleNamespace(case=SimpleNamespace(pk=12, tracking_number="BPN-7Q2K-9XWD"),
                             message=SimpleNamespace(pk=345), created=created)
    expected = JsonResponse({"case_id": 12, "tracking_number": "BPN-7Q2K-9XWD",
                             "message_id": 345, "created": created},
                            status=201 if created else 200)
    assert inbound_answer_body(result) == (expected.status_code, expected.content)
    answer = inbound_answer(result)
    assert (answer.status_code, answer.content, answer["Content-Type"]) == (
        expected.status_code, expected.content, expected["Content-Type"])
