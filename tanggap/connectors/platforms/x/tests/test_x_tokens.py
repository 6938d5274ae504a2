"""Renewing X OAuth 2.0 user tokens (platforms/x/tokens.py): before expiry, after a 401, with two
workers at once, and a refused refresh token. All through FakeAPI; time is passed in."""

import base64
import logging
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from django.db import connections

from tanggap.connectors.actions.channels import replace_channel_token
from tanggap.connectors.crypto import decrypt_secret
from tanggap.connectors.http import TransportError
from tanggap.connectors.models import ChannelAccount, PollCursor
from tanggap.connectors.platforms.x.tokens import XAuth, open_refresh
from tanggap.connectors.polling import poll_x_mentions
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    pending_reply,
)
from tanggap.workspaces.actions.members import add_member

ME = "1500000000000000000"
NOW = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
TOKEN_PATH = "/2/oauth2/token"
# X's answer to a refresh ([X-OAUTH] step 5 returns the same shape as the code exchange).
RENEWED = {"token_type": "bearer", "expires_in": 7200, "access_token": "x-access-2",
           "scope": "tweet.read tweet.write users.read dm.read dm.write offline.access",
           "refresh_token": "x-refresh-2"}
# What X answers a spent or revoked refresh token ([S-CODE]: invalid_request, not invalid_grant).
SPENT = {"error": "invalid_request",
         "error_description": "Value passed for the token was invalid."}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401,
                "detail": "Unauthorized"}
SECRETS = ("x-access-1", "x-refresh-1", "x-access-2", "x-refresh-2", "city-secret")


@pytest.fixture(autouse=True)
def _x_app(settings):
    settings.X_CLIENT_ID = "deployment-app"


def _channel(desk, *, expires_in=None, **extra):
    return add_proven_channel(workspace=desk.bpn, platform="x", handle="PemkotBPNreal", now=NOW,
                       token="x-access-1", refresh_token="x-refresh-1", expires_in=expires_in,
                       **extra)


def _bearers(api, method, path):
    return [r.headers["authorization"] for r in api.calls(method, path)]


def _forms(api):
    return [parse_qs(r.content.decode()) for r in api.calls("POST", TOKEN_PATH)]


def _api(*token_answers):
    answers = [a if isinstance(a, httpx.Response) or callable(a) else httpx.Response(200, json=a)
               for a in token_answers]
    return FakeAPI().on("POST", TOKEN_PATH, *answers).on(
        "GET", "/2/users/me", {"data": {"id": ME}}).on(
        "GET", f"/2/users/{ME}/mentions", {"meta": {"result_count": 0}})


def test_a_token_expiring_within_the_margin_is_renewed_before_the_poll(desk):
    # 4 minutes left, margin 5: renewed first, and every call of the poll uses the new token.
    channel = _channel(desk, expires_in=3600)
    api = _api(RENEWED)
    later = NOW + timedelta(minutes=56)
    assert poll_x_mentions(channel_id=channel.pk, now=later, http=api.http()).status == "ok"
    # (The account id was proven when the channel was connected: no /2/users/me.)
    assert [r.url.path for r in api.requests] == [TOKEN_PATH, f"/2/users/{ME}/mentions"]
    assert _forms(api) == [{"grant_type": ["refresh_token"], "refresh_token": ["x-refresh-1"],
                            "client_id": ["deployment-app"]}]
    # A public client names itself in the body and sends no Basic header ([X-OAUTH]).
    assert "authorization" not in api.calls("POST", TOKEN_PATH)[0].headers
    assert _bearers(api, "GET", f"/2/users/{ME}/mentions") == ["Bearer x-access-2"]
    channel = ChannelAccount.objects.get(pk=channel.pk)
    # The rotated refresh token is stored with the access token.
    assert (decrypt_secret(channel.credentials_encrypted), open_refresh(channel.refresh_encrypted),
            channel.token_expires_at, channel.token_refreshed_at) == (
        "x-access-2", {"refresh_token": "x-refresh-2", "client_id": "", "client_secret": ""},
        later + timedelta(seconds=7200), later)


