"""Public tracking numbers: short, unambiguous to read aloud, and not guessable."""

from __future__ import annotations

import secrets

# Crockford's base32 without I, L, O, U: no 0/O or 1/I confusion over the phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 12 characters, 60 random bits: guessing one number among a million cases takes about 2^40
# tries. Earlier versions issued 8 characters (40 bits); those numbers stay valid.
_LENGTH = 12


def new_tracking_number() -> str:
    # One draw of 60 bits read as 12 base32 digits: the same uniform choice as 12 independent
    # secrets.choice calls (32 is a power of two), for one read of the system's randomness
    # instead of one or more per character, on every new case.
    bits = secrets.randbits(5 * _LENGTH)
    chars = "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in range(_LENGTH))
    return "TG-" + "-".join(chars[i:i + 4] for i in range(0, _LENGTH, 4))
