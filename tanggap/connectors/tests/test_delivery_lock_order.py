"""One lock order for a send's two rows: message, then outbound record.

A deliverer finishing a send (delivery._finish) and a status webhook for the same send
(actions.outbound.apply_status) each lock both rows. When the webhook took the record first and
the deliverer the message first, PostgreSQL found a deadlock and aborted one of them (the
status, or the outcome of the attempt, was lost until a retry). The test drives the exact
interleaving: the deliverer holds the message lock and waits; the webhook starts and the test
waits until PostgreSQL shows it blocked on a lock; then the deliverer goes on. Both must commit.

PostgreSQL only: SQLite has one writer at a time and no row locks, so there is no order to get
wrong there.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from tanggap.cases.models import Message
from tanggap.connectors import delivery
from tanggap.connectors.actions.outbound import apply_status
from tanggap.connectors.models import Outbound
from tanggap.connectors.platforms.base import StatusUpdate
from tanggap.connectors.testing.fakes import add_proven_channel, pending_reply
from tanggap.testing.pglocks import backend_pid, waits_on_a_lock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and their order exist on PostgreSQL only"),
]

PHONE_ID = "106540352242922"
WA_ID = "6281234567890"


def _in_thread(errors: list, fn, *, on_exit: threading.Event):
    """A thread running `fn` on its own connection; `on_exit` is set however it ends, so the
    test never waits forever on a thread that failed early."""
    def run():
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the test reports what a thread raised
            errors.append(exc)
        finally:
            on_exit.set()
            connections.close_all()
    return threading.Thread(target=run)


def test_a_status_webhook_and_a_finishing_deliverer_both_commit(tx_desk, monkeypatch):
    now = timezone.now()
    channel = add_proven_channel(workspace=tx_desk.bpn, platform="whatsapp", handle=PHONE_ID,
                                 now=now, token="EAAG-wa-token")
    reply = pending_reply(tx_desk, channel, external_id="wamid.IN", thread_id="wa",
                          author_id=WA_ID, platform_created_at=now - timedelta(hours=1), now=now)
    prepared = delivery._prepare(reply.pk, now)  # the record is in flight, committed
    Outbound.objects.filter(pk=prepared.outbound_id).update(external_id="wamid.OUT")

    holds_message, webhook_blocked = threading.Event(), threading.Event()
    real_schedule = delivery._schedule_retry

    def schedule_after_the_webhook_blocks(*args, **kwargs):
        # Inside _finish: the message row is locked, the outbound record not yet.
        holds_message.set()
        webhook_blocked.wait()
        return real_schedule(*args, **kwargs)

    monkeypatch.setattr(delivery, "_schedule_retry", schedule_after_the_webhook_blocks)
    errors: list[Exception] = []
    finisher = _in_thread(errors, lambda: delivery._finish(
        prepared, delivery._Retry("HTTP 503", wait=5.0, ambiguous=False), now),
        on_exit=holds_message)
    webhook_pid: list[int] = []
    pid_known = threading.Event()

    def webhook():
        webhook_pid.append(backend_pid())
        pid_known.set()
        with transaction.atomic():
            apply_status(channel=channel, now=now, update=StatusUpdate(
                platform="whatsapp", account_id=PHONE_ID, external_id="wamid.OUT",
                status="delivered"))

    status = _in_thread(errors, webhook, on_exit=pid_known)
    finisher.start()
    holds_message.wait()
    status.start()
    pid_known.wait()
    # The webhook blocks on a row the finisher holds: wait until PostgreSQL says so (it cannot
    # finish first, so this loop ends by one or the other).
    while status.is_alive() and not waits_on_a_lock(webhook_pid[0]):
        pass
    blocked = status.is_alive()
    webhook_blocked.set()
    finisher.join()
    status.join()

    assert blocked, "the status webhook never waited for the finisher's lock"
    assert errors == []
    record = Outbound.objects.get(pk=prepared.outbound_id)
    stored = Message.objects.get(pk=reply.pk)
    # The attempt's retry is recorded, then the webhook's status on top of it.
    assert (record.state, record.error, record.platform_status) == ("retry", "HTTP 503",
                                                                      "delivered")
    assert (stored.delivery_status, stored.external_id) == ("sent", "wamid.OUT")