def test_a_token_outside_the_margin_is_not_renewed(desk):
    channel = _channel(desk, expires_in=3600)
    api = _api(RENEWED)
    poll_x_mentions(channel_id=channel.pk, now=NOW + timedelta(minutes=54), http=api.http())
    assert (api.calls("POST", TOKEN_PATH), _bearers(api, "GET", f"/2/users/{ME}/mentions")) == (
        [], ["Bearer x-access-1"])


def test_a_401_on_a_reply_renews_once_with_the_channels_own_app_and_sends_again(desk):
    # A pasted token with unknown lifetime: only X's 401 says it has expired.
    channel = _channel(desk, client_id="city-app", client_secret="city-secret")
    message = pending_reply(desk, channel, external_id="1862000000000000003",
                            thread_id="conv:1862000000000000003", author_id="2244994945",
                            platform_created_at=NOW, now=NOW)
    api = _api(RENEWED).on("POST", "/2/tweets", httpx.Response(401, json=UNAUTHORIZED),
                           {"data": {"id": "1862000000000000099", "text": message.text}})
    outcome, waits = deliver_until_done(message.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "1862000000000000099")
    assert _bearers(api, "POST", "/2/tweets") == ["Bearer x-access-1", "Bearer x-access-2"]
    # A confidential client authenticates with HTTP Basic; its id stays out of the body.
    [token_call] = api.calls("POST", TOKEN_PATH)
    assert token_call.headers["authorization"] == "Basic " + base64.b64encode(
        b"city-app:city-secret").decode()
    assert _forms(api) == [{"grant_type": ["refresh_token"], "refresh_token": ["x-refresh-1"]}]
    assert open_refresh(ChannelAccount.objects.get(pk=channel.pk).refresh_encrypted) == {
        "refresh_token": "x-refresh-2", "client_id": "city-app", "client_secret": "city-secret"}


def test_a_second_401_after_renewing_is_not_renewed_again(desk):
    channel = _channel(desk)
    auth = XAuth(_api(RENEWED, RENEWED).http(), channel=channel, now=NOW)
    seen = []

    def always_401(token):
        seen.append(token)
        raise TransportError("HTTP 401", permanent=True, status=401)

    with pytest.raises(TransportError) as refused:
        auth.call(always_401)
    with pytest.raises(TransportError):
        auth.call(always_401)
    assert (refused.value.status, seen) == (401, ["x-access-1", "x-access-2", "x-access-2"])
    assert open_refresh(ChannelAccount.objects.get(pk=channel.pk).refresh_encrypted)[
        "refresh_token"] == "x-refresh-2"


def test_two_workers_renew_once_and_the_second_uses_the_stored_token(desk):
    # Both loaded the channel while it held x-access-1. Whoever gets the row lock second finds
    # a different token stored and must not spend x-refresh-1 again (X rotates refresh tokens).
    channel = _channel(desk, expires_in=120)
    api = _api(RENEWED, httpx.Response(400, json=SPENT))
    first = XAuth(api.http(), channel=channel, now=NOW)
    second = XAuth(api.http(), channel=channel, now=NOW)
    after_401 = XAuth(api.http(), channel=ChannelAccount.objects.get(pk=channel.pk),
                      now=NOW - timedelta(hours=1))  # loaded when the token looked fresh
    assert first.token() == "x-access-2"
    assert second.token() == "x-access-2"

    def expired_for_old(token):
        if token == "x-access-1":
            raise TransportError("HTTP 401", permanent=True, status=401)
        return token

    assert after_401.call(expired_for_old) == "x-access-2"
    assert _forms(api) == [{"grant_type": ["refresh_token"], "refresh_token": ["x-refresh-1"],
                            "client_id": ["deployment-app"]}]


