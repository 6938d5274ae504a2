"""Public tracking numbers: short, unambiguous to read aloud, and not guessable."""

from __future__ import annotations

import secrets

# Crockford's base32 without I, L, O, U: no 0/O or 1/I confusion over the phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_tracking_number() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"TG-{chars[:4]}-{chars[4:]}"
