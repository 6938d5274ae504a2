"""The websocket handshake's Origin, checked exactly as Django checks the Origin of a POST.

A browser opens a websocket to any site a page asks it to, with the user's cookies; only the
Origin header tells the desk which page asked (cross-site websocket hijacking). The handshake is
accepted when its Origin is exactly the desk's own origin, scheme, host and port, as the request
itself arrived (the Host header, valid for ALLOWED_HOSTS; https when the connection is wss or,
with TANGGAP_HTTPS, when the TLS proxy's X-Forwarded-Proto says so), or one of
CSRF_TRUSTED_ORIGINS (where `https://*.example.go.id` allows its subdomains, as for CSRF). A
missing or "null" Origin is refused: every browser sends one.

The host and scheme come from Django's own HttpRequest (get_host, scheme), so ALLOWED_HOSTS,
USE_X_FORWARDED_HOST and SECURE_PROXY_SSL_HEADER mean the same for websockets as for pages.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import is_same_domain


class _Handshake(HttpRequest):
    """The handshake's headers seen through Django's request API."""

    def __init__(self, scope):
        super().__init__()
        self._transport_scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin1").upper().replace("-", "_")
            value = raw_value.decode("latin1")
            key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
            self.META[key] = f"{self.META[key]},{value}" if key in self.META else value
        server = scope.get("server") or (None, None)
        if server[0] is not None:
            self.META["SERVER_NAME"], self.META["SERVER_PORT"] = server[0], str(server[1])

    def _get_scheme(self):
        return self._transport_scheme


def _trusted(origin: str) -> bool:
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    parts = urlsplit(origin)
    for entry in trusted:
        if "*" not in entry:
            continue
        pattern = urlsplit(entry)
        if pattern.scheme == parts.scheme and is_same_domain(parts.netloc,
                                                               pattern.netloc.lstrip("*")):
            return True
    return False


def origin_allowed(scope) -> bool:
    request = _Handshake(scope)
    origin = request.META.get("HTTP_ORIGIN", "")
    if not origin or origin == "null":
        return False
    if "HTTP_HOST" not in request.META and "SERVER_NAME" not in request.META:
        return False
    try:
        own = f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return False
    return origin == own or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: websocket handshakes from another origin are refused (HTTP 403)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
