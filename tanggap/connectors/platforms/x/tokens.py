"""Keeping an X channel's OAuth 2.0 user access token alive (it lasts 2 hours, [X-OAUTH]).

`XAuth` hands the token to each X call of one unit of work (a poll, a send): it renews the token
when it expires within X_TOKEN_REFRESH_MARGIN_SECONDS, and after a 401 renews it once and
retries the call once. A renewal is POST /2/oauth2/token with grant_type=refresh_token.

X rotates refresh tokens: each one works once ([S-CODE], not in X's docs). So one worker at a
time may spend it, and the new pair must never be lost; yet no database lock may be held while X
answers (on SQLite a transaction holds the write lock of every writer). So a renewal:

  1. claims the channel's renewal lease (`token_renewal_until`) with one conditional UPDATE, only
     if the stored refresh token is still the one it read and no live lease exists (0 rows:
     another worker renews right now; this unit of work fails as "try again later" without
     calling X, or uses the new token if that worker has already stored it);
  2. calls X with no transaction open;
  3. stores the new access AND refresh token with one UPDATE conditioned on the refresh token it
     spent (compare-and-set), which also frees the lease. Only an admin saving a new token in
     between makes that UPDATE miss: then the admin's token is the live one.

A refusal (400) is recorded the same way, conditioned on the spent refresh token, so a stale
worker cannot mark a channel whose token was renewed meanwhile. The lease lapses by itself after
RENEWAL_LEASE (twice the HTTP timeout, plus a margin) if its worker dies mid-call.

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
from django.db.models import Q

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


def renewal_lease() -> timedelta:
    """How long a renewal may hold the channel's lease: its token call may take up to the HTTP
    timeout (connect and read), and a worker that died mid-call must not block renewals long."""
    return timedelta(seconds=2 * settings.CONNECTORS_HTTP_TIMEOUT_SECONDS + 30)


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

    def _unchanged(self, spent: str):
        """The channel, if its refresh token is still the one we are spending."""
        return ChannelAccount.objects.filter(pk=self._channel_id, refresh_encrypted=spent)

    def _claim_lease(self, spent: str) -> bool:
        free = Q(token_renewal_until__isnull=True) | Q(token_renewal_until__lt=self._now)
        return self._unchanged(spent).filter(free).update(
            token_renewal_until=self._now + renewal_lease()) == 1

    def _renewed_elsewhere(self, spent: str) -> str:
        """Our claim or our save missed: use the token another worker or an admin stored, or,
        while another worker's call is still open, fail this unit of work for now."""
        channel = ChannelAccount.objects.get(pk=self._channel_id)
        if channel.refresh_encrypted != spent and channel.credentials_encrypted:
            try:
                token = decrypt_secret(channel.credentials_encrypted)
            except CredentialsUnreadable as exc:
                raise TransportError(f"credentials_unreadable: {exc}", permanent=True,
                                     code="credentials_unreadable") from None
            self._expires_at = channel.token_expires_at
            return token
        raise TransportError("x_token_renewing: another worker is renewing this channel's "
                             "token; the next attempt uses the new one", permanent=False,
                             code="x_token_renewing")

    def _renew(self, *, holding: str, after_401: bool) -> str:
        channel = ChannelAccount.objects.get(pk=self._channel_id)
        try:
            stored = decrypt_secret(channel.credentials_encrypted)
            secrets = open_refresh(channel.refresh_encrypted) if channel.refresh_encrypted \
                else None
        except CredentialsUnreadable as exc:
            raise TransportError(f"credentials_unreadable: {exc}", permanent=True,
                                 code="credentials_unreadable") from None
        # Another worker renewed (or an admin saved a new token) since we read the channel: its
        # token is the live one, and our refresh token is already spent.
        if stored != holding or (not after_401 and not self._expiring(channel.token_expires_at)):
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
        spent = channel.refresh_encrypted
        if not self._claim_lease(spent):
            return self._renewed_elsewhere(spent)
        form = {"grant_type": "refresh_token", "refresh_token": secrets["refresh_token"]}
        # Confidential clients authenticate with HTTP Basic; public clients name themselves in
        # the body ([X-OAUTH], user-access-token step 5).
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
                self._unchanged(spent).update(token_renewal_until=None)
                raise
            # 400 (invalid_grant, or X's invalid_request "Value passed for the token was
            # invalid"): the refresh token is dead.
            error = exc.message[:500]
            self._unchanged(spent).update(token_failed_at=self._now, token_error=error,
                                          token_renewal_until=None)
            failure = TransportError(refresh_failed_message(self._now, error), permanent=True,
                                     status=401, code=REFRESH_FAILED)
        else:
            access = str(answer.get("access_token") or "")
            if not access:
                self._unchanged(spent).update(token_renewal_until=None)
                raise TransportError("X answered the token refresh without an access_token",
                                     permanent=False, ambiguous=True)
            expires = expires_at(self._now, answer.get("expires_in"))
            # The rotated refresh token is stored with the access token, or the next renewal
            # spends a dead one; an answer without one keeps ours (RFC 6749 6). A platform
            # fact, not a desk decision: no audit event (like the x_user_id cache).
            saved = self._unchanged(spent).update(
                credentials_encrypted=encrypt_secret(access),
                refresh_encrypted=seal_refresh(
                    refresh_token=str(answer.get("refresh_token") or secrets["refresh_token"]),
                    client_id=secrets["client_id"], client_secret=secrets["client_secret"]),
                token_expires_at=expires, token_refreshed_at=self._now, token_error="",
                token_renewal_until=None)
            if not saved:
                # An admin saved a new token while X answered: theirs is the live one.
                return self._renewed_elsewhere(spent)
            self._expires_at = expires
            return access
        self._renewable = False
        raise failure
