"""An authenticator secret as people handle it: the otpauth:// link that a QR code carries, and
the base32 key grouped for typing."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings


def otpauth_url(username: str, key_hex: str) -> str:
    issuer = settings.OTP_TOTP_ISSUER.replace(":", "")
    secret = b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": 6,
                       "period": 30})
    return f"otpauth://totp/{quote(issuer)}:{quote(username)}?{query}"


def grouped_secret(key_hex: str) -> str:
    secret = b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
