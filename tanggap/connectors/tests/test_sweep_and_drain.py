"""Intake queues one drain per source; the drain processes everything stored; the sweep queues
again what stalled (webhooks never processed, replies stuck pending, hides not applied)."""

import os
from datetime import timedelta
from unittest import mock

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.cases.models import Message
from tanggap.connectors.actions.moderation import hide_comment
from tanggap.connectors.actions.webhooks import drain_webhook_deliveries, receive_webhook
from tanggap.connectors.models import IntakeQueue, Outbound, WebhookDelivery
from tanggap.connectors.sweep import sweep_stalled
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    facebook_comment_body,
    pending_reply,
)

PAGE = "104512345678901"


def _body(n: int) -> bytes:
    return facebook_comment_body(PAGE, n)


def _queued(name):
    return list(DBTaskResult.objects.filter(task_path=f"tanggap.connectors.tasks.{name}")
                .order_by("enqueued_at").values_list("args_kwargs", flat=True))


def _facebook(desk, now):
    return add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now,
                       token="EAAG-t")


def test_many_webhooks_queue_one_drain_which_processes_them_all(desk):
    now = timezone.now()
    _facebook(desk, now)
    for n in range(5):
        receive_webhook(source="meta", body=_body(n), now=now)
    assert _queued("drain_webhooks") == [{"args": ["meta"], "kwargs": {}}]
    result = drain_webhook_deliveries(source="meta", clock=lambda: now, limit=100)
    assert (result.processed, result.failed, result.more) == (5, [], False)
    assert Message.objects.filter(channel__handle=PAGE).count() == 5
    assert not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()
    # The drain cleared the flag: the next body queues the next drain.
    receive_webhook(source="meta", body=_body(99), now=now)
    assert len(_queued("drain_webhooks")) == 2


def test_a_drain_stops_at_its_limit_and_queues_its_successor(desk):
    now = timezone.now()
    _facebook(desk, now)
    for n in range(3):
        receive_webhook(source="meta", body=_body(n), now=now)
    result = drain_webhook_deliveries(source="meta", clock=lambda: now, limit=2)
    assert (result.processed, result.more) == (2, True)
    assert IntakeQueue.objects.get(source="meta").drain_queued is True
    assert len(_queued("drain_webhooks")) == 2
    assert drain_webhook_deliveries(source="meta", clock=lambda: now, limit=2).processed == 1


def test_a_body_that_breaks_processing_does_not_stall_the_others(desk):
    now = timezone.now()
    _facebook(desk, now)
    first = receive_webhook(source="meta", body=_body(1), now=now).delivery_id
    receive_webhook(source="meta", body=_body(2), now=now)
    from tanggap.connectors.actions import webhooks

    real = webhooks.process_webhook_delivery

    def flaky(*, delivery_id, now, skip_locked):
        if delivery_id == first:
            raise RuntimeError("a bug")
        return real(delivery_id=delivery_id, now=now, skip_locked=skip_locked)

    with mock.patch.object(webhooks, "process_webhook_delivery", flaky):
        result = drain_webhook_deliveries(source="meta", clock=lambda: now, limit=100)
    assert (result.processed, result.failed) == (2, [first])
    stuck = WebhookDelivery.objects.get(pk=first)
    assert (stuck.processed_at, stuck.attempts, stuck.error) == (
        None, 1, "processing failed: RuntimeError('a bug')")
    assert Message.objects.filter(channel__handle=PAGE).count() == 1


def test_sweep_requeues_webhooks_never_processed_once_per_period(desk):
    now = timezone.now()
    _facebook(desk, now)
    old = receive_webhook(source="meta", body=_body(1), now=now - timedelta(minutes=10))
    receive_webhook(source="meta", body=_body(2), now=now)  # young: the worker may be on it
    DBTaskResult.objects.all().delete()  # the enqueue was lost

    result = sweep_stalled(now=now, after_seconds=120)
    assert (result.webhooks, result.sources) == (1, ["meta"])
    assert WebhookDelivery.objects.get(pk=old.delivery_id).requeued_at == now
    assert _queued("drain_webhooks") == [{"args": ["meta"], "kwargs": {}}]
    # A second sweep right after queues nothing more.
    assert sweep_stalled(now=now + timedelta(seconds=5), after_seconds=120).webhooks == 0
    drain_webhook_deliveries(source="meta", clock=lambda: now, limit=100)
    assert not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()
    assert sweep_stalled(now=now + timedelta(hours=1), after_seconds=120).webhooks == 0


