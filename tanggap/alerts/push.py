"""One Web Push message to one browser: encrypted for it (RFC 8291, aes128gcm, by pywebpush's
`WebPusher.encode`), signed with the desk's VAPID key (RFC 8292, py_vapid), and posted through
the desk's one HTTP client (`tanggap.connectors.http`).

Why not `pywebpush.webpush()`: it posts with `requests` (or aiohttp), a second HTTP stack beside
the desk's client, without its timeouts and error contract, and the import contracts keep every
outbound call in `connectors/http.py`. pywebpush and py_vapid are used for what they are good at:
the encryption and the signature.

Endpoints come from browsers, so they are checked before anything is sent (no request to an
address a member typed): HTTPS, and a host of a known push service (`TANGGAP_PUSH_HOSTS`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from tanggap.alerts import vapid
from tanggap.errors import InvalidInput

# How long a push service keeps a message for a phone that is off: an alert older than a day is
# stale (the desk shows it anyway).
TTL_SECONDS = 24 * 3600
# A VAPID signature may be valid for at most 24 hours (RFC 8292 section 2); 12 is the usual.
SIGNATURE_SECONDS = 12 * 3600
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def check_endpoint(endpoint) -> str:
    """The endpoint if it may be pushed to, else InvalidInput saying why."""
    if not isinstance(endpoint, str) or not 0 < len(endpoint) <= 1000:
        raise InvalidInput(_("'endpoint' must be a URL of at most 1000 characters."),
                           field="endpoint")
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    allowed = any(host == known or host.endswith("." + known)
                  for known in settings.TANGGAP_PUSH_HOSTS)
    # Plain HTTP only to a push service stand-in on this machine that the settings name (tests).
    scheme_ok = parts.scheme == "https" or (parts.scheme == "http" and host in LOCAL_HOSTS)
    if not allowed or not scheme_ok or parts.username or parts.password:
        raise InvalidInput(_("This is not the address of a known push service."),
                           field="endpoint")
    return endpoint


@dataclass(frozen=True)
class Prepared:
    endpoint: str
    body: bytes
    headers: dict[str, str]


def prepare(*, endpoint: str, p256dh: str, auth: str, payload: dict, now: datetime) -> Prepared:
    """The encrypted body and headers of one push (no I/O)."""
    from pywebpush import WebPusher

    pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
    body = pusher.encode(json.dumps(payload, ensure_ascii=False).encode(), "aes128gcm")["body"]
    parts = urlsplit(endpoint)
    claims = {"sub": settings.TANGGAP_VAPID_SUBJECT, "aud": f"{parts.scheme}://{parts.netloc}",
              "exp": int(now.timestamp()) + SIGNATURE_SECONDS}
    headers = {key: value for key, value in vapid.keys().sign(claims).items()}
    headers.update({"TTL": str(TTL_SECONDS), "Content-Encoding": "aes128gcm",
                    "Content-Type": "application/octet-stream", "Urgency": "high"})
    return Prepared(endpoint, body, headers)


def send(prepared: Prepared, *, http=None):
    """Post it; the HTTP client's TransportError on failure (`status` 404/410: gone)."""
    from tanggap.connectors.http import given_or_own

    with given_or_own(http) as client:
        return client.post_bytes(prepared.endpoint, content=prepared.body,
                                 headers=prepared.headers)
