"""The websocket handshake is accepted only from the desk's own origin (scheme, host and port) or
a trusted one: a page on another origin (another port of the same host, plain http against https)
cannot open a socket with the operator's cookies."""

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client, override_settings

from tanggap.asgi import application
from tanggap.live.origin import origin_allowed


def _scope(origin: str | None, host: str | None = "desk.example.go.id", *, scheme: str = "ws",
           forwarded_proto: str | None = None):
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if forwarded_proto is not None:
        headers.append((b"x-forwarded-proto", forwarded_proto.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers, "path": "/ws/w/bpn/"}


HOSTS = {"ALLOWED_HOSTS": ["desk.example.go.id"], "CSRF_TRUSTED_ORIGINS": []}


@override_settings(**HOSTS)
@pytest.mark.parametrize(("origin", "host", "scheme", "allowed"), [
    ("http://desk.example.go.id", "desk.example.go.id", "ws", True),
    ("http://desk.example.go.id:8000", "desk.example.go.id:8000", "ws", True),
    ("https://desk.example.go.id", "desk.example.go.id", "wss", True),
    # The same host on another scheme or port is another origin (another site).
    ("https://desk.example.go.id", "desk.example.go.id", "ws", False),
    ("http://desk.example.go.id", "desk.example.go.id", "wss", False),
    ("http://desk.example.go.id:8080", "desk.example.go.id:8000", "ws", False),
    ("http://desk.example.go.id:8000", "desk.example.go.id", "ws", False),
    ("http://desk.example.go.id", "desk.example.go.id:8000", "ws", False),
    ("http://evil.example", "desk.example.go.id", "ws", False),
    ("http://desk.example.go.id.evil.example", "desk.example.go.id", "ws", False),
    # A Host the desk does not serve, even when the Origin matches it.
    ("http://evil.example", "evil.example", "ws", False),
    # No Origin, "null" (sandboxed frames, file: pages), no Host.
    (None, "desk.example.go.id", "ws", False),
    ("null", "desk.example.go.id", "ws", False),
    ("http://desk.example.go.id", None, "ws", False),
])
def test_origin_must_be_exactly_the_desks_own(origin, host, scheme, allowed):
    assert origin_allowed(_scope(origin, host, scheme=scheme)) is allowed


@override_settings(**HOSTS, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_the_tls_proxy_the_forwarded_scheme_decides():
    # The proxy speaks plain ws to the desk; the browser's page is https.
    assert origin_allowed(_scope("https://desk.example.go.id", forwarded_proto="https"))
    assert not origin_allowed(_scope("http://desk.example.go.id", forwarded_proto="https"))
    # Without the proxy's header the connection counts as plain http, as for pages.
    assert not origin_allowed(_scope("https://desk.example.go.id"))
    assert origin_allowed(_scope("http://desk.example.go.id"))


def test_without_the_proxy_setting_a_forwarded_scheme_is_ignored():
    with override_settings(**HOSTS, SECURE_PROXY_SSL_HEADER=None):
        assert not origin_allowed(_scope("https://desk.example.go.id", forwarded_proto="https"))


@override_settings(ALLOWED_HOSTS=["desk.internal"],
                   CSRF_TRUSTED_ORIGINS=["https://desk.example.go.id", "https://*.bpn.go.id"])
def test_csrf_trusted_origins_are_trusted_exactly_and_by_subdomain():
    assert origin_allowed(_scope("https://desk.example.go.id", "desk.internal"))
    assert origin_allowed(_scope("https://pengaduan.bpn.go.id", "desk.internal"))
    assert not origin_allowed(_scope("http://desk.example.go.id", "desk.internal"))
    assert not origin_allowed(_scope("https://desk.example.go.id:8443", "desk.internal"))
    assert not origin_allowed(_scope("http://pengaduan.bpn.go.id", "desk.internal"))
    assert not origin_allowed(_scope("https://bpn.go.id.evil.example", "desk.internal"))


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("origin", "accepted"), [
    (b"http://127.0.0.1:8000", True),
    (b"http://127.0.0.1:9999", False),
    (b"https://127.0.0.1:8000", False),
    (b"http://localhost:8000", False),
])
async def test_the_served_application_checks_the_origin(tx_desk, origin, accepted):
    cookie = await sync_to_async(_session_cookie)(tx_desk.ani.user)
    ws = WebsocketCommunicator(application, "/ws/w/bpn/", headers=[
        (b"cookie", cookie.encode()), (b"origin", origin), (b"host", b"127.0.0.1:8000")])
    connected, _ = await ws.connect()
    assert connected is accepted
    if connected:
        assert await ws.receive_json_from() == {"kind": "hello", "user": "ani"}
    await ws.disconnect()
