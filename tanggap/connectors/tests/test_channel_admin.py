"""/w/<slug>/channels/: workspace admins connect accounts; everyone else is turned away."""

import logging
from datetime import UTC, datetime

import pytest

from tanggap.audit.models import AuditEvent
from tanggap.connectors.crypto import decrypt_secret
from tanggap.connectors.models import ChannelAccount, PollCursor

TOKEN = "EAAG-sangat-rahasia-0123456789"


def _login(persona):
    persona.client.force_login(persona.user)
    return persona.client


def _state():
    return (list(ChannelAccount.objects.order_by("pk").values_list(
        "handle", "credentials_encrypted", "options")), AuditEvent.objects.count())


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


PAGE = "104512345678901"
X_ME = "1500000000000000000"


@pytest.fixture(autouse=True)
def _accounts(fake_platform):
    # The tokens these tests paste control the accounts they name.
    fake_platform.grant(TOKEN, "facebook", PAGE, name="Pemkot Balikpapan")
    fake_platform.grant("EAAG-fb-1045", "facebook", "1045", name="Kelurahan")
    fake_platform.grant("EAAG-wa", "whatsapp", "106540352242922", name="Pemkot Balikpapan")
    fake_platform.grant("x-token", "x", X_ME, name="PemkotBPN")
    return fake_platform


def test_admin_connects_a_facebook_page_with_a_token(desk, admin):
    logged = _Records()
    root = logging.getLogger()
    root.addHandler(logged)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        _connect_and_look(desk, admin)
    finally:
        root.removeHandler(logged)
        root.setLevel(level)
    assert not [line for line in logged.lines if TOKEN in line]


def _connect_and_look(desk, admin):
    response = admin.post("/w/bpn/channels/add", {
        "platform": "facebook", "handle": PAGE, "name": "Pemkot", "token": TOKEN})
    assert (response.status_code, response["Location"]) == (302, "/w/bpn/channels/")
    channel = ChannelAccount.objects.get(handle="104512345678901")
    assert (channel.workspace, channel.platform, channel.name) == (desk.bpn, "facebook", "Pemkot")
    assert decrypt_secret(channel.credentials_encrypted) == TOKEN
    event = AuditEvent.objects.filter(action="channel.added").latest("id")
    assert event.actor.username == "adi"
    assert event.after == {"platform": "facebook", "handle": PAGE, "has_credentials": True,
                           "account_id": PAGE, "verified": True}
    assert (channel.account_id, channel.verified_at) == (PAGE, event.created_at)
    page = admin.get("/w/bpn/channels/").content.decode()
    assert "Kanal ditambahkan." in page
    assert "104512345678901" in page
    assert TOKEN not in page and channel.credentials_encrypted not in page


def test_admin_replaces_a_token_without_seeing_it(desk, admin):
    channel_id = desk.x.pk
    ChannelAccount.objects.filter(pk=channel_id).update(simulated=False)
    assert admin.post(f"/w/bpn/channels/{channel_id}/token",
                      {"token": "x-token"}).status_code == 302
    channel = ChannelAccount.objects.get(pk=channel_id)
    assert decrypt_secret(channel.credentials_encrypted) == "x-token"
    # X confirmed the token is @PemkotBPN's: the account's id is now known and verified.
    assert (channel.account_id, channel.options) == (X_ME, {"x_user_id": X_ME})
    event = AuditEvent.objects.get(action="channel.credentials_replaced")
    assert (event.before, event.after) == (
        {"has_credentials": False, "has_refresh_token": False},
        {"has_credentials": True, "verified": True, "has_refresh_token": False})
    assert "x-token" not in str(event.before) + str(event.after)
    admin.post(f"/w/bpn/channels/{channel_id}/token", {"token": "  "})
    assert "Tempelkan token akses." in admin.get("/w/bpn/channels/").content.decode()
    assert decrypt_secret(ChannelAccount.objects.get(pk=channel_id).credentials_encrypted) == (
        "x-token")


