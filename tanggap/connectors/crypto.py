"""Encryption at rest for channel credentials.

The key comes from TANGGAP_CREDENTIALS_KEY (a Fernet key) or, when that is unset, is derived
from SECRET_KEY with HKDF, so rotating SECRET_KEY without setting the former makes stored
credentials unreadable (documented in docs/configuration.md).
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(configured_key: str, secret_key: str) -> Fernet:
    if configured_key:
        try:
            return Fernet(configured_key.encode())
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                "TANGGAP_CREDENTIALS_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tanggap-credentials", info=b"fernet"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(plain: str) -> str:
    return _fernet(settings.TANGGAP_CREDENTIALS_KEY, settings.SECRET_KEY).encrypt(
        plain.encode()
    ).decode()


class CredentialsUnreadable(Exception):
    pass


def decrypt_secret(token: str) -> str:
    try:
        return _fernet(settings.TANGGAP_CREDENTIALS_KEY, settings.SECRET_KEY).decrypt(
            token.encode()
        ).decode()
    except InvalidToken:
        raise CredentialsUnreadable(
            "stored credentials cannot be decrypted with the current key"
        ) from None
