from datetime import timedelta

from django.utils import timezone

from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.platforms.base import InboundMessage
from tanggap.connectors.platforms.instagram.client import hide_comment
from tanggap.connectors.platforms.meta import parse_payload
from tanggap.connectors.testing.fakes import FakeAPI, add_proven_channel, fixture, pending_reply

IG = "17841400000000001"


def _channel(desk, now, **options):
    channel = add_proven_channel(workspace=desk.bpn, platform="instagram", handle=IG, now=now,
                          token="IGQ-token")
    channel.options = options
    channel.save(update_fields=["options"])
    return channel


def test_comment_in_both_documented_shapes():
    [login] = parse_payload(fixture("instagram", "comments_instagram_login"))
    assert login == InboundMessage(
        platform="instagram", account_id=IG, external_id="17865799348089039",
        author_id="1234567890123456", author_name="warga_bpn",
        text="Kapan jalan MT Haryono selesai diperbaiki min?", thread_id="media:18023344556677889")
    [facebook_login] = parse_payload(fixture("instagram", "comments_facebook_login"))
    assert (facebook_login.external_id, facebook_login.author_name, facebook_login.thread_id) == (
        "17865799348089040", "ibu_sari", "media:18023344556677889")


def test_mention_and_direct_message():
    [mention] = parse_payload(fixture("instagram", "mentions"))
    assert (mention.external_id, mention.text) == (
        "mention:17894227972186120",
        "[disebut dalam komentar 17894227972186120 pada media 17918195224117851]")
    [dm] = parse_payload(fixture("instagram", "messages"))
    assert (dm.author_id, dm.thread_id, dm.text, dm.attachments) == (
        "987654321098765", "dm", "Min, lampu PJU di Jl. Syarifuddin Yoes mati",
        [{"type": "image", "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}])


def test_comment_reply_and_direct_reply(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    comment = pending_reply(desk, channel, external_id="1786", thread_id="media:180",
                            author_id="123", platform_created_at=now, now=now)
    dm = pending_reply(desk, channel, external_id="mid.1", thread_id="dm", author_id="987",
                       platform_created_at=now - timedelta(hours=2), now=now, text="Balasan DM")
    api = FakeAPI().on("POST", "/1786/replies", {"id": "REPLY"}).on(
        "POST", "/me/messages", {"recipient_id": "987", "message_id": "mid.out"})
    assert deliver_message_now(message_id=comment.pk, now=now, http=api.http()).external_id == "REPLY"
    assert deliver_message_now(message_id=dm.pk, now=now, http=api.http()).external_id == "mid.out"
    assert api.bodies("POST", "/1786/replies") == [{"message": comment.text}]
    assert api.bodies("POST", "/me/messages") == [
        {"recipient": {"id": "987"}, "message": {"text": "Balasan DM"}, "messaging_type": "RESPONSE"}]
    assert str(api.requests[0].url).startswith("http://127.0.0.1:9/v26.0/")


def test_instagram_login_accounts_use_graph_instagram(desk, settings):
    settings.INSTAGRAM_GRAPH_BASE_URL = "http://ig.test"
    now = timezone.now()
    channel = _channel(desk, now, api="instagram")
    comment = pending_reply(desk, channel, external_id="1786", thread_id="media:180",
                            author_id="123", platform_created_at=now, now=now)
    api = FakeAPI().on("POST", "/1786/replies", {"id": "REPLY"})
    deliver_message_now(message_id=comment.pk, now=now, http=api.http())
    assert str(api.requests[0].url) == "http://ig.test/v26.0/1786/replies"


def test_hide_comment_call(desk):
    channel = _channel(desk, timezone.now())
    api = FakeAPI().on("POST", "/1786", {"success": True})
    hide_comment(api.http(), channel=channel, token="t", comment_id="1786", hidden=True)
    assert api.requests[0].url.params["hide"] == "true"
