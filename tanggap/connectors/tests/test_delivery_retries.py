"""A failed attempt never makes a worker sleep: the task is queued again with run_after. After
the last attempt, a send that may have reached the platform is settled by looking for it
(found: sent; not there: failed) and, where nobody can tell, shown as needing a check, never as
failed. Clocks are stepped; nothing sleeps (but the fake server's lost answer, which is a real
timeout)."""

import json
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.cases.models import Message
from tanggap.connectors.actions.webhooks import process_webhook_delivery, receive_webhook
from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.models import Outbound
from tanggap.connectors.sweep import sweep_stalled
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    pending_reply,
)
from tanggap.connectors.testing.fakeserver import FakePlatformServer

PAGE = "104512345678901"
PHONE_ID = "106540352242922"
WA_ID = "6281234567890"
TOO_MANY = httpx.Response(429, json={"error": {"message": "slow down", "code": 4}},
                          headers={"Retry-After": "3"})


def _comment_reply(desk, now, channel=None):
    channel = channel or add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE,
                                     now=now, token="EAAG-t")
    return pending_reply(desk, channel, external_id="c1", thread_id=f"post:{PAGE}_1",
                         author_id="w1", platform_created_at=now, now=now)


def _queued_deliveries():
    return list(DBTaskResult.objects.filter(task_path="tanggap.connectors.tasks.deliver_message")
                .exclude(run_after__year=9999).values_list("args_kwargs", "run_after"))


def test_a_retry_is_queued_to_run_later_instead_of_sleeping(desk):
    now = timezone.now()
    reply = _comment_reply(desk, now)
    api = FakeAPI().on("POST", "/c1/comments", TOO_MANY, {"id": "c1_ours"})
    outcome = deliver_message_now(message_id=reply.pk, now=now, http=api.http())
    retry_at = now + timedelta(seconds=3)  # the platform's Retry-After
    assert (outcome.status, outcome.retry_at) == ("pending", retry_at)
    record = Outbound.objects.get(message=reply)
    assert (record.state, record.attempts, record.retry_at, record.ambiguous, record.error) == (
        "retry", 1, retry_at, False, "HTTP 429 code 4: slow down")
    assert _queued_deliveries() == [({"args": [reply.pk], "kwargs": {}}, retry_at)]
    assert Message.objects.get(pk=reply.pk).delivery_status == "pending"
    # Woken early (a duplicate task, the sweep): nothing happens before its time.
    assert deliver_message_now(message_id=reply.pk, now=now + timedelta(seconds=1),
                               http=api.http()) is None
    assert len(api.requests) == 1
    outcome = deliver_message_now(message_id=reply.pk, now=retry_at, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "c1_ours")
    assert len(api.calls("POST", "/c1/comments")) == 2
    assert Outbound.objects.get(message=reply).state == "sent"


def test_a_retry_after_longer_than_allowed_fails_without_holding_anyone(desk, settings):
    settings.CONNECTORS_MAX_RETRY_WAIT_SECONDS = 60
    now = timezone.now()
    reply = _comment_reply(desk, now)
    api = FakeAPI().on("POST", "/c1/comments", httpx.Response(
        429, json={"error": {"message": "slow down", "code": 4}}, headers={"Retry-After": "3600"}))
    outcome = deliver_message_now(message_id=reply.pk, now=now, http=api.http())
    assert (outcome.status, outcome.error) == ("failed", (
        "platform_unavailable: HTTP 429 code 4: slow down (the platform asks to wait 3600 s, "
        "more than CONNECTORS_MAX_RETRY_WAIT_SECONDS=60)"))
    assert _queued_deliveries() == []


def test_a_timeout_is_reconciled_before_the_next_post(desk):
    now = timezone.now()
    reply = _comment_reply(desk, now)
    api = (FakeAPI().on("POST", "/c1/comments", httpx.ReadTimeout("lost"))
           .on("GET", "/c1/comments", {"data": [{"id": "c1_ours", "from": {"id": PAGE},
                                                  "message": reply.text}]}))
    outcome, waits = deliver_until_done(reply.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id, waits) == ("sent", "c1_ours", [0.5])
    assert len(api.calls("POST", "/c1/comments")) == 1


@pytest.fixture
def platform(settings):
    with FakePlatformServer() as server:
        settings.META_GRAPH_BASE_URL = server.url
        settings.CONNECTORS_HTTP_TIMEOUT_SECONDS = 1
        yield server.fake


