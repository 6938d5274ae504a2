"""The desk's WSGI application: machine traffic through a short middleware chain.

Platform webhooks and API calls that carry a Bearer token are machines talking to the desk: no
session, no CSRF cookie, no login throttling (axes guards the login form only), no page
security headers (a Content-Security-Policy or X-Frame-Options means nothing to a JSON or
plain-text answer), no flash messages. Profiling one POST /api/v1/inbound showed the full chain
of settings.MIDDLEWARE at about a third of the request's CPU, so those requests run through
settings.TANGGAP_MACHINE_MIDDLEWARE instead, which keeps what still applies to them: the client
address rule, SecurityMiddleware (the HTTPS redirect and HSTS of TANGGAP_HTTPS) and the API's
Accept-Language. Everything else (pages, the desk's own API calls with the session cookie)
takes the full chain.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler


def is_machine_request(environ: dict) -> bool:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/webhooks/"):
        return True
    return (path.startswith("/api/v1/")
            and environ.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer ")


class _MachineHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        # BaseHandler builds its chain from settings.MIDDLEWARE only; this runs once, at start.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.TANGGAP_MACHINE_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class DeskWSGIHandler:
    """Sends each request to the full handler or to the machines' one (is_machine_request)."""

    def __init__(self):
        self.full = WSGIHandler()
        self.machine = _MachineHandler()

    def __call__(self, environ, start_response):
        handler = self.machine if is_machine_request(environ) else self.full
        return handler(environ, start_response)


def desk_wsgi_application() -> DeskWSGIHandler:
    import django

    django.setup(set_prefix=False)
    return DeskWSGIHandler()