def test_a_refused_refresh_token_marks_the_channel_and_is_not_tried_again(desk):
    channel = _channel(desk, expires_in=60)
    api = _api(httpx.Response(400, json=SPENT)).on(
        "GET", f"/2/users/{ME}/mentions", httpx.Response(401, json=UNAUTHORIZED))
    result = poll_x_mentions(channel_id=channel.pk, now=NOW, http=api.http())
    error = ("token_refresh_failed: X refused the refresh token on 2026-11-28T05:00:00+00:00 "
             "(HTTP 400 code invalid_request: Value passed for the token was invalid.); save a "
             "new "
             "token for this channel")
    assert (result.status, result.error) == ("error", error)
    channel = ChannelAccount.objects.get(pk=channel.pk)
    assert (channel.token_failed_at, channel.token_error) == (
        NOW, "HTTP 400 code invalid_request: Value passed for the token was invalid.")
    assert PollCursor.objects.get(channel=channel).last_error == error

    # Later polls try the access token (X answers 401) but never the dead refresh token.
    later = NOW + timedelta(minutes=2)
    assert poll_x_mentions(channel_id=channel.pk, now=later, http=api.http()).error == error
    assert (len(api.calls("POST", TOKEN_PATH)),
            _bearers(api, "GET", f"/2/users/{ME}/mentions")) == (1, ["Bearer x-access-1"])

    # A new token from the admin clears the mark; renewing works again.
    adi = add_member(workspace=desk.bpn, username="adi", role="admin", password="kata-sandi-uji",
                     now=later).user
    replace_channel_token(channel_id=channel.pk, actor=adi, token="x-access-3",
                          refresh_token="x-refresh-3", expires_in=7200, now=later,
                          http=_api().http())
    channel = ChannelAccount.objects.get(pk=channel.pk)
    assert (channel.token_failed_at, channel.token_error, channel.token_expires_at) == (
        None, "", later + timedelta(hours=2))


def test_tokens_reach_no_log_no_error_and_no_audit_event(desk):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    # Every logger at DEBUG (LOGGING caps httpx at WARNING), so a token in any record is caught.
    handler, root, loud = Keep(level=logging.DEBUG), logging.getLogger(), ("", "httpx", "tanggap")
    old_levels = [logging.getLogger(name).level for name in loud]
    root.addHandler(handler)
    for name in loud:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        channel = _channel(desk, expires_in=60, client_id="city-app", client_secret="city-secret")
        api = _api(RENEWED).on("GET", f"/2/users/{ME}/mentions",
                               httpx.Response(401, json=UNAUTHORIZED))
        poll_x_mentions(channel_id=channel.pk, now=NOW, http=api.http())
        second = _api(httpx.Response(400, json=SPENT))
        second.on("GET", f"/2/users/{ME}/mentions", httpx.Response(401, json=UNAUTHORIZED))
        poll_x_mentions(channel_id=channel.pk, now=NOW, http=second.http())
    finally:
        root.removeHandler(handler)
        for name, level in zip(loud, old_levels, strict=True):
            logging.getLogger(name).setLevel(level)
    from tanggap.audit.models import AuditEvent

    channel = ChannelAccount.objects.get(pk=channel.pk)
    cursor = PollCursor.objects.get(channel=channel)
    said = [r.getMessage() for r in records] + [
        channel.token_error, cursor.last_error, str(channel.options)] + [
        f"{e.before} {e.after}" for e in AuditEvent.objects.all()]
    assert len(api.calls("POST", TOKEN_PATH)) + len(second.calls("POST", TOKEN_PATH)) == 2
    # httpx logs each request ("HTTP Request: POST .../2/oauth2/token ..."). Connecting: the
    # proof (/2/users/me). Poll 1: renew, mentions 401 (just renewed: not again). Poll 2:
    # mentions 401, renew refused.
    assert [r.name for r in records].count("httpx") == 5
    assert [s for s in said for secret in SECRETS if secret in s] == []


