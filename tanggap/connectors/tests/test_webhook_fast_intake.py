"""The webhook intake's fast path in the ASGI server (tanggap/connectors/intake.py): the same
answers and headers as the Django view, a 200 only once the body is committed, every other
request handed to Django unchanged; and the storing thread (groupcommit.submit), which stores a
batch of bodies in one transaction with each body failing alone."""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import partial

import pytest
from a2wsgi import WSGIMiddleware
from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import tanggap.asgi
from tanggap.conf import groupcommit
from tanggap.conf.handler import DeskWSGIHandler
from tanggap.connectors import intake
from tanggap.connectors.actions import webhooks as webhook_actions
from tanggap.connectors.actions.webhooks import Receipt
from tanggap.connectors.models import WebhookDelivery
from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, sign
from tanggap.connectors.testing.fakes import APP_SECRET, facebook_comment_body

# Threads of their own (the intake's storing thread) must see the rows: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "104512345678901"
DRAIN = ("tanggap.connectors.tasks.drain_webhooks", {"args": ["meta"], "kwargs": {}})
# What differs between the two paths by construction: uvicorn frames the WSGI path's answer
# itself (chunked), the fast path says its length.
FRAMING = {"content-length", "transfer-encoding"}


class Recorder:
    """Stands in for the Django path (tanggap.asgi.http_application): which requests reach it.
    Its handler is built at the first request, so it reads the test's settings (the middleware
    reads them once, as it does at a server's start)."""

    def __init__(self):
        self.real, self.paths = None, []

    async def __call__(self, scope, receive, send):
        self.paths.append((scope["method"], scope["path"]))
        if self.real is None:
            self.real = WSGIMiddleware(DeskWSGIHandler(), workers=2)
        await self.real(scope, receive, send)


@pytest.fixture
def django_path(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(tanggap.asgi, "http_application", recorder)
    return recorder


def call(body: bytes = b"", *, method: str = "POST", headers: dict[str, str] | None = None,
         scheme: str = "http", length: bool = True, sent: list | None = None,
         disconnect: bool = False):
    """One request to the desk's ASGI application; (status, headers, body) of its answer, or
    None if it sent none."""
    given = dict(headers or {})
    if length:
        given.setdefault("Content-Length", str(len(body)))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": scheme, "path": "/webhooks/meta",
             "raw_path": b"/webhooks/meta", "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                         for k, v in given.items()],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}
    sent = [] if sent is None else sent

    async def receive():
        if disconnect:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(tanggap.asgi.application(scope, receive, send))
    if not sent:
        return None
    start = sent[0]
    return (start["status"],
            {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]))


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}


def without_framing(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in FRAMING}


def through_django(settings, body: bytes, headers: dict[str, str]):
    """The same request through the Django path `tanggap serve` takes without the fast path
    (a2wsgi, DeskWSGIHandler's machine chain, the view)."""
    settings.TANGGAP_FAST_INTAKE = False
    try:
        return call(body, headers=headers)
    finally:
        settings.TANGGAP_FAST_INTAKE = True


def test_a_signed_body_is_stored_and_answered_as_the_view_answers(django_path, settings):
    body = facebook_comment_body(PAGE, 1)
    status, headers, text = call(body, headers=signed(body))
    assert (status, text, headers["content-length"]) == (200, b"EVENT_RECEIVED", "14")
    assert django_path.paths == []
    delivery = WebhookDelivery.objects.get()
    assert (bytes(delivery.body), delivery.source, delivery.processed_at) == (body, "meta", None)
    assert list(DBTaskResult.objects.values_list("task_path", "args_kwargs")) == [DRAIN]
    # The view's answer to another body, through Django's machine chain: the same headers.
    other = facebook_comment_body(PAGE, 2)
    status, django_headers, text = through_django(settings, other, signed(other))
    assert (status, text) == (200, b"EVENT_RECEIVED")
    assert without_framing(headers) == without_framing(django_headers)
    assert django_path.paths == [("POST", "/webhooks/meta")]
    assert set(headers) >= {"content-type", "vary", "content-language",
                            "x-content-type-options", "referrer-policy",
                            "cross-origin-opener-policy"}