def test_admin_sets_whatsapp_template_and_human_agent(desk, admin):
    admin.post("/w/bpn/channels/add", {"platform": "whatsapp", "handle": "106540352242922",
                                       "token": "EAAG-wa"})
    admin.post("/w/bpn/channels/add", {"platform": "facebook", "handle": "1045",
                                       "token": "EAAG-fb-1045"})
    wa = ChannelAccount.objects.get(handle="106540352242922")
    fb = ChannelAccount.objects.get(handle="1045")
    ChannelAccount.objects.filter(pk=fb.pk).update(options={"x_user_id": "kept"})
    admin.post(f"/w/bpn/channels/{wa.pk}/options", {
        "whatsapp_template": "balasan_aduan", "whatsapp_template_language": "id",
        "human_agent": "on"})  # not a WhatsApp option: ignored
    admin.post(f"/w/bpn/channels/{fb.pk}/options", {"human_agent": "on"})
    assert ChannelAccount.objects.get(pk=wa.pk).options == {
        "whatsapp_reply_template": {"name": "balasan_aduan", "language": "id"}}
    assert ChannelAccount.objects.get(pk=fb.pk).options == {"x_user_id": "kept",
                                                           "human_agent": True}
    events = AuditEvent.objects.filter(action="channel.options_changed").order_by("id")
    assert [(e.before, e.after) for e in events] == [
        ({}, {"whatsapp_reply_template": {"name": "balasan_aduan", "language": "id"}}),
        ({"x_user_id": "kept"}, {"x_user_id": "kept", "human_agent": True})]
    # The same options again change nothing and record nothing.
    admin.post(f"/w/bpn/channels/{fb.pk}/options", {"human_agent": "on"})
    assert AuditEvent.objects.filter(action="channel.options_changed").count() == 2


def test_list_shows_x_budget_and_last_activity(desk, admin):
    reset = datetime(2026, 11, 28, 5, 15, tzinfo=UTC)
    PollCursor.objects.create(channel=desk.x, rate_limit=300, rate_remaining=287,
                              rate_reset_at=reset, calls_made=13, posts_read=40,
                              last_polled_at=datetime(2026, 11, 28, 5, 1, tzinfo=UTC))
    page = admin.get("/w/bpn/channels/").content.decode()
    assert "287/300" in page
    assert "total 13 panggilan, 40 postingan dibaca" in page
    assert 'datetime="2026-11-28T05:01:00+00:00"' in page


@pytest.mark.parametrize("who", ["ani", "sari", "audi"])
def test_other_members_get_403_and_nothing_changes(desk, who):
    client = _login(getattr(desk, who))
    before = _state()
    assert client.get("/w/bpn/channels/").status_code == 403
    assert client.post("/w/bpn/channels/add", {"platform": "x", "handle": "h"}).status_code == 403
    assert client.post(f"/w/bpn/channels/{desk.x.pk}/token", {"token": TOKEN}).status_code == 403
    assert client.post(f"/w/bpn/channels/{desk.x.pk}/options",
                       {"human_agent": "on"}).status_code == 403
    assert _state() == before


def test_outsider_gets_404_and_nothing_changes(desk):
    client = _login(desk.luar)
    before = _state()
    assert client.get("/w/bpn/channels/").status_code == 404
    assert client.post("/w/bpn/channels/add", {"platform": "x", "handle": "h"}).status_code == 404
    assert client.post(f"/w/bpn/channels/{desk.x.pk}/token", {"token": TOKEN}).status_code == 404
    # Through their own workspace's URL, another workspace's channel is still not found.
    assert client.post(f"/w/dlh/channels/{desk.x.pk}/token", {"token": TOKEN}).status_code in (
        403, 404)
    assert _state() == before


def test_anonymous_is_sent_to_login(client, desk):
    response = client.get("/w/bpn/channels/")
    assert (response.status_code, response["Location"]) == (
        302, "/login/?next=/w/bpn/channels/")


def test_list_shows_a_dm_refusal_and_the_dm_budget(desk, admin):
    refused_at = datetime(2026, 11, 28, 5, 2, tzinfo=UTC)
    PollCursor.objects.create(channel=desk.x, dm_refused_at=refused_at,
                              dm_error="dm_not_allowed: X refused Direct Messages")
    page = admin.get("/w/bpn/channels/").content.decode()
    # Shown in the desk's time zone (WITA), in the desk's language.
    assert ("Pesan langsung ditolak X pada 28 Nov 2026 13:02; tidak diminta lagi sampai "
            "X_DM_RECHECK_HOURS berlalu atau token baru disimpan: "
            "dm_not_allowed: X refused Direct Messages") in " ".join(page.split())

    PollCursor.objects.filter(channel=desk.x).update(
        dm_refused_at=None, dm_error="", dm_last_polled_at=refused_at, dm_rate_limit=15,
        dm_rate_remaining=12, dm_events_read=7)
    page = admin.get("/w/bpn/channels/").content.decode()
    assert "Pesan langsung: sisa 12/15 panggilan, total 7 pesan langsung dibaca" in " ".join(
        page.split())
