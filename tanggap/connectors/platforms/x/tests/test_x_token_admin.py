"""Saving an X refresh token: `tanggap channel add --token-stdin` (plain or JSON) and the
channel page; what admins see of it (never a token), and `poll_x --status`."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from tanggap.audit.models import AuditEvent
from tanggap.connectors.crypto import decrypt_secret
from tanggap.connectors.models import ChannelAccount
from tanggap.connectors.platforms.x.tokens import open_refresh

# X's answer to the code exchange, piped as is ([X-OAUTH]; scope and token_type are ignored).
X_ANSWER = ('{"token_type": "bearer", "expires_in": 7200, "access_token": "x-access-1",\n'
            ' "scope": "tweet.read offline.access", "refresh_token": "x-refresh-1"}\n')
NOW = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)


ME = "1500000000000000000"


@pytest.fixture(autouse=True)
def _x(fake_platform):
    # The tokens these tests paste belong to the account they name.
    for token in ("x-access-1", "x-access-plain"):
        fake_platform.grant(token, "x", ME, name="PemkotBPNreal")
    for token in ("x-access-2", "x-access-3"):
        fake_platform.grant(token, "x", ME, name="PemkotBPN")
    return fake_platform


def _add(stdin: str, *extra: str) -> str:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        call_command("channel", "add", "bpn", "--platform", "x", "--handle", "PemkotBPNreal",
                     "--token-stdin", *extra, stdout=out)
    return out.getvalue()


def test_cli_takes_xs_token_answer_as_json(desk):
    out = _add(X_ANSWER)
    channel = ChannelAccount.objects.get(handle="PemkotBPNreal")
    assert out == f"added x channel PemkotBPNreal {channel.pk}\n"
    assert (decrypt_secret(channel.credentials_encrypted), open_refresh(channel.refresh_encrypted)
            ) == ("x-access-1", {"refresh_token": "x-refresh-1", "client_id": "",
                                 "client_secret": ""})
    # The lifetime counts from the save (the command reads the clock once for both).
    assert channel.token_expires_at - channel.created_at == timedelta(seconds=7200)
    event = AuditEvent.objects.get(action="channel.added", object_id=str(channel.pk))
    assert event.after == {"platform": "x", "handle": "PemkotBPNreal", "has_credentials": True,
                           "account_id": ME, "verified": True, "has_refresh_token": True}


def test_cli_keeps_the_plain_token_on_the_first_line(desk):
    _add("x-access-plain\nignored second line\n")
    channel = ChannelAccount.objects.get(handle="PemkotBPNreal")
    assert (decrypt_secret(channel.credentials_encrypted), channel.refresh_encrypted,
            channel.token_expires_at) == ("x-access-plain", "", None)


@pytest.mark.parametrize(("stdin", "error"), [
    ('{"access_token": "x-access-1", ', "stdin starts with { but is not a JSON object"),
    ('{"refresh_token": "x-refresh-1"}', "the JSON on stdin has no access_token"),
])
def test_cli_refuses_bad_json_without_echoing_it(desk, stdin, error):
    with pytest.raises(CommandError) as refused:
        _add(stdin)
    assert str(refused.value) == error
    assert not ChannelAccount.objects.filter(handle="PemkotBPNreal").exists()


def test_cli_refuses_a_refresh_token_for_another_platform(desk):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(X_ANSWER))
        with pytest.raises(CommandError) as refused:
            call_command("channel", "add", "bpn", "--platform", "facebook", "--handle", "1045",
                         "--token-stdin")
    assert (str(refused.value), ChannelAccount.objects.filter(handle="1045").exists()) == (
        "Token penyegaran hanya dipakai untuk X.", False)


def test_admin_saves_a_refresh_token_and_app_pair_and_sees_none_of_them(desk, admin):
    channel_id = desk.x.pk
    ChannelAccount.objects.filter(pk=channel_id).update(simulated=False)
    assert admin.post(f"/w/bpn/channels/{channel_id}/token", {
        "token": "x-access-2", "refresh_token": "x-refresh-1", "expires_in": "7200",
        "client_id": "city-app", "client_secret": "city-secret"}).status_code == 302
    channel = ChannelAccount.objects.get(pk=channel_id)
    assert open_refresh(channel.refresh_encrypted) == {
        "refresh_token": "x-refresh-1", "client_id": "city-app", "client_secret": "city-secret"}
    # Empty client fields keep the saved pair: the city pastes only the new tokens.
    admin.post(f"/w/bpn/channels/{channel_id}/token",
               {"token": "x-access-3", "refresh_token": "x-refresh-2", "expires_in": ""})
    channel = ChannelAccount.objects.get(pk=channel_id)
    assert (open_refresh(channel.refresh_encrypted), channel.token_expires_at) == (
        {"refresh_token": "x-refresh-2", "client_id": "city-app", "client_secret": "city-secret"},
        None)
    page = admin.get("/w/bpn/channels/").content.decode()
    assert 'name="refresh_token"' in page and 'class="token-renewal"' in page
    assert [s for s in ("x-access", "x-refresh", "city-secret") if s in page] == []


def test_a_refused_renewal_is_on_the_page_and_in_poll_x_status(desk, admin):
    error = "HTTP 400 code invalid_request: Value passed for the token was invalid."
    ChannelAccount.objects.filter(pk=desk.x.pk).update(
        simulated=False, token_failed_at=NOW, token_error=error)
    page = admin.get("/w/bpn/channels/").content.decode()
    assert 'class="error token-failed"' in page and "28 Nov 2026" in page and error in page
    out = io.StringIO()
    call_command("poll_x", "--status", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "x PemkotBPN token: RENEWAL REFUSED on 2026-11-28T05:00:00+00:00 (not tried again until "
        f"a new token is saved): {error}")
