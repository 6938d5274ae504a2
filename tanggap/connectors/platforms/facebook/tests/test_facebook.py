from datetime import timedelta

import httpx
from django.utils import timezone

from tanggap.cases.models import Message
from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.models import Outbound
from tanggap.connectors.platforms.base import Echo, InboundMessage
from tanggap.connectors.platforms.meta import parse_payload
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    fixture,
    pending_reply,
)

PAGE = "104512345678901"
COMMENT = "998877665544332_1122334455667788"
PSID = "6612345678901234"


def _channel(desk, now, **options):
    channel = add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now,
                          token="EAAG-page-token")
    channel.options = options
    channel.save(update_fields=["options"])
    return channel


def test_feed_comment_fixture_parses_to_one_citizen_message():
    [event] = parse_payload(fixture("facebook", "feed_comment"))
    assert event == InboundMessage(
        platform="facebook", account_id=PAGE, external_id=COMMENT,
        author_id="7390011223344556", author_name="Rina Wulandari",
        text="Jalan di Gn. Samarinda berlubang besar, mohon segera diperbaiki",
        thread_id="post:104512345678901_998877665544332", attachments=[],
        created_at=event.created_at)
    assert event.created_at.timestamp() == 1764299990


def test_our_own_comment_and_edits_are_skipped():
    payload = fixture("facebook", "feed_comment")
    value = payload["entry"][0]["changes"][0]["value"]
    value["from"]["id"] = PAGE
    assert [type(e).__name__ for e in parse_payload(payload)] == ["Skipped"]
    value["from"]["id"] = "1"
    value["verb"] = "edited"
    assert [type(e).__name__ for e in parse_payload(payload)] == ["Skipped"]


def test_messenger_message_and_echo_fixtures():
    [message] = parse_payload(fixture("facebook", "messenger_message"))
    assert (message.external_id[:6], message.author_id, message.thread_id, message.text) == (
        "m_AG5H", PSID, "dm", "Selamat siang, sampah di depan pasar Klandasan belum diangkut 3 hari")
    assert message.created_at.timestamp() == 1764300099.876
    [echo] = parse_payload(fixture("facebook", "messenger_echo"))
    assert echo == Echo("facebook", PAGE, "m_echoedMid0001", "tanggap-out-ECHO")


def test_comment_reply_is_posted_under_the_comment(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id=COMMENT, thread_id="post:P_1",
                            author_id="739", platform_created_at=now, now=now)
    api = FakeAPI().on("POST", f"/{COMMENT}/comments", {"id": "COMMENT_REPLY_1"})
    outcome = deliver_message_now(message_id=message.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "COMMENT_REPLY_1")
    assert api.bodies("POST", f"/{COMMENT}/comments") == [{"message": message.text}]
    assert api.requests[0].headers["Authorization"] == "Bearer EAAG-page-token"
    stored = Message.objects.get(pk=message.pk)
    assert (stored.delivery_status, stored.external_id, stored.delivery_error) == (
        "sent", "COMMENT_REPLY_1", "")
    record = Outbound.objects.get(message=message)
    assert (record.state, record.attempts, record.idempotency_key) == (
        "sent", 1, f"tanggap-out-{message.pk}")


def test_timeout_then_reconcile_finds_our_reply_and_does_not_post_twice(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id=COMMENT, thread_id="post:P_1",
                            author_id="739", platform_created_at=now, now=now)
    api = FakeAPI().on("POST", f"/{COMMENT}/comments", httpx.ReadTimeout("lost answer")).on(
        "GET", f"/{COMMENT}/comments", {"data": [
            {"id": "OTHER", "from": {"id": "739"}, "message": message.text},
            {"id": "OURS", "from": {"id": PAGE}, "message": message.text}]})
    outcome, waits = deliver_until_done(message.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "OURS")
    assert len(api.calls("POST", f"/{COMMENT}/comments")) == 1
    assert waits == [0.5]


def test_messenger_inside_window_answers_as_response(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id="m_1", thread_id="dm", author_id=PSID,
                            platform_created_at=now - timedelta(hours=23), now=now)
    api = FakeAPI().on("POST", f"/{PAGE}/messages", {"recipient_id": PSID, "message_id": "m_out"})
    outcome = deliver_message_now(message_id=message.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "m_out")
    assert api.bodies("POST", f"/{PAGE}/messages") == [{
        "recipient": {"id": PSID}, "messaging_type": "RESPONSE",
        "message": {"text": message.text, "metadata": f"tanggap-out-{message.pk}"}}]


def test_messenger_after_24h_uses_human_agent_only_when_granted(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id="m_1", thread_id="dm", author_id=PSID,
                            platform_created_at=now - timedelta(hours=30), now=now)
    api = FakeAPI()
    outcome = deliver_message_now(message_id=message.pk, now=now, http=api.http())
    assert outcome.status == "failed"
    assert outcome.error.startswith("window_closed: the citizen last wrote more than 24 hours ago")
    assert api.requests == []

    channel.options = {"human_agent": True}
    channel.save(update_fields=["options"])
    message2 = pending_reply(desk, channel, external_id="m_2", thread_id="dm", author_id=PSID,
                             platform_created_at=now - timedelta(days=3), now=now,
                             text="Balasan kedua")
    api = FakeAPI().on("POST", f"/{PAGE}/messages", {"message_id": "m_tag"})
    assert deliver_message_now(message_id=message2.pk, now=now, http=api.http()).status == "sent"
    [body] = api.bodies("POST", f"/{PAGE}/messages")
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_platform_refusal_is_shown_on_the_message(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id=COMMENT, thread_id="post:P_1",
                            author_id="739", platform_created_at=now, now=now)
    api = FakeAPI().on("POST", f"/{COMMENT}/comments", httpx.Response(
        400, json={"error": {"message": "(#200) Permissions error", "code": 200}}))
    deliver_message_now(message_id=message.pk, now=now, http=api.http())
    stored = Message.objects.get(pk=message.pk)
    assert (stored.delivery_status, stored.delivery_error) == (
        "failed", "platform_refused: HTTP 400 code 200: (#200) Permissions error")