def test_a_lost_answer_on_the_last_attempt_is_found_before_anything_is_reported(
        desk, platform, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 1
    settings.CONNECTORS_SETTLE_AFTER_SECONDS = 30
    now = timezone.now()
    reply = _comment_reply(desk, now)
    platform.hang_after_posting("/comments", seconds=2.5)  # posted; the answer comes too late
    outcome = deliver_message_now(message_id=reply.pk, now=now)
    settle_at = now + timedelta(seconds=30)
    # Not "failed": the only attempt may have posted. A settle run is queued to look.
    assert (outcome.status, outcome.retry_at) == ("pending", settle_at)
    assert Message.objects.get(pk=reply.pk).delivery_status == "pending"
    assert _queued_deliveries() == [({"args": [reply.pk], "kwargs": {}}, settle_at)]
    outcome = deliver_message_now(message_id=reply.pk, now=settle_at)
    assert (outcome.status, outcome.external_id) == ("sent", "listed-0")
    assert len(platform.posts_to("/c1/comments")) == 1  # looked, never posted again


def _whatsapp_reply(desk, now):
    channel = add_proven_channel(workspace=desk.bpn, platform="whatsapp", handle=PHONE_ID, now=now,
                          token="EAAG-wa-token")
    return pending_reply(desk, channel, external_id="wamid.IN", thread_id="wa", author_id=WA_ID,
                         platform_created_at=now - timedelta(hours=1), now=now)


def test_a_lost_answer_nobody_can_check_needs_checking_until_the_platform_says(desk, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 2
    now = timezone.now()
    reply = _whatsapp_reply(desk, now)
    api = FakeAPI().on("POST", f"/{PHONE_ID}/messages", httpx.ReadTimeout("lost"))
    outcome, waits = deliver_until_done(reply.pk, now=now, http=api.http())
    # Two attempts (WhatsApp lists no sent messages, so a second post is the only way), then
    # the settle run: no status webhook came, nobody can tell.
    assert (len(api.requests), waits) == (2, [0.5, 30.0])
    error = ("delivery_unknown: timed out: ReadTimeout; the platform gives no way to look for "
             "our message and has not confirmed it. An attempt may have reached the platform: "
             "check there before sending again.")
    assert (outcome.status, outcome.error) == ("unknown", error)
    stored = Message.objects.get(pk=reply.pk)
    assert (stored.delivery_status, stored.get_delivery_status_display(),
            stored.delivery_error) == ("unknown", "Perlu dicek", error)
    assert Outbound.objects.get(message=reply).state == "unknown"
    desk.ani.client.force_login(desk.ani.user)
    panel = desk.ani.client.get(f"/w/bpn/cases/{reply.case_id}/panel").content.decode()
    assert '<span class="delivery d-unknown">Perlu dicek</span>' in panel
    assert "delivery_unknown: timed out" in panel

    # Later WhatsApp's status webhook (our key in biz_opaque_callback_data) settles it.
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp",
         "metadata": {"phone_number_id": PHONE_ID}, "statuses": [{
             "id": "wamid.LATE", "status": "delivered", "timestamp": "1764300950",
             "recipient_id": WA_ID, "biz_opaque_callback_data": f"tanggap-out-{reply.pk}"}]}}]}]})
    receipt = receive_webhook(source="meta", body=body.encode(), now=now)
    process_webhook_delivery(delivery_id=receipt.delivery_id, now=now)
    stored = Message.objects.get(pk=reply.pk)
    assert (stored.delivery_status, stored.external_id, stored.delivery_error) == (
        "sent", "wamid.LATE", "")
    assert Outbound.objects.get(message=reply).state == "sent"


def test_posts_that_may_have_landed_but_are_not_there_fail_after_the_check(desk, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 1
    now = timezone.now()
    reply = _comment_reply(desk, now)
    api = (FakeAPI().on("POST", "/c1/comments", httpx.Response(502, json={}))
           .on("GET", "/c1/comments", {"data": []}))
    outcome, waits = deliver_until_done(reply.pk, now=now, http=api.http())
    assert (outcome.status, outcome.error, waits) == ("failed", (
        "platform_unavailable: HTTP 502; checked on the platform afterwards: it was not "
        "posted."), [30.0])
    assert (len(api.calls("POST", "/c1/comments")), len(api.calls("GET", "/c1/comments"))) == (
        1, 1)


def test_the_sweep_requeues_a_retry_whose_task_was_lost(desk):
    now = timezone.now()
    reply = _comment_reply(desk, now)
    api = FakeAPI().on("POST", "/c1/comments", TOO_MANY)
    deliver_message_now(message_id=reply.pk, now=now, http=api.http())
    DBTaskResult.objects.all().delete()  # the queued retry was lost
    assert sweep_stalled(now=now + timedelta(seconds=60), after_seconds=120).replies == []
    later = now + timedelta(minutes=5)
    assert sweep_stalled(now=later, after_seconds=120).replies == [reply.pk]


def test_a_look_the_platform_refuses_after_the_last_attempt_is_unknown_not_failed(
        desk, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 1
    now = timezone.now()
    channel = add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now,
                          token="EAAG-t")
    reply = pending_reply(desk, channel, external_id="m_in", thread_id="dm",
                          author_id="6612345678901234", platform_created_at=now, now=now)
    api = (FakeAPI().on("POST", f"/{PAGE}/messages", httpx.ReadTimeout("lost"))
           .on("GET", f"/{PAGE}/conversations", httpx.Response(403, json={"error": {
               "message": "(#10) Requires pages_read_engagement", "code": 10}})))
    outcome, waits = deliver_until_done(reply.pk, now=now, http=api.http())
    assert (outcome.status, outcome.error) == ("unknown", (
        "delivery_unknown: timed out: ReadTimeout; looking for it afterwards failed too "
        "(lookup_refused: HTTP 403 code 10: (#10) Requires pages_read_engagement). An attempt "
        "may have reached the platform: check there before sending again."))
    assert len(api.calls("POST", f"/{PAGE}/messages")) == 1