def test_sweep_recovers_a_reply_whose_worker_died_mid_call_without_posting_twice(desk):
    now = timezone.now()
    channel = _facebook(desk, now)
    reply = pending_reply(desk, channel, external_id="c1", thread_id=f"post:{PAGE}_1",
                          author_id="w1", platform_created_at=now, now=now)
    never_ran = pending_reply(desk, channel, external_id="c2", thread_id=f"post:{PAGE}_2",
                              author_id="w2", platform_created_at=now, now=now)
    # The worker posted reply 1, then died before it could record the answer.
    Outbound.objects.create(message=reply, channel=channel, idempotency_key=f"tanggap-out-"
                            f"{reply.pk}", operation="comment_reply", target_id="c1",
                            request={"api": "graph", "method": "POST", "path": "/c1/comments",
                                     "json": {"message": reply.text}},
                            state="in_flight", attempts=1, created_at=now, updated_at=now)
    later = now + timedelta(hours=1)
    assert sweep_stalled(now=now + timedelta(seconds=30), after_seconds=120).replies == []
    result = sweep_stalled(now=later, after_seconds=120)
    assert result.replies == [reply.pk, never_ran.pk]
    assert _queued("deliver_message") == [{"args": [reply.pk], "kwargs": {}},
                                          {"args": [never_ran.pk], "kwargs": {}}]

    api = (FakeAPI()
           .on("GET", "/c1/comments", {"data": [{"id": "c1_ours", "from": {"id": PAGE},
                                                 "message": reply.text}]})
           .on("POST", "/c2/comments", {"id": "c2_ours"}))
    for message_id in result.replies:
        deliver_until_done(message_id, now=later, http=api.http())
    assert api.calls("POST", "/c1/comments") == []  # found ours: not posted again
    assert len(api.calls("POST", "/c2/comments")) == 1
    assert list(Message.objects.filter(pk__in=result.replies).order_by("id").values_list(
        "delivery_status", "external_id")) == [("sent", "c1_ours"), ("sent", "c2_ours")]
    assert sweep_stalled(now=later + timedelta(hours=1), after_seconds=120).replies == []


def test_sweep_requeues_a_hide_that_was_never_applied(desk):
    now = timezone.now()
    channel = _facebook(desk, now)
    comment = desk.inbound(channel=channel, external_id="c9", thread_id=f"post:{PAGE}_1",
                           now=now).message
    hide_comment(message_id=comment.pk, actor=desk.ani.user, hidden=True, now=now)
    assert sweep_stalled(now=now, after_seconds=120).moderations == []
    assert sweep_stalled(now=now + timedelta(minutes=5), after_seconds=120).moderations == [
        comment.pk]
    assert _queued("moderate_comment") == [{"args": [comment.pk], "kwargs": {}}]


def test_sweep_command_prints_what_it_queued(desk, capsys):
    call_command("sweep")
    assert capsys.readouterr().out == "sweep: webhooks=0 sources=- replies=0 moderations=0 mentions=0\n"


def test_parsing_steps_aside_while_webhooks_pour_in(desk, settings):
    from tanggap.connectors.actions.webhooks import _yield_to_a_burst

    settings.CONNECTORS_DRAIN_YIELD_RATE = 100
    settings.CONNECTORS_DRAIN_YIELD_SECONDS = 2.0
    now = timezone.now()
    _facebook(desk, now)
    receive_webhook(source="meta", body=_body(0), now=now)
    pauses = []

    def look(newest, seen_at, at):
        return _yield_to_a_burst("meta", newest, seen_at, now=at, pause=pauses.append)

    newest, seen_at = look(None, None, 100.0)
    assert (seen_at, pauses) == (100.0, [])  # nothing to compare with yet
    for n in range(1, 11):  # ten more in 62.5 ms: 160 a second
        receive_webhook(source="meta", body=_body(n), now=now)
    newest, seen_at = look(newest, seen_at, 100.0625)
    assert (seen_at, pauses) == (100.0625, [2.0])
    # No new webhooks since: parsing goes on at full speed.
    newest, seen_at = look(newest, seen_at, 100.125)
    assert pauses == [2.0]
    # Ten in a second is a steady trickle, not a burst.
    for n in range(11, 21):
        receive_webhook(source="meta", body=_body(n), now=now)
    newest, seen_at = look(newest, seen_at, 101.125)
    assert pauses == [2.0]
    # Exactly at the limit is not over it; one more is. (Readings exact in binary.)
    for n in range(21, 121):
        receive_webhook(source="meta", body=_body(n), now=now)
    newest, seen_at = look(newest, seen_at, 102.125)
    assert pauses == [2.0]
    for n in range(121, 222):
        receive_webhook(source="meta", body=_body(n), now=now)
    newest, seen_at = look(newest, seen_at, 103.125)
    assert pauses == [2.0, 2.0]
    settings.CONNECTORS_DRAIN_YIELD_RATE = 0  # switched off
    receive_webhook(source="meta", body=_body(999), now=now)
    look(newest, seen_at, 103.25)
    assert pauses == [2.0, 2.0]


def test_parsing_steps_aside_by_default_only_on_the_embedded_database(monkeypatch):
    """On SQLite the drain and the acknowledgements share the cores and the write lock; on
    PostgreSQL the workers run apart and a pause only delays the inbox (the suite runs on both,
    so both defaults are checked)."""
    from django.conf import settings as live
    from django.db import connection

    assert "CONNECTORS_DRAIN_YIELD_RATE" not in os.environ
    assert live.CONNECTORS_DRAIN_YIELD_RATE == (100 if connection.vendor == "sqlite" else 0)
