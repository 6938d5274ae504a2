"""POST /api/v1/cases/{id}/claim's fast path in the ASGI server (tanggap/api/fastclaim.py): the
same status, body bytes and headers as the Django path, in both languages and behind HTTPS, an
answer only once the claim is committed, and every request it cannot answer exactly as the API
would (a refusal, a token that is not valid, anything not plain) handed to Django unchanged."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection  # noqa: F401  (the skipif condition reads it)
from django.test import override_settings
from django.utils import timezone

import tanggap.asgi
from tanggap.api.tests.test_inbound_fast_path import Recorder, _answer, _one, without_framing
from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, set_case_status
from tanggap.cases.models import Case
from tanggap.conf import groupcommit
from tanggap.workspaces.actions.tokens import revoke_tokens

# The fast path's threads must see the rows: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def django_path(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(tanggap.asgi, "http_application", recorder)
    return recorder


@pytest.fixture
def still_clock():
    # Both paths read the clock once per request; held still, two claims of two new cases give
    # the very same answer (status, holder, lease end, version).
    with time_machine.travel(datetime(2026, 12, 2, 3, 4, 5, 678901, tzinfo=UTC), tick=False):
        yield


def _scope(path: str, headers, *, scheme="http", query=b"", method="POST"):
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": scheme, "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in (headers.items() if isinstance(headers, dict) else headers)],
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}


def call(case_id, token: str | None, *, headers: dict | None = None, body: bytes = b"",
         sent: list | None = None, **scope_options):
    """One claim to the desk's ASGI application: (status, headers, body) of its answer."""
    given = {"Content-Length": str(len(body)), **(headers or {})}
    if token is not None:
        given["Authorization"] = f"Bearer {token}"
    sent = [] if sent is None else sent
    asyncio.run(_one(_scope(f"/api/v1/cases/{case_id}/claim", given, **scope_options), body,
                     sent))
    return _answer(sent)


def through_django(case_id, token, **options):
    """The same request through the path `tanggap serve` takes without the fast path."""
    with override_settings(TANGGAP_FAST_INTAKE=False):
        return call(case_id, token, **options)


def new_cases(desk, count: int) -> list[int]:
    return [desk.inbound(external_id=f"c{i}", author_id=f"k{i}").case.pk for i in range(count)]


def expected_body(version: int) -> bytes:
    return (b'{"status": "diklaim", "claimed_by": "ani", "claim_expires_at": '
            b'"2026-12-02T03:19:05.678901+00:00", "version": ' + str(version).encode() + b"}")


@pytest.mark.parametrize("language", [None, "en", "id", "en-US,en;q=0.9"])
def test_the_answer_is_the_views_status_body_and_headers(tx_desk, django_path,
                                                         still_clock, language):
    first, second = new_cases(tx_desk, 2)
    token = tx_desk.ani.token
    extra = {} if language is None else {"Accept-Language": language}
    fast = call(first, token, headers=extra)
    slow = through_django(second, token, headers=extra)
    assert (fast[0], slow[0]) == (200, 200)
    assert fast[2] == slow[2] == expected_body(2)
    assert without_framing(fast[1]) == without_framing(slow[1])
    assert fast[1]["content-language"] == ("en" if language and "en" in language else "id")
    # A renewal (the desk's heartbeat): the very same bytes from both paths.
    again_fast = call(first, token, headers=extra)
    again_slow = through_django(second, token, headers=extra)
    assert again_fast[0] == again_slow[0] == 200
    assert again_fast[2] == again_slow[2] == expected_body(2)
    assert without_framing(again_fast[1]) == without_framing(again_slow[1])
    assert len(django_path.seen) == 2  # the two sent through Django on purpose
    assert AuditEvent.objects.filter(action="case.claimed").count() == 2


def test_it_claims_as_the_view_claims(tx_desk, django_path):
    (case_id,) = new_cases(tx_desk, 1)
    status, _, _ = call(case_id, tx_desk.ani.token)
    assert status == 200 and django_path.seen == []
    case = Case.objects.get(pk=case_id)
    assert (case.claimed_by_id, case.status, case.version) == (tx_desk.ani.user.pk, "diklaim", 2)
    claimed = AuditEvent.objects.get(case_id=case_id, action="case.claimed")
    assert claimed.actor == tx_desk.ani.user  # the token's user, as through the view
    assert tx_desk.ani.user.api_tokens.get().last_used_at is not None


def test_behind_https_the_insecure_go_to_django_and_the_secure_get_hsts(tx_desk, django_path,
                                                                        settings, still_clock):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.ALLOWED_HOSTS = ["desk.example.go.id"]
    first, second = new_cases(tx_desk, 2)
    token = tx_desk.ani.token
    status, headers, _ = call(first, token, headers={"Host": "desk.example.go.id"})
    assert (status, headers["location"]) == (
        301, f"https://desk.example.go.id/api/v1/cases/{first}/claim")
    assert len(django_path.seen) == 1 and not AuditEvent.objects.filter(
        action="case.claimed").exists()
    secure = {"X-Forwarded-Proto": "https"}
    status, headers, body = call(first, token, headers=secure)
    assert status == 200 and len(django_path.seen) == 1
    assert headers["strict-transport-security"] == "max-age=3600; includeSubDomains"
    django = through_django(second, token, headers=secure)
    assert (django[0], django[2]) == (200, body)
    assert without_framing(headers) == without_framing(django[1])


