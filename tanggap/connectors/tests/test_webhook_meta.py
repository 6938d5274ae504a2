from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.cases.models import Case, Message
from tanggap.connectors.actions.webhooks import process_webhook_delivery
from tanggap.connectors.models import WebhookDelivery
from tanggap.connectors.platforms.meta import sign
from tanggap.connectors.tasks import process_webhook
from tanggap.connectors.testing.fakes import (
    APP_SECRET,
    VERIFY_TOKEN,
    add_proven_channel,
    fixture_bytes,
    post_meta_webhook,
)

PAGE_ID = "104512345678901"


def _facebook(desk, now):
    return add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE_ID, now=now,
                       token="EAAG-page-token")


def test_verification_handshake_answers_the_challenge(client):
    ok = client.get("/webhooks/meta", {"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                       "hub.verify_token": VERIFY_TOKEN})
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    wrong = client.get("/webhooks/meta", {"hub.mode": "subscribe", "hub.challenge": "1",
                                          "hub.verify_token": "guess"})
    assert (wrong.status_code, wrong.content) == (403, b"verification failed")
    no_mode = client.get("/webhooks/meta", {"hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN})
    assert no_mode.status_code == 403


def test_unset_verify_token_never_verifies(client, settings):
    settings.META_VERIFY_TOKEN = ""
    response = client.get("/webhooks/meta", {"hub.mode": "subscribe", "hub.challenge": "1",
                                             "hub.verify_token": ""})
    assert response.status_code == 403


def test_bad_or_missing_signature_stores_nothing(db, client):
    body = fixture_bytes("facebook", "feed_comment")
    assert post_meta_webhook(client, body, secret="not-the-secret").status_code == 401
    assert post_meta_webhook(client, body, signature="").status_code == 401
    assert post_meta_webhook(client, body, signature="sha1=abc").status_code == 401
    tampered = body.replace(b"berlubang", b"BERLUBANG")
    assert post_meta_webhook(client, tampered, signature=sign(body, APP_SECRET)).status_code == 401
    assert WebhookDelivery.objects.count() == 0


def test_unconfigured_secret_refuses(db, client, settings):
    settings.META_APP_SECRET = ""
    body = fixture_bytes("facebook", "feed_comment")
    assert post_meta_webhook(client, body, secret="").status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_signed_webhook_is_stored_then_processed_into_a_case(desk, client, django_capture_on_commit_callbacks):
    now = timezone.now()
    facebook = _facebook(desk, now)
    body = fixture_bytes("facebook", "feed_comment")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_meta_webhook(client, body)
    assert (response.status_code, response.content) == (200, b"EVENT_RECEIVED")
    delivery = WebhookDelivery.objects.get()
    # The drain task was queued in the same transaction as the body: nothing waits on commit.
    assert (bytes(delivery.body), delivery.processed_at, len(callbacks)) == (body, None, 0)
    assert list(DBTaskResult.objects.values_list("task_path", "args_kwargs")) == [
        ("tanggap.connectors.tasks.drain_webhooks", {"args": ["meta"], "kwargs": {}})]

    assert process_webhook.call(delivery.pk) == 1
    message = Message.objects.get(channel=facebook)
    assert (message.external_id, message.text, message.case.thread_id) == (
        "998877665544332_1122334455667788",
        "Jalan di Gn. Samarinda berlubang besar, mohon segera diperbaiki",
        "post:104512345678901_998877665544332")
    assert message.case.contact.display_name == "Rina Wulandari"
    # Processing again (a retried task) does nothing.
    assert process_webhook.call(delivery.pk) is None


def test_a_replayed_webhook_is_stored_once_and_makes_one_message(desk, client):
    _facebook(desk, timezone.now())
    body = fixture_bytes("facebook", "feed_comment")
    assert [post_meta_webhook(client, body).status_code for _ in range(3)] == [200, 200, 200]
    assert WebhookDelivery.objects.count() == 1
    # The same comment inside a different envelope (Meta batches differently on retry).
    rebatched = body.replace(b'"time": 1764300000', b'"time": 1764300999')
    assert post_meta_webhook(client, rebatched).status_code == 200
    for delivery in WebhookDelivery.objects.all():
        process_webhook_delivery(delivery_id=delivery.pk, now=timezone.now())
    assert Message.objects.filter(external_id="998877665544332_1122334455667788").count() == 1
    assert Case.objects.filter(channel__platform="facebook").count() == 1


def test_malformed_signed_payload_is_kept_and_marked(db, client):
    for body in (b"{not json", b'{"object": "page"}', b'{"object": "telegram", "entry": []}'):
        assert post_meta_webhook(client, body).status_code == 200
    results = [process_webhook_delivery(delivery_id=d.pk, now=timezone.now())
               for d in WebhookDelivery.objects.order_by("id")]
    assert [r.stored for r in results] == [0, 0, 0]
    errors = list(WebhookDelivery.objects.order_by("id").values_list("error", flat=True))
    assert errors[0].startswith("malformed: Expecting property name")
    assert errors[1] == "malformed: not a Meta webhook envelope (no entry list)"
    assert errors[2] == "malformed: unknown webhook object 'telegram'"


def test_events_for_an_unknown_account_are_noted_not_stored(db, client):
    post_meta_webhook(client, fixture_bytes("facebook", "feed_comment"))
    delivery = WebhookDelivery.objects.get()
    result = process_webhook_delivery(delivery_id=delivery.pk, now=timezone.now())
    assert (result.stored, result.problems) == (0, [f"no active facebook channel {PAGE_ID}"])
    assert Message.objects.count() == 0
