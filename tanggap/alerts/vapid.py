"""The desk's VAPID key pair (RFC 8292): generated on first use and kept in the keys directory
(`TANGGAP_KEYS_DIR`, beside the SECRET_KEY), never in the data directory. Browsers subscribe with
its public key, and every push is signed with its private key, so the push services deliver only
the desk's own pushes. Replacing the file means every browser must subscribe again.

Made with py_vapid (the library pywebpush signs with). Several processes starting together race
to create it; one file wins (written whole, then linked into place) and all read that one.
"""

from __future__ import annotations

import base64
import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FILE_NAME = "vapid_private.pem"


def key_path() -> Path:
    return Path(settings.KEYS_DIR) / FILE_NAME


def _create(path: Path) -> None:
    from py_vapid import Vapid02

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    vapid = Vapid02()
    vapid.generate_keys()
    pem = vapid.private_pem()
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    except OSError as exc:
        raise ImproperlyConfigured(f"cannot write the VAPID key {path}: {exc.strerror}; set "
                                   "TANGGAP_KEYS_DIR to a directory this user may write") from None
    finally:
        partial.unlink(missing_ok=True)


@cache
def _keys(path: str):
    from py_vapid import Vapid02

    if not os.path.exists(path):
        _create(Path(path))
    try:
        return Vapid02.from_file(path)
    except Exception as exc:  # py_vapid raises several kinds for a damaged file
        raise ImproperlyConfigured(f"the VAPID key {path} cannot be read ({exc}); move it away "
                                   "and restart: a new one is made, and browsers subscribe "
                                   "again") from None


def keys():
    """The py_vapid key object (made on first use)."""
    return _keys(str(key_path()))


def public_key() -> str:
    """The application server key browsers subscribe with: the uncompressed P-256 point,
    base64url without padding."""
    raw = keys().public_key.public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