def test_every_refusal_is_the_apis_own_from_django(tx_desk, django_path):
    desk = tx_desk
    held, closed, mine = new_cases(desk, 3)
    now = timezone.now()
    claim_case(case_id=held, actor=desk.budi.user, now=now)
    set_case_status(case_id=closed, actor=desk.ani.user, status="selesai", now=now)
    outsiders = desk.dlh_web
    theirs = desk.inbound(external_id="d1", author_id="d1", channel=outsiders).case.pk
    before = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    refusals = [
        ((held, desk.ani.token), (409, "claimed")),
        ((closed, desk.ani.token), (409, "case_closed")),
        ((theirs, desk.ani.token), (404, "not_found")),
        ((10**9, desk.ani.token), (404, "not_found")),
        (("abc", desk.ani.token), (404, "not_found")),
        ((mine, "not-a-token"), (401, "unauthenticated")),
        ((mine, desk.gerbang.token), (403, "forbidden")),
        ((mine, desk.audi.token), (403, "forbidden")),
        ((mine, desk.luar.token), (404, "not_found")),
    ]
    for (case_id, token), (status, code) in refusals:
        got_status, _, got = call(case_id, token)
        assert (got_status, json.loads(got)["error"]) == (status, code), case_id
    assert len(django_path.seen) == len(refusals)
    assert list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)) == before
    # The same answers as the Django path gives them, in the reader's language.
    english = {"Accept-Language": "en"}
    fast = call(held, desk.ani.token, headers=english)
    slow = through_django(held, desk.ani.token, headers=english)
    assert fast[0] == slow[0] == 409
    assert fast[2] == slow[2]
    assert without_framing(fast[1]) == without_framing(slow[1])
    assert fast[1]["content-language"] == "en"


def test_what_it_does_not_take_goes_to_django_unchanged(tx_desk, django_path, settings):
    desk = tx_desk
    cases = new_cases(desk, 8)
    token = desk.ani.token
    taken_by_django = [
        (cases[0], {"Cookie": "django_language=en"}, {}),
        (cases[1], {}, {"query": b"x=1"}),
        (cases[2], {"Content-Type": "application/json"}, {"body": b"{}"}),
    ]
    for case_id, headers, options in taken_by_django:
        assert call(case_id, token, headers=headers, **options)[0] == 200, case_id
    # No token the API reads: Django asks for one.
    assert call(cases[3], None, headers={"Authorization": f"Token {token}"})[0] == 401
    assert call(cases[4], None)[0] == 401
    # A repeated header.
    sent: list = []
    scope = _scope(f"/api/v1/cases/{cases[5]}/claim",
                   [("authorization", f"Bearer {token}"), ("accept", "application/json"),
                    ("accept", "*/*")])
    asyncio.run(_one(scope, b"", sent))
    assert _answer(sent)[0] == 200
    # Another method, another path under the case.
    assert call(cases[6], token, method="GET")[0] == 405
    settings.TANGGAP_FAST_INTAKE = False
    assert call(cases[7], token)[0] == 200
    settings.TANGGAP_FAST_INTAKE = True
    assert len(django_path.seen) == 8
    # Without a Content-Length (no body at all) it is the fast path's.
    sent = []
    asyncio.run(_one(_scope(f"/api/v1/cases/{cases[7]}/claim",
                            {"Authorization": f"Bearer {token}"}), b"", sent))
    assert _answer(sent)[0] == 200 and len(django_path.seen) == 8
    assert sorted(Case.objects.filter(claimed_by=desk.ani.user).values_list("pk", flat=True)) == [
        cases[i] for i in (0, 1, 2, 5, 7)]


def test_a_revoked_token_is_refused_at_once(tx_desk, django_path):
    first, second = new_cases(tx_desk, 2)
    token = tx_desk.ani.token
    assert call(first, token)[0] == 200
    revoke_tokens(user=tx_desk.ani.user, actor=tx_desk.ani.user, now=timezone.now())
    status, _, body = call(second, token)
    assert (status, json.loads(body)["error"]) == (401, "unauthenticated")
    assert Case.objects.get(pk=second).claimed_by_id is None


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="group commit is SQLite's")
def test_nothing_is_answered_before_the_commit(tx_desk, django_path, monkeypatch):
    (case_id,) = new_cases(tx_desk, 1)
    sent: list = []
    seen_after_commit = []
    monkeypatch.setattr(groupcommit, "after_commit", lambda batch: seen_after_commit.append(
        (list(sent), Case.objects.filter(pk=case_id, status="diklaim").count())))
    assert call(case_id, tx_desk.ani.token, sent=sent)[0] == 200
    assert seen_after_commit == [([], 1)] and django_path.seen == []
