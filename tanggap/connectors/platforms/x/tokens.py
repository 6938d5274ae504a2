"""Keeping an X channel's OAuth 2.0 user access token alive (it lasts 2 hours, [X-OAUTH]).

`XAuth` hands the token to each X call of one unit of work (a poll, a send): it renews the token
when it expires within X_TOKEN_REFRESH_MARGIN_SECONDS, and after a 401 renews it once and
retries the call once. A renewal is POST /2/oauth2/token with grant_type=refresh_token.

X rotates refresh tokens: each one works once ([S-CODE], not in X's docs). So a renewal runs
under a row lock on the channel and stores the new access AND refresh token in that same
transaction; a worker that waited for the lock finds a token different from the one it holds
and uses it instead of spending the (now dead) refresh token a second time. The lock is held
during one HTTP call of at most CONNECTORS_HTTP_TIMEOUT_SECONDS, about once per 2 hours per
channel (on SQLite, BEGIN IMMEDIATE: every writer waits that long).

The token call is never retried here: if it reached X and the answer was lost, X has already
rotated, and sending the old refresh token again would be refused. The next poll or send tries
again, and a refusal then marks the channel (token_failed_at) so an admin saves a new token.

Never logs a token, and no error raised here carries one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from tanggap.connectors.crypto import CredentialsUnreadable, decrypt_secret, encrypt_secret
from tanggap.connectors.http import PlatformHTTP, TransportError
from tanggap.connectors.models import ChannelAccount

TOKEN_PATH = "/2/oauth2/token"
# X's documented lifetime of a user access token, for an answer without expires_in.
DEFAULT_LIFETIME = timedelta(hours=2)
REFRESH_FAILED = "token_refresh_failed"


def seal_refresh(*, refresh_token: str, client_id: str = "", client_secret: str = "") -> str:
    """The encrypted form of `ChannelAccount.refresh_encrypted`."""
    return encrypt_secret(json.dumps({"refresh_token": refresh_token, "client_id": client_id,
                                      "client_secret": client_secret}))


def open_refresh(sealed: str) -> dict[str, str]:
    data = json.loads(decrypt_secret(sealed))
    return {k: str(data.get(k) or "") for k in ("refresh_token", "client_id", "client_secret")}


def expires_at(now: datetime, expires_in) -> datetime:
    """When a token answered with `expires_in` (seconds) stops working."""
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        return now + DEFAULT_LIFETIME
    return now + timedelta(seconds=max(0, seconds))


def refresh_failed_message(at: datetime, error: str) -> str:
    return (f"{REFRESH_FAILED}: X refused the refresh token on {at.isoformat()} ({error}); "
            "save a new token for this channel")[:500]


def _client_auth(secrets: dict[str, str]) -> tuple[str, str]:
    """(client_id, client_secret) of the X app that issued the token. The channel's own pair wins
    as a whole: a per-city app's id must not be paired with the deployment's secret."""
    if secrets["client_id"]:
        return secrets["client_id"], secrets["client_secret"]
    return settings.X_CLIENT_ID, settings.X_CLIENT_SECRET


class XAuth:
    """The access token of one X channel for one unit of work (a poll, a send)."""

    def __init__(self, http: PlatformHTTP, *, channel: ChannelAccount, now: datetime) -> None:
        self._http = http
        self._channel_id = channel.pk
        self._now = now
        self._token = decrypt_secret(channel.credentials_encrypted)
        self._expires_at = channel.token_expires_at
        self._renewable = channel.has_refresh_token and channel.token_failed_at is None
        # Set once this unit of work renewed the token, either way: a 401 on a token renewed
        # seconds ago means revoked access or scopes, not expiry, and another renewal would
        # only spend another refresh token.
        self._renewed = False

    def _expiring(self, expires: datetime | None) -> bool:
        margin = timedelta(seconds=settings.X_TOKEN_REFRESH_MARGIN_SECONDS)
        return expires is not None and expires - self._now <= margin

    def token(self) -> str:
        # A channel whose refresh was refused keeps using its access token until X says 401:
        # it may still have minutes left, and call() then reports the refusal.
        if self._renewable and not self._renewed and self._expiring(self._expires_at):
            self._token = self._renew(holding=self._token, after_401=False)
            self._renewed = True
        return self._token

    def call[T](self, fn: Callable[[str], T]) -> T:
        """fn(token); after a 401, renew the token (at most once per unit of work) and call fn
        once more."""
        token = self.token()
        try:
            return fn(token)
        except TransportError as exc:
            if exc.status != 401 or self._renewed:
                raise
            self._renewed = True
            self._token = self._renew(holding=token, after_401=True)
        return fn(self._token)

    def _renew(self, *, holding: str, after_401: bool) -> str:
        failure: TransportError | None = None
        with transaction.atomic():
            channel = ChannelAccount.objects.select_for_update().get(pk=self._channel_id)
            try:
                stored = decrypt_secret(channel.credentials_encrypted)
                secrets = open_refresh(channel.refresh_encrypted) if channel.refresh_encrypted \
                    else None
            except CredentialsUnreadable as exc:
                raise TransportError(f"credentials_unreadable: {exc}", permanent=True,
                                     code="credentials_unreadable") from None
            # Another worker renewed (or an admin saved a new token) while we waited for the
            # lock: its token is the live one, and our refresh token is already spent.
            if stored != holding or (not after_401 and not self._expiring(
                    channel.token_expires_at)):
                self._expires_at = channel.token_expires_at
                return stored
            if channel.token_failed_at is not None:
                raise TransportError(refresh_failed_message(channel.token_failed_at,
                                                            channel.token_error),
                                     permanent=True, status=401, code=REFRESH_FAILED)
            if secrets is None:
                raise TransportError("x_token_expired: X refused the access token and no refresh "
                                     "token is stored; save a new token (with offline.access)",
                                     permanent=True, status=401, code="no_refresh_token")
            client_id, client_secret = _client_auth(secrets)
            if not client_id:
                raise TransportError("x_client_missing: set X_CLIENT_ID (and X_CLIENT_SECRET for a "
                                     "confidential app) or the channel's client id to renew X "
                                     "tokens", permanent=True, code="x_client_missing")
            form = {"grant_type": "refresh_token", "refresh_token": secrets["refresh_token"]}
            # Confidential clients authenticate with HTTP Basic; public clients name themselves
            # in the body ([X-OAUTH], user-access-token step 5).
            if not client_secret:
                form["client_id"] = client_id
            try:
                answer = self._http.post_form(
                    "x", TOKEN_PATH, data=form,
                    basic_auth=(client_id, client_secret) if client_secret else None).data
            except TransportError as exc:
                if exc.status != 400:
                    # 401/403: X refused our client credentials (the refresh token was not spent,
                    # the fix is in settings); 429/5xx/timeouts: try again at the next call.
                    raise
                # 400 (invalid_grant, or X's invalid_request "Value passed for the token was
                # invalid"): the refresh token is dead. Recorded, then raised after the commit.
                channel.token_failed_at = self._now
                channel.token_error = exc.message[:500]
                channel.save(update_fields=["token_failed_at", "token_error"])
                failure = TransportError(refresh_failed_message(self._now, channel.token_error),
                                         permanent=True, status=401, code=REFRESH_FAILED)
            else:
                access = str(answer.get("access_token") or "")
                if not access:
                    raise TransportError("X answered the token refresh without an access_token",
                                         permanent=False, ambiguous=True)
                # The rotated refresh token must be stored with the access token, or the next
                # renewal spends a dead one; an answer without one keeps ours (RFC 6749 6).
                channel.credentials_encrypted = encrypt_secret(access)
                channel.refresh_encrypted = seal_refresh(
                    refresh_token=str(answer.get("refresh_token") or secrets["refresh_token"]),
                    client_id=secrets["client_id"], client_secret=secrets["client_secret"])
                channel.token_expires_at = expires_at(self._now, answer.get("expires_in"))
                channel.token_refreshed_at = self._now
                channel.token_error = ""
                # A platform fact, not a desk decision: no audit event (like the x_user_id cache).
                channel.save(update_fields=["credentials_encrypted", "refresh_encrypted",
                                            "token_expires_at", "token_refreshed_at",
                                            "token_error"])
                self._expires_at = channel.token_expires_at
                return access
        self._renewable = False
        raise failure
