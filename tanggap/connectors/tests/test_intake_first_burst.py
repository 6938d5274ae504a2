"""The first webhooks of a source arriving together on a fresh database.

Each intake makes sure a drain is queued through the source's IntakeQueue row; the first
webhook of a source inserts that row. Two first webhooks at once both tried to insert it, and
the second failed with an IntegrityError that the intake took for a redelivered body: a 500
for the first 5-10 webhooks of a burst on PostgreSQL. The test drives the exact interleaving:
one intake holds its uninserted-yet-uncommitted row, the other is seen blocked on it in
pg_stat_activity, then the first commits. Both must be stored and acknowledged, with one row
and one drain.

PostgreSQL only: SQLite has one writer at a time, so two intakes never overlap there.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.cases.models import Message
from tanggap.connectors.actions.webhooks import Receipt, drain_webhook_deliveries, receive_webhook
from tanggap.connectors.models import IntakeQueue, WebhookDelivery
from tanggap.connectors.testing.fakes import add_proven_channel, facebook_comment_body
from tanggap.testing.pglocks import backend_pid, waits_on_a_lock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="two intakes overlap only on PostgreSQL"),
]


PAGE = "104512345678901"


def _body(n: int) -> bytes:
    return facebook_comment_body(PAGE, n)


def test_two_first_webhooks_at_once_are_both_stored_with_one_drain():
    now = timezone.now()
    receipts: dict[str, Receipt] = {}
    errors: list[Exception] = []
    first_holds, release_first = threading.Event(), threading.Event()
    second_pid: list[int] = []
    pid_known = threading.Event()

    def first():
        try:
            with transaction.atomic():
                receipts["first"] = receive_webhook(source="meta", body=_body(1), now=now)
                first_holds.set()
                release_first.wait()
        except Exception as exc:  # noqa: BLE001 - the test reports what a thread raised
            errors.append(exc)
        finally:
            first_holds.set()
            connections.close_all()

    def second():
        try:
            second_pid.append(backend_pid())
            pid_known.set()
            receipts["second"] = receive_webhook(source="meta", body=_body(2), now=now)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            pid_known.set()
            connections.close_all()

    one, two = threading.Thread(target=first), threading.Thread(target=second)
    one.start()
    first_holds.wait()
    two.start()
    pid_known.wait()
    # The second intake must wait for the first's row; it cannot finish before the first
    # commits, so this loop ends by one or the other.
    while two.is_alive() and second_pid and not waits_on_a_lock(second_pid[0]):
        pass
    blocked = two.is_alive()
    release_first.set()
    one.join()
    two.join()

    assert blocked, "the second intake never waited for the first one's row"
    assert errors == []
    assert (receipts["first"].created, receipts["second"].created) == (True, True)
    assert sorted(WebhookDelivery.objects.values_list("pk", flat=True)) == sorted(
        [receipts["first"].delivery_id, receipts["second"].delivery_id])
    assert list(IntakeQueue.objects.values_list("source", "drain_queued")) == [("meta", True)]
    assert list(DBTaskResult.objects.filter(
        task_path="tanggap.connectors.tasks.drain_webhooks").values_list(
        "args_kwargs", flat=True)) == [{"args": ["meta"], "kwargs": {}}]


def _facebook_page(desk, now):
    return add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now,
                              token="EAAG-t")


def test_a_drain_passes_over_the_delivery_another_drain_holds(tx_desk):
    """Helper drains share a burst: each takes what no other drain holds, without waiting."""

    now = timezone.now()
    _facebook_page(tx_desk, now)
    ids = [receive_webhook(source="meta", body=_body(n), now=now).delivery_id
           for n in range(3)]
    holds, release = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def other_drain():  # stands for a drain in another worker, busy with the first delivery
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update().get(pk=ids[0])
                holds.set()
                release.wait()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            holds.set()
            connections.close_all()

    thread = threading.Thread(target=other_drain)
    thread.start()
    holds.wait()
    try:
        with connection.cursor() as cursor:
            # Only a bound on a broken build (a drain that waits for the lock fails after it
            # instead of hanging the suite); a working one never waits.
            cursor.execute("SET lock_timeout = '20s'")
        result = drain_webhook_deliveries(source="meta", clock=lambda: now, limit=100,
                                          helper=True)
    finally:
        release.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert errors == []
    assert (result.processed, result.failed, result.more) == (2, [], False)
    assert list(WebhookDelivery.objects.order_by("pk").values_list(
        "pk", "processed_at")) == [(ids[0], None), (ids[1], now), (ids[2], now)]
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["1_1", "1_2"]
    # The queued drain's chain picks up what was left: nothing is lost.
    result = drain_webhook_deliveries(source="meta", clock=lambda: now, limit=100)
    assert (result.processed, result.failed) == (1, [])
    assert sorted(Message.objects.values_list("external_id", flat=True)) == [
        "1_0", "1_1", "1_2"]


def test_a_backlog_queues_helper_drains(tx_desk, settings):
    settings.CONNECTORS_DRAIN_TASKS, settings.CONNECTORS_DRAIN_FANOUT_AT = 3, 4
    now = timezone.now()
    _facebook_page(tx_desk, now)
    for n in range(3):
        receive_webhook(source="meta", body=_body(n), now=now)

    def queued():
        return list(DBTaskResult.objects.filter(
            task_path="tanggap.connectors.tasks.drain_webhooks").order_by("enqueued_at", "id")
            .values_list("args_kwargs", flat=True))

    drain_webhook_deliveries(source="meta", clock=lambda: now, limit=100)
    assert queued() == [{"args": ["meta"], "kwargs": {}}]  # three waiting: under the mark
    for n in range(3, 7):
        receive_webhook(source="meta", body=_body(n), now=now)
    assert drain_webhook_deliveries(source="meta", clock=lambda: now, limit=100).processed == 4
    assert queued() == [{"args": ["meta"], "kwargs": {}}] * 2 + [
        {"args": ["meta", True], "kwargs": {}}] * 2
