"""The liaison link: a signed URL that lets one body answer one referral without an account.

The token signs (referral id, nonce) with the site's SECRET_KEY under its own salt; the referral
keeps the nonce and the link's expiry. A forged or altered token fails the signature, an old
token fails the nonce (a new link voids earlier ones), an expired one fails the date; all three
look the same to the visitor (404), so a token reveals nothing about which referrals exist.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from django.core import signing

from tanggap.errors import NotFound
from tanggap.referrals.models import Referral

_SALT = "tanggap.referrals.liaison"


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def token_for(referral: Referral) -> str:
    return signing.dumps({"r": referral.pk, "n": referral.link_nonce}, salt=_SALT, compress=True)


def referral_for_token(token: str, *, now: datetime) -> Referral:
    """The referral this token opens, or NotFound (forged, altered, replaced or expired)."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise NotFound() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        raise NotFound()
    referral = (Referral.objects.select_related("body", "case", "workspace")
                .filter(pk=payload["r"]).first())
    if referral is None or not hmac.compare_digest(str(payload.get("n", "")),
                                                   referral.link_nonce):
        raise NotFound()
    if now >= referral.link_expires_at:
        raise NotFound()
    return referral
