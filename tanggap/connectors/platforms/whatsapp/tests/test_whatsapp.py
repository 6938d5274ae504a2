from datetime import timedelta

from django.utils import timezone

from tanggap.cases.models import Message
from tanggap.connectors.actions.webhooks import process_webhook_delivery, receive_webhook
from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.models import Outbound
from tanggap.connectors.platforms.base import InboundMessage, StatusUpdate
from tanggap.connectors.platforms.meta import parse_payload
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    fixture,
    fixture_bytes,
    pending_reply,
)

PHONE_ID = "106540352242922"
WA_ID = "6281234567890"


def _channel(desk, now, **options):
    channel = add_proven_channel(workspace=desk.bpn, platform="whatsapp", handle=PHONE_ID, now=now,
                          token="EAAG-wa-token")
    channel.options = options
    channel.save(update_fields=["options"])
    return channel


def test_text_and_image_messages_route_by_phone_number_id():
    [text] = parse_payload(fixture("whatsapp", "text_message"))
    assert text == InboundMessage(
        platform="whatsapp", account_id=PHONE_ID,
        external_id="wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBNEE2NTk5QUVFMDM4MTAxNDRGAA==",
        author_id=WA_ID, author_name="Agus Salim", text="Air PDAM di Perumnas mati sejak pagi",
        thread_id="wa", attachments=[], created_at=text.created_at)
    assert text.created_at.timestamp() == 1764300700
    [image] = parse_payload(fixture("whatsapp", "image_message"))
    assert (image.text, image.attachments) == ("Ini foto pipanya bocor", [
        {"type": "image", "media_id": "1003383421387256", "mime_type": "image/jpeg"}])


def test_statuses_parse():
    [failed] = parse_payload(fixture("whatsapp", "status_failed"))
    assert failed == StatusUpdate(
        "whatsapp", PHONE_ID, "wamid.OUTGOING0001", "failed",
        "131047: Re-engagement message (Message failed to send because more than 24 hours have "
        "passed since the customer last replied to this number.)", "tanggap-out-1")


def test_text_inside_window_then_statuses_update_the_message(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id="wamid.IN", thread_id="wa", author_id=WA_ID,
                            platform_created_at=now - timedelta(hours=1), now=now)
    api = FakeAPI().on("POST", f"/{PHONE_ID}/messages", {
        "messaging_product": "whatsapp", "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
        "messages": [{"id": "wamid.OUTGOING0001"}]})
    outcome = deliver_message_now(message_id=message.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "wamid.OUTGOING0001")
    assert api.bodies("POST", f"/{PHONE_ID}/messages") == [{
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID,
        "biz_opaque_callback_data": f"tanggap-out-{message.pk}", "type": "text",
        "text": {"body": message.text, "preview_url": False},
        "context": {"message_id": "wamid.IN"}}]

    for name in ("status_delivered", "status_failed", "status_delivered"):
        receipt = receive_webhook(source="meta", body=fixture_bytes("whatsapp", name) + b" " * len(name), now=now)
        process_webhook_delivery(delivery_id=receipt.delivery_id, now=now)
    stored = Message.objects.get(pk=message.pk)
    assert (stored.delivery_status, stored.delivery_error) == ("failed", (
        "platform_failed: 131047: Re-engagement message (Message failed to send because more "
        "than 24 hours have passed since the customer last replied to this number.)"))
    # A late "delivered" does not undo a "failed".
    assert Outbound.objects.get(message=message).platform_status == "failed"


def test_outside_window_needs_a_template(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id="wamid.OLD", thread_id="wa", author_id=WA_ID,
                            platform_created_at=now - timedelta(hours=25), now=now)
    outcome = deliver_message_now(message_id=message.pk, now=now, http=FakeAPI().http())
    assert outcome.status == "failed"
    assert outcome.error.startswith("window_closed: the citizen last wrote more than 24 hours ago, "
                                    "so WhatsApp accepts only an approved template")

    channel.options = {"whatsapp_reply_template": {"name": "balasan_aduan", "language": "id"}}
    channel.save(update_fields=["options"])
    message2 = pending_reply(desk, channel, external_id="wamid.OLD2", thread_id="wa",
                             author_id=WA_ID, platform_created_at=now - timedelta(days=2),
                             now=now, text="Aduan Anda sudah selesai ditangani.")
    api = FakeAPI().on("POST", f"/{PHONE_ID}/messages", {"messages": [{"id": "wamid.T"}]})
    assert deliver_message_now(message_id=message2.pk, now=now, http=api.http()).status == "sent"
    [body] = api.bodies("POST", f"/{PHONE_ID}/messages")
    assert (body["type"], body["template"]) == ("template", {
        "name": "balasan_aduan", "language": {"code": "id"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "Aduan Anda sudah selesai ditangani."}]}]})
