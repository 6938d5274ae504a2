"""The desk's WSGI application sends webhooks and Bearer-token API calls through the short
machine chain (tanggap.conf.handler) and everything else through the full one: the machine chain
still redirects to HTTPS and sends HSTS, still speaks the caller's Accept-Language, and sets no
cookie; a page and a session-authenticated API call keep CSRF, CSP and the rest."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.test import override_settings

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Message
from tanggap.conf.handler import DeskWSGIHandler, is_machine_request

HTTPS = {"SECURE_SSL_REDIRECT": True, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
         "SECURE_REDIRECT_EXEMPT": [r"^api/v1/health$"], "SECURE_HSTS_SECONDS": 31536000}


def call(app, method: str, path: str, body: bytes = b"", **headers):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = response_headers

    content = b"".join(app(environ, start_response))
    names = {}
    for name, value in answer["headers"]:
        names.setdefault(name.lower(), []).append(value)
    return answer["status"], names, content


def _inbound(desk, external_id="wa-1") -> bytes:
    return json.dumps({"channel_id": desk.web.pk, "external_id": external_id,
                       "author": {"id": "62811", "name": "Warga"},
                       "text": "Lampu jalan mati sejak kemarin"}).encode()


def test_which_requests_are_machines():
    bearer = {"HTTP_AUTHORIZATION": "Bearer tg_x"}
    assert is_machine_request({"PATH_INFO": "/api/v1/inbound", **bearer})
    assert is_machine_request({"PATH_INFO": "/api/v1/cases", "HTTP_AUTHORIZATION": "bearer x"})
    assert is_machine_request({"PATH_INFO": "/webhooks/meta"})
    assert not is_machine_request({"PATH_INFO": "/api/v1/cases"})  # the desk's own session
    assert not is_machine_request({"PATH_INFO": "/api/v1/cases", "HTTP_AUTHORIZATION": "Basic x"})
    assert not is_machine_request({"PATH_INFO": "/w/bpn/", **bearer})
    assert not is_machine_request({"PATH_INFO": "/login/", **bearer})


@pytest.mark.django_db(transaction=True)
def test_an_inbound_through_the_machine_chain_is_stored_audited_and_sets_no_cookie(tx_desk):
    desk = tx_desk
    app = DeskWSGIHandler()
    status, headers, content = call(app, "POST", "/api/v1/inbound", _inbound(desk),
                                    authorization=f"Bearer {desk.gerbang.token}")
    assert status == 201, content
    message = Message.objects.get(external_id="wa-1")
    assert json.loads(content)["message_id"] == message.pk
    assert AuditEvent.objects.get(case=message.case).actor == desk.gerbang.user
    assert "set-cookie" not in headers and "content-security-policy" not in headers
    # The same body again: stored once.
    status, _h, content = call(app, "POST", "/api/v1/inbound", _inbound(desk),
                               authorization=f"Bearer {desk.gerbang.token}")
    assert status == 200 and json.loads(content)["created"] is False
    assert Message.objects.filter(external_id="wa-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_machine_errors_speak_the_callers_language_and_refusals_store_nothing(tx_desk):
    desk = tx_desk
    app = DeskWSGIHandler()
    status, _h, content = call(app, "POST", "/api/v1/inbound", _inbound(desk),
                               authorization="Bearer tg_not-a-token", accept_language="en")
    assert (status, json.loads(content)) == (
        401, {"error": "unauthenticated", "message": "The API token is not valid."})
    status, _h, content = call(app, "POST", "/api/v1/inbound", _inbound(desk),
                               authorization=f"Bearer {desk.ani.token}")
    assert status == 403 and json.loads(content)["error"] == "forbidden"
    # Another workspace's channel: 404, as for any outsider.
    other = json.loads(_inbound(desk)) | {"channel_id": desk.dlh_web.pk}
    status, _h, _c = call(app, "POST", "/api/v1/inbound", json.dumps(other).encode(),
                          authorization=f"Bearer {desk.gerbang.token}")
    assert status == 404
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_machine_chain_still_redirects_to_https_and_sends_hsts(tx_desk):
    desk = tx_desk
    with override_settings(**HTTPS):
        _https_checks(desk, DeskWSGIHandler())


def _https_checks(desk, app):
    status, headers, _c = call(app, "POST", "/api/v1/inbound", _inbound(desk),
                               authorization=f"Bearer {desk.gerbang.token}")
    assert status == 301 and headers["location"] == ["https://127.0.0.1/api/v1/inbound"]
    status, _h, _c = call(app, "POST", "/webhooks/meta", b"{}")
    assert status == 301
    assert not Message.objects.exists()
    status, headers, _c = call(app, "POST", "/api/v1/inbound", _inbound(desk),
                               authorization=f"Bearer {desk.gerbang.token}",
                               x_forwarded_proto="https")
    assert status == 201
    assert headers["strict-transport-security"] == ["max-age=31536000"]


@pytest.mark.django_db(transaction=True)
def test_pages_and_session_calls_keep_the_full_chain(tx_desk):
    app = DeskWSGIHandler()
    status, headers, _c = call(app, "GET", "/login/")
    assert status == 200
    assert "content-security-policy" in headers and headers["x-frame-options"] == ["DENY"]
    # No token, no session: the API's own 401 (the full chain ran, with sessions and CSRF).
    status, _h, content = call(app, "GET", "/api/v1/cases")
    assert status == 401 and json.loads(content)["error"] == "unauthenticated"