def test_a_bad_signature_is_refused_as_the_view_refuses_it(django_path, settings):
    body = facebook_comment_body(PAGE, 1)
    for headers in (signed(body, "not-the-secret"), {"Content-Type": "application/json"},
                    {SIGNATURE_HEADER: "sha1=abc"}):
        status, answer_headers, text = call(body, headers=headers)
        assert (status, text) == (401, b"invalid signature")
    tampered = body.replace(b"Lampu", b"LAMPU")
    assert call(tampered, headers={SIGNATURE_HEADER: sign(body, APP_SECRET)})[0] == 401
    assert django_path.paths == []
    status, django_headers, text = through_django(settings, body, signed(body, "not-the-secret"))
    assert (status, text) == (401, b"invalid signature")
    assert without_framing(answer_headers) == without_framing(django_headers)
    assert WebhookDelivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_the_same_bytes_twice_are_stored_once_and_acknowledged_twice(django_path):
    body = facebook_comment_body(PAGE, 1)
    assert call(body, headers=signed(body))[::2] == (200, b"EVENT_RECEIVED")
    assert call(body, headers=signed(body))[::2] == (200, b"EVENT_RECEIVED")
    assert WebhookDelivery.objects.count() == 1
    assert django_path.paths == []


def test_the_answer_is_sent_only_after_the_body_is_committed(monkeypatch):
    body = facebook_comment_body(PAGE, 1)
    sent: list = []
    seen_after_commit = []

    def committed(batch):
        # Committed: another connection (this test's) sees the row before any answer is sent.
        seen_after_commit.append((list(sent), WebhookDelivery.objects.count()))

    monkeypatch.setattr(groupcommit, "after_commit", committed)
    assert call(body, headers=signed(body), sent=sent)[0] == 200
    assert seen_after_commit == [([], 1)]


def test_a_body_that_cannot_be_stored_is_not_acknowledged(monkeypatch, caplog):
    body = facebook_comment_body(PAGE, 1)

    def refused(**kw):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(intake, "receive_webhook", refused)
    with caplog.at_level(logging.ERROR, logger="tanggap.connectors.intake"):
        status, _, text = call(body, headers=signed(body))
    assert (status, text) == (500, b"server error")
    assert "could not be stored" in caplog.text
    monkeypatch.undo()

    def commit_fails(batch):
        raise DatabaseError("unable to open database file")

    monkeypatch.setattr(groupcommit, "before_commit", commit_fails)
    assert call(body, headers=signed(body))[::2] == (500, b"server error")
    assert WebhookDelivery.objects.count() == 0


def test_a_client_gone_before_its_body_gets_no_answer_and_stores_nothing(django_path):
    body = facebook_comment_body(PAGE, 1)
    assert call(body, headers=signed(body), disconnect=True) is None
    assert WebhookDelivery.objects.count() == 0


def test_everything_else_goes_to_django_unchanged(django_path, settings):
    body = facebook_comment_body(PAGE, 1)
    # The subscription handshake and other methods.
    assert call(method="GET", length=False)[0] == 403
    assert call(body, method="PUT", headers=signed(body))[0] == 405
    # A cookie (the locale middleware reads the language from it).
    assert call(body, headers={**signed(body), "Cookie": "django_language=en"})[0] == 200
    # No Content-Length: Django reads no body, so the signature cannot match.
    assert call(body, headers=signed(body), length=False)[0] == 401
    # Larger than Django's limit.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1
    assert call(body, headers=signed(body))[0] == 400
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2621440
    # Turned off.
    settings.TANGGAP_FAST_INTAKE = False
    assert call(body, headers=signed(body))[0] == 200
    settings.TANGGAP_FAST_INTAKE = True
    # No app secret: the view says why.
    settings.META_APP_SECRET = ""
    assert call(body, headers=signed(body))[::2] == (403, b"webhook not configured")
    assert django_path.paths == [("GET", "/webhooks/meta"), ("PUT", "/webhooks/meta")] + [
        ("POST", "/webhooks/meta")] * 5
    assert WebhookDelivery.objects.count() == 1  # the cookie's and the switched-off one's


