"""Spam and guessing defences of the portal, without any third-party captcha: a honeypot field, a
signed single-use form token with a minimum fill time, and the rate limits of reports and of
status lookups (what they count, and under which key).

Pure functions of the request and `now`; the rate-limit counters themselves are written by
portal.actions, in windows of portal.actions.RATE_WINDOW (10 minutes).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.utils.crypto import salted_hmac

# Named like a field a bot wants to fill; people never see it (see the template).
HONEYPOT_FIELD = "website"
MIN_FILL_TIME = timedelta(seconds=3)
# A form left open longer than this is sent with a fresh token (and the citizen asked again).
MAX_FORM_AGE = timedelta(hours=24)

_SIGNER_SALT = "tanggap.portal.form-token"


def honeypot_filled(data) -> bool:
    return bool(data.get(HONEYPOT_FIELD, "").strip())


@dataclass(frozen=True)
class FormToken:
    # Random per rendered form: a double-click or a resubmitted page stores one case, not two.
    nonce: str
    issued_at_ms: int


def issue_form_token(now: datetime) -> str:
    payload = f"{secrets.token_hex(16)}:{int(now.timestamp() * 1000)}"
    return signing.Signer(salt=_SIGNER_SALT).sign(payload)


def read_form_token(raw: str) -> FormToken | None:
    """The token's content, or None if it was not signed by us."""
    try:
        payload = signing.Signer(salt=_SIGNER_SALT).unsign(raw or "")
        nonce, issued = payload.split(":")
        return FormToken(nonce=nonce, issued_at_ms=int(issued))
    except (signing.BadSignature, ValueError):
        return None


def form_age(token: FormToken, now: datetime) -> timedelta:
    return timedelta(milliseconds=int(now.timestamp() * 1000) - token.issued_at_ms)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, which tanggap.conf.proxies.ClientAddressMiddleware
    has set by the one rule for trusting proxies (X-Forwarded-For only when configured)."""
    return request.META.get("REMOTE_ADDR", "")


# Status lookups: only misses count (a lookup that finds its case gives its slots back), so a
# citizen may reload their page at will while a guesser is stopped. Per address, and per number
# space across all addresses, so a botnet guessing from many addresses is stopped too; a space
# is the numbers of one length (8 characters before, 12 now) and closing one leaves the other
# open. At 200 misses per 10 minutes, guessing one of 100,000 eight-character numbers takes
# about a year; a twelve-character one is out of reach even at 5,000.
LOOKUP_MISSES_PER_ADDRESS = 20
LOOKUP_MISSES_PER_SPACE = {8: 200, 12: 5000}


def rate_limit_key(address: str, scope: str = "report") -> str:
    """What a rate limit counts: one IPv4 address, or one IPv6 /64 (a single subscriber
    usually holds a whole /64, so per-address counting would not limit them at all), in one
    scope ("report", "lookup")."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    elif isinstance(ip, ipaddress.IPv6Address):
        address = str(ip.ipv4_mapped)
    return salted_hmac("tanggap.portal.rate-limit", f"{scope}:{address}",
                       algorithm="sha256").hexdigest()


def lookup_slots(address: str, tracking_number: str | None) -> list[tuple[str, int]]:
    """The (key, limit) buckets one status lookup takes a slot from: its address's, and its
    number space's when the number is well-formed (a malformed one guesses in no space)."""
    slots = [(rate_limit_key(address, "lookup"), LOOKUP_MISSES_PER_ADDRESS)]
    if tracking_number is not None:
        length = len(tracking_number.replace("-", "")) - len("TG")
        slots.append((f"lookup-space-{length}", LOOKUP_MISSES_PER_SPACE[length]))
    return slots