@pytest.mark.django_db(transaction=True)
def test_a_renewal_holds_no_database_lock_while_x_answers(tx_desk):
    # Each worker on its own database connection. While A waits for X's answer: no transaction
    # is open on A's connection, another writer commits at once (on SQLite a held write lock
    # would block it), and B, which needs a renewal too, is told to try again without waiting
    # and without spending the refresh token a second time (X rotates it). Once A has stored
    # the new pair, B uses it without calling X.
    channel = _channel(tx_desk, expires_in=120)
    a_in_call, release_a = threading.Event(), threading.Event()
    seen_in_call: dict[str, object] = {}

    def slow_renewal(request):
        seen_in_call["a_in_transaction"] = connections["default"].in_atomic_block
        a_in_call.set()
        assert release_a.wait(timeout=60)
        return httpx.Response(200, json=RENEWED)

    api = _api(slow_renewal, httpx.Response(400, json=SPENT))
    results: dict[str, object] = {}

    def in_thread(name, fn):
        try:
            results[name] = fn()
        except TransportError as exc:
            results[name] = exc.code
        finally:
            connections.close_all()

    def run(name, fn):
        thread = threading.Thread(target=in_thread, args=(name, fn))
        thread.start()
        return thread

    first = run("a", lambda: XAuth(api.http(), channel=channel, now=NOW).token())
    assert a_in_call.wait(timeout=60)
    lease = ChannelAccount.objects.get(pk=channel.pk).token_renewal_until
    run("write", lambda: ChannelAccount.objects.filter(pk=channel.pk).update(
        name="Pemkot Balikpapan")).join()
    run("b", lambda: XAuth(api.http(), channel=channel, now=NOW).token()).join()
    release_a.set()
    first.join()
    run("b again", lambda: XAuth(api.http(), channel=channel, now=NOW).token()).join()
    assert (seen_in_call, lease) == ({"a_in_transaction": False}, NOW + timedelta(seconds=34))
    assert results == {"a": "x-access-2", "write": 1, "b": "x_token_renewing",
                       "b again": "x-access-2"}
    assert len(api.calls("POST", TOKEN_PATH)) == 1
    channel = ChannelAccount.objects.get(pk=channel.pk)
    assert (channel.token_failed_at, channel.token_renewal_until,
            open_refresh(channel.refresh_encrypted)["refresh_token"]) == (None, None, "x-refresh-2")


def test_a_lease_left_by_a_worker_that_died_lapses(desk):
    channel = _channel(desk, expires_in=120)
    ChannelAccount.objects.filter(pk=channel.pk).update(
        token_renewal_until=NOW + timedelta(seconds=10))
    api = _api(RENEWED)
    with pytest.raises(TransportError) as refused:
        XAuth(api.http(), channel=channel, now=NOW).token()
    assert (refused.value.code, refused.value.permanent, api.requests) == (
        "x_token_renewing", False, [])
    later = NOW + timedelta(seconds=11)
    assert XAuth(api.http(), channel=channel, now=later).token() == "x-access-2"
    assert ChannelAccount.objects.get(pk=channel.pk).token_renewal_until is None


def test_an_admins_new_token_saved_during_the_call_wins(desk):
    channel = _channel(desk, expires_in=120)
    adi = add_member(workspace=desk.bpn, username="adi", role="admin", password="kata-sandi-uji",
                     now=NOW).user

    def admin_saves_meanwhile(request):
        replace_channel_token(channel_id=channel.pk, actor=adi, token="x-access-admin",
                              refresh_token="x-refresh-admin", expires_in=7200, now=NOW,
                              http=_api().http())
        return httpx.Response(200, json=RENEWED)

    api = _api(admin_saves_meanwhile)
    assert XAuth(api.http(), channel=channel, now=NOW).token() == "x-access-admin"
    channel = ChannelAccount.objects.get(pk=channel.pk)
    assert (decrypt_secret(channel.credentials_encrypted),
            open_refresh(channel.refresh_encrypted)["refresh_token"]) == (
        "x-access-admin", "x-refresh-admin")


def test_a_transient_failure_of_the_token_call_frees_the_lease(desk):
    channel = _channel(desk, expires_in=120)
    api = _api(httpx.Response(503, json={"title": "Service Unavailable"}))
    with pytest.raises(TransportError) as failed:
        XAuth(api.http(), channel=channel, now=NOW).token()
    assert failed.value.status == 503
    channel = ChannelAccount.objects.get(pk=channel.pk)
    assert (channel.token_renewal_until, channel.token_failed_at) == (None, None)
