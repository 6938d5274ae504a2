"""Logins: lockouts after repeated failures (django-axes counts them), and second factors (TOTP
with django-otp, plus single-use recovery codes for a lost phone).

A lockout is audited once, when it starts, in every workspace of the username (an unknown
username has no workspace to be audited in: it is logged). Unlocking is an admin's or the server
operator's act, audited. Enrolling, a recovery code used and a reset are audited too; an admin's
reset ends the member's logins, so the next login enrols a new phone.
"""

from __future__ import annotations

import logging
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from tanggap.errors import Conflict, InvalidInput
from tanggap.workspaces import ports
from tanggap.workspaces.events import record_for_user
from tanggap.workspaces.sessions import end_sessions

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
RECOVERY_CODE_CHARS = 8  # StaticToken.random_token(): 5 random bytes in base32
TOTP_DIGITS = 6


def record_lockout(*, username: str, address: str | None, now: datetime) -> int:
    """Called once when failures for (username, address) reach the limit."""
    logger.warning("login locked out: username %r from %s", username, address)
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return 0
    with transaction.atomic():
        return record_for_user(user=user, actor=None, action="login.locked_out", now=now,
                               after={"address": address or ""})


def unlock_login(*, username: str, actor, now: datetime) -> int:
    """Forget the failed logins of `username` (from every address); return how many records."""
    username = (username or "").strip()
    if not username:
        raise InvalidInput(_("Give a username."))
    with transaction.atomic():
        count = AxesProxyHandler.reset_attempts(username=username)
        user = get_user_model().objects.filter(username=username).first()
        if user is not None and count:
            record_for_user(user=user, actor=actor, action="login.unlocked", now=now,
                            after={"records": count})
    return count


# ---------------------------------------------------------------------------------------------
# Second factor


def new_totp_key() -> str:
    """A fresh TOTP secret (hex, 20 bytes as RFC 6238 suggests for SHA-1)."""
    return random_hex(20)


def totp_matches(key_hex: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to for this key at `now` (one step of drift allowed either
    way), or None."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != TOTP_DIGITS:
        return None
    totp = TOTP(bytes.fromhex(key_hex), digits=TOTP_DIGITS)
    totp.time = now.timestamp()
    if not totp.verify(int(code), tolerance=1):
        return None
    return totp.t()


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def enrol_totp(*, user_id: int, key_hex: str, code: str, now: datetime) -> list[str]:
    """Confirm the authenticator that shows `code` for `key_hex` as the user's second factor;
    return the new recovery codes (shown once)."""
    step = totp_matches(key_hex, code, now)
    if step is None:
        raise InvalidInput(_("That code is not the one your authenticator shows now. Check the "
                             "phone's clock and type the newest code."))
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise Conflict(_("An authenticator is already set up for this account."))
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="authenticator", key=key_hex,
                                  digits=TOTP_DIGITS, confirmed=True, last_t=step)
        codes = _new_recovery_codes(user)
        record_for_user(user=user, actor=user, action="second_factor.enrolled", now=now)
    return codes


def provision_totp(*, user_id: int, actor, now: datetime) -> tuple[str, list[str]]:
    """Give a user an authenticator secret made here, without their phone's proof: for the demo,
    whose supervisor and admin must log in with one command's output. The secret and the codes
    are returned once, to be handed over privately. Refused when one is already set up."""
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise Conflict(_("An authenticator is already set up for this account."))
        key = new_totp_key()
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="authenticator", key=key, digits=TOTP_DIGITS,
                                  confirmed=True)
        codes = _new_recovery_codes(user)
        record_for_user(user=user, actor=actor, action="second_factor.provisioned", now=now)
    return key, codes


def renew_recovery_codes(*, user_id: int, now: datetime) -> list[str]:
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise Conflict(_("Set up an authenticator first."))
        codes = _new_recovery_codes(user)
        record_for_user(user=user, actor=user, action="second_factor.recovery_codes_renewed",
                        now=now)
    return codes


def check_second_factor(*, user, code: str, now: datetime):
    """The device that accepts `code` (the authenticator's code or a recovery code, which is
    used up), or None. django-otp throttles each device after failures."""
    code = (code or "").strip().replace(" ", "").lower()
    # Each kind of code goes only to its own device, so a mistyped one throttles only that one.
    if len(code) == TOTP_DIGITS and code.isdigit():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    elif len(code) == RECOVERY_CODE_CHARS:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    else:
        return None
    for device in devices:
        if verify_token(user, device.persistent_id, code) is None:
            continue
        if isinstance(device, StaticDevice):
            with transaction.atomic():
                record_for_user(user=user, actor=user, action="second_factor.recovery_code_used",
                                now=now, after={"left": device.token_set.count()})
        return device
    return None


def reset_second_factor(*, user_id: int, actor, now: datetime) -> None:
    """Forget the user's authenticator and recovery codes (a lost phone) and end their logins:
    their next login sets up a new authenticator."""
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        found = TOTPDevice.objects.filter(user=user).exists()
        if not found:
            raise Conflict(_("%(username)s has no authenticator set up.")
                           % {"username": user.username})
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        sessions = end_sessions(user_id=user.pk, now=now)
        record_for_user(user=user, actor=actor, action="second_factor.reset", now=now,
                        after={"ended_sessions": sessions})
        ports.recheck_sessions_on_commit(user.pk)
