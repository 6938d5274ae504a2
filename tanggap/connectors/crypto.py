"""Encryption at rest for channel credentials (access tokens, X refresh tokens and app secrets).

Sealed with Fernet under a list of keys (cryptography's MultiFernet): the first key encrypts, every
key decrypts, so keys rotate without a moment when stored credentials are unreadable. The list is
TANGGAP_CREDENTIALS_KEY (comma-separated, newest first; validated when settings load), followed by
keys derived with HKDF from SECRET_KEY and from each of SECRET_KEY_FALLBACKS: the derived key is
the default of a desk that sets no credentials key, and keeping it readable lets such a desk move
to an explicit key and let `tanggap keys rotate` re-seal everything under it.

SEALED_FIELDS names every column that holds a sealed value, so that rotation reaches them all; a
test fails when a model gains an `*_encrypted` column that is not listed. Never log, render or
return a decrypted value outside the platform client that sends it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@dataclass(frozen=True)
class Sealed:
    """The sealed columns of one model; the model has a `workspace_id` (for the audit trail)."""

    model: str  # "app_label.Model"
    fields: tuple[str, ...]
    audit_action: str


SEALED_FIELDS = (
    Sealed("connectors.ChannelAccount", ("credentials_encrypted", "refresh_encrypted"),
           "channel.credentials_resealed"),
    Sealed("hooks.Endpoint", ("secret_encrypted",), "webhook.secret_resealed"),
)


class CredentialsUnreadable(Exception):
    pass


@cache
def derived_key(secret_key: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tanggap-credentials", info=b"fernet"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived)


def configured_keys() -> tuple[bytes, ...]:
    """Every key that may decrypt, the one that encrypts first, without repeats."""
    keys = [key.encode() for key in settings.TANGGAP_CREDENTIALS_KEYS]
    keys.append(derived_key(settings.SECRET_KEY))
    keys.extend(derived_key(old) for old in settings.SECRET_KEY_FALLBACKS)
    return tuple(dict.fromkeys(keys))


@cache
def _fernets(keys: tuple[bytes, ...]) -> tuple[MultiFernet, tuple[Fernet, ...]]:
    singles = tuple(Fernet(key) for key in keys)
    return MultiFernet(singles), singles


def _current() -> tuple[MultiFernet, tuple[Fernet, ...]]:
    return _fernets(configured_keys())


def encrypt_secret(plain: str) -> str:
    return _current()[0].encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _current()[0].decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable(
            "stored credentials cannot be decrypted with the current key"
        ) from None


def key_position(token: str) -> int | None:
    """Which configured key (0: the one that encrypts) opens `token`; None if none does."""
    for position, fernet in enumerate(_current()[1]):
        try:
            fernet.decrypt(token.encode())
        except InvalidToken:
            continue
        return position
    return None


def reseal(token: str) -> str | None:
    """`token` sealed again under the first key, or None when it already is.

    Raises CredentialsUnreadable when no configured key opens it.
    """
    position = key_position(token)
    if position is None:
        raise CredentialsUnreadable(
            "stored credentials cannot be decrypted with any configured key")
    if position == 0:
        return None
    return _current()[0].rotate(token.encode()).decode()
