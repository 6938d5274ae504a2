"""What a person needs to add the desk to an authenticator app: a QR code drawn here as inline
SVG (segno, no image service, nothing for the Content-Security-Policy to allow) and the same
secret in base32 for typing."""

from __future__ import annotations

import segno
from django.utils.safestring import mark_safe

from tanggap.workspaces.authenticator import grouped_secret, otpauth_url


def enrolment_context(user, key_hex: str) -> dict:
    url = otpauth_url(user.get_username(), key_hex)
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#1d2430", light="#ffffff",
                                                 title="otpauth")
    return {"qr_svg": mark_safe(svg), "secret": grouped_secret(key_hex), "otpauth_url": url}
