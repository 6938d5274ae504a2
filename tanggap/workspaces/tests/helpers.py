"""Helpers of the accounts tests: run a command in-process, compute an authenticator's code."""

from __future__ import annotations

import io
import sys
from io import StringIO

from django.core.management import call_command
from django_otp.oath import TOTP


def command(*args, stdin: str = "") -> str:
    out = StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = saved
    return out.getvalue()


def code_for(key_hex: str, *, step_offset: int = 0) -> str:
    """The code an authenticator app shows for this key now (or `step_offset` steps away: a code
    is accepted once, so a second login in the same 30 s uses the next step's)."""
    totp = TOTP(bytes.fromhex(key_hex), digits=6)
    totp.drift = step_offset
    return f"{totp.token():06d}"
