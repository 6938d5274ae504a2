"""A feed reader prepares its batch before the write transaction and writes inside it, and a
batch another reader handled in between is not handled twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from tanggap.audit import feed
from tanggap.audit.models import AuditEvent

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
NAME = "tests.feed"


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_prepared_outside_the_write_transaction_and_written_inside_it(tx_desk):
    tx_desk.inbound(now=T0)
    seen = []

    def handle(events, now):
        # On SQLite a transaction here would hold the desk's one write lock while preparing.
        seen.append(("prepare", connection.in_atomic_block, [e.pk for e in events]))
        return lambda: seen.append(("write", connection.in_atomic_block, None))

    run = feed.read(NAME, handle, now=T0)

    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    assert ids
    assert seen == [("prepare", False, ids), ("write", True, None)]
    assert (run.handled, run.caught_up, feed.cursor(NAME).last_id) == (len(ids), True, ids[-1])


@pytest.mark.django_db(transaction=True)
def test_a_batch_handled_by_another_reader_meanwhile_is_not_written_twice(tx_desk):
    tx_desk.inbound(now=T0)
    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    written = []

    def other(events, now):
        return lambda: written.append(("other", [e.pk for e in events]))

    def handle(events, now):
        if not written:
            # Another runner handles the same batch between this one's reading and its
            # transaction; this one must see the moved cursor and prepare again.
            feed.read(NAME, other, now=now)
        return lambda: written.append(("late", [e.pk for e in events]))

    run = feed.read(NAME, handle, now=T0)

    assert written == [("other", ids)]
    assert (run.handled, feed.cursor(NAME).last_id) == (0, ids[-1])