def test_behind_https_the_insecure_go_to_django_and_the_secure_get_hsts(django_path, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.ALLOWED_HOSTS = ["desk.example.go.id"]
    body = facebook_comment_body(PAGE, 1)
    status, headers, _ = call(body, headers={**signed(body), "Host": "desk.example.go.id"})
    assert (status, headers["location"]) == (301, "https://desk.example.go.id/webhooks/meta")
    assert django_path.paths == [("POST", "/webhooks/meta")]
    assert WebhookDelivery.objects.count() == 0
    status, headers, text = call(body, headers={**signed(body), "X-Forwarded-Proto": "https"})
    assert (status, text) == (200, b"EVENT_RECEIVED")
    assert headers["strict-transport-security"] == "max-age=3600; includeSubDomains"
    assert len(django_path.paths) == 1
    other = facebook_comment_body(PAGE, 2)
    status, django_headers, _ = through_django(settings, other, {**signed(other),
                                                                 "X-Forwarded-Proto": "https"})
    assert status == 200
    assert without_framing(headers) == without_framing(django_headers)


def in_one_batch(pieces) -> list:
    """Submit each piece to the storing thread while this test holds the leader's turn, so
    that one batch takes them all, in order; the pieces as told, once that batch committed."""
    told: list = []
    done = threading.Event()

    def tell(works):
        told.extend(works)
        if len(told) == len(pieces):
            done.set()

    sizes: list[int] = []
    groupcommit.observer = sizes.append
    try:
        with groupcommit._leader:
            for piece in pieces:
                groupcommit.submit(piece, tell=tell)
            assert groupcommit.waiting_at_least(len(pieces), timeout=60)
        assert done.wait(timeout=120)
    finally:
        groupcommit.observer = None
    assert sizes in ([len(pieces)], [])  # [] when the commit failed
    return told


def test_a_batch_stores_each_body_once_and_a_failing_one_fails_alone(monkeypatch):
    now = timezone.now()
    first, second, bad = (facebook_comment_body(PAGE, n) for n in (1, 2, 3))
    real_insert = webhook_actions.statements.insert

    def insert(instance):
        if bytes(instance.body) == bad:
            real_insert(instance)  # a write of its own, then a failure: its savepoint undoes it
            raise DatabaseError("refused")
        return real_insert(instance)

    monkeypatch.setattr(webhook_actions.statements, "insert", insert)
    # The failing body first: the drain is still queued by the next one.
    told = in_one_batch([partial(intake.receive_webhook, source="meta", body=b, now=now)
                         for b in (bad, first, first, second)])
    stored = dict(WebhookDelivery.objects.values_list("body_sha256", "id"))
    assert len(stored) == 2
    assert isinstance(told[0].error, DatabaseError)
    receipts = [work.result for work in told[1:]]
    assert [work.error for work in told[1:]] == [None] * 3
    assert receipts == [Receipt(receipts[0].delivery_id, True),
                        Receipt(receipts[0].delivery_id, False),
                        Receipt(receipts[2].delivery_id, True)]
    assert sorted(stored.values()) == sorted([receipts[0].delivery_id, receipts[2].delivery_id])
    # One drain for the whole batch: after the first body queued it, the others find it queued.
    assert list(DBTaskResult.objects.values_list("task_path", "args_kwargs")) == [DRAIN]


def test_a_batch_is_at_most_64_and_one_at_a_time_without_group_commit(settings):
    groupcommit._queue.extend(groupcommit._Work(lambda: None, None) for _ in range(70))
    try:
        taken: list = []
        groupcommit.take(taken)
        assert len(taken) == 64
        settings.TANGGAP_GROUP_COMMIT = False
        taken = []
        groupcommit.take(taken)
        assert len(taken) == 1 and len(groupcommit._queue) == 5
    finally:
        groupcommit._queue.clear()
