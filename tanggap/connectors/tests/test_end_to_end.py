"""Webhook in -> case -> reply -> the fake platform received exactly one post, over real HTTP
to a fake Graph API on 127.0.0.1, with failures injected on the way."""

import pytest
from django.utils import timezone

from tanggap.cases.actions import claim_case, send_reply
from tanggap.cases.models import Message
from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.models import WebhookDelivery
from tanggap.connectors.tasks import process_webhook
from tanggap.connectors.testing.fakes import (
    add_proven_channel,
    deliver_until_done,
    fixture_bytes,
    post_meta_webhook,
)
from tanggap.connectors.testing.fakeserver import FakePlatformServer

PAGE = "104512345678901"
COMMENT = "998877665544332_1122334455667788"


@pytest.fixture
def platform(settings):
    with FakePlatformServer() as server:
        settings.META_GRAPH_BASE_URL = server.url
        settings.X_API_BASE_URL = server.url
        settings.CONNECTORS_HTTP_TIMEOUT_SECONDS = 1
        yield server.fake


def _comment_case_and_reply(desk, client, text="Terima kasih, laporan diteruskan ke DPU."):
    now = timezone.now()
    add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now, token="EAAG-t")
    body = fixture_bytes("facebook", "feed_comment")
    assert post_meta_webhook(client, body).status_code == 200
    assert post_meta_webhook(client, body).status_code == 200  # replayed by the platform
    assert process_webhook.call(WebhookDelivery.objects.get().pk) == 1
    inbound = Message.objects.get(external_id=COMMENT)
    case = claim_case(case_id=inbound.case_id, actor=desk.ani.user, now=now)
    return send_reply(case_id=case.pk, actor=desk.ani.user, text=text, idempotency_key="e2e",
                      base_version=case.version, now=now).message


def test_webhook_to_case_to_exactly_one_post(desk, client, platform):
    reply = _comment_case_and_reply(desk, client)
    outcome = deliver_message_now(message_id=reply.pk, now=timezone.now())
    assert outcome.status == "sent"
    assert platform.posts_to(f"/{COMMENT}/comments") == [{"message": reply.text}]
    # The task runs again (a duplicate enqueue): nothing is pending, nothing is posted.
    assert deliver_message_now(message_id=reply.pk, now=timezone.now()) is None
    assert len(platform.posts) == 1


def test_500_and_429_with_retry_after_then_one_post(desk, client, platform):
    reply = _comment_case_and_reply(desk, client)
    platform.fail("/comments", status=429, retry_after=2)
    platform.fail("/comments", status=500)
    outcome, waits = deliver_until_done(reply.pk, now=timezone.now())
    assert outcome.status == "sent"
    # 429 waited as told; the 500 may have posted, so we looked before the next post.
    assert waits == [2.0, 1.0]
    assert len(platform.posts_to(f"/{COMMENT}/comments")) == 1


def test_timeout_after_the_platform_posted_never_posts_twice(desk, client, platform):
    reply = _comment_case_and_reply(desk, client)
    platform.hang_after_posting("/comments", seconds=2.5)  # longer than our 1 s timeout
    outcome, waits = deliver_until_done(reply.pk, now=timezone.now())
    assert (outcome.status, outcome.external_id) == ("sent", "listed-0")
    assert len(platform.posts_to(f"/{COMMENT}/comments")) == 1


def test_malformed_answer_is_checked_before_posting_again(desk, client, platform):
    reply = _comment_case_and_reply(desk, client)
    platform.malformed("/comments")  # a 200 whose body is not JSON: did it post? look first
    outcome, waits = deliver_until_done(reply.pk, now=timezone.now())
    assert (outcome.status, outcome.external_id) == ("sent", "fake-1")
    assert platform.posts_to(f"/{COMMENT}/comments") == [{"message": reply.text}]


def test_platform_down_fails_visibly_after_the_retries(desk, client, platform, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 2
    reply = _comment_case_and_reply(desk, client)
    platform.fail("/comments", status=500, times=5)
    deliver_until_done(reply.pk, now=timezone.now())
    stored = Message.objects.get(pk=reply.pk)
    # The 500s may have posted: before calling it failed, the desk looked, and it is not there.
    assert (stored.delivery_status, stored.delivery_error) == ("failed", (
        "platform_unavailable: HTTP 500 code 1: injected; checked on the platform afterwards: "
        "it was not posted."))
    assert platform.posts == []
