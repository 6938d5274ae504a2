"""Reading the audit trail in order, each event once, from a cursor: how rooms above the desk
(reports' roll-ups, outgoing webhooks) follow what happened to cases without adding a write or a
queued task to the desk's hot path (an inbound message, a claim, a reply).

    from tanggap.audit import feed
    feed.read("reports.rollup", handle, now=now)

`handle(events, now)` is given the events after the reader's cursor (in id order) and prepares
the batch: it reads and computes what it needs and returns its writes (a function, or None when
there is nothing to write). The writes run in the batch's transaction, and the cursor moves past
the events in that same transaction: what the reader wrote and the cursor that says it was
written commit together or not at all, so a batch is handled exactly once even when two runners
read at the same moment (the cursor row is locked; the second waits and then sees the first
one's cursor).

Reading and preparing happen before that transaction, because on the embedded SQLite a write
transaction holds the desk's one write lock: a roll-up of 200 events prepared inside it held the
lock for 150-300 ms every 5 s, and every claim or inbound message that arrived meanwhile waited
that long (the claim's p99, docs/performance.md "Claims"). Only the writes hold it now. What a
handler prepares from stays valid until its writes: the events never change; the rows only
this reader writes (its facts) cannot change while the cursor stays where it was, which the
transaction checks first (if another reader moved it, the batch is read and prepared again,
under the lock); a case row read a moment early is no harm, since whatever changed it left an
event after this batch, and the next batch reads the case again.

Ids are drawn when a row is inserted and become visible when its transaction commits, so on
PostgreSQL an event can appear below the cursor after the cursor passed it. The ids skipped over
are kept as gaps and looked for again on every read until TANGGAP_AUDIT_FEED_GAP_SECONDS have
passed (then the id was rolled back and will never come). A gap's event arrives after later
events of other cases; events of one case never cross this way, since every action of a case
holds the case's row lock until it commits.

Never writes an audit event, and never changes one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from tanggap.audit.models import AuditEvent, FeedCursor

Writes = Callable[[], None]
Handler = Callable[[list[AuditEvent], datetime], Writes | None]

# More gaps than this means something other than transactions in flight (a bulk import rolled
# back): the oldest are given up first.
MAX_GAPS = 10_000


@dataclass(frozen=True)
class FeedRun:
    handled: int
    batches: int
    caught_up: bool
    last_id: int


def cursor(name: str) -> FeedCursor:
    found = FeedCursor.objects.filter(name=name).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return FeedCursor.objects.create(name=name)
    except IntegrityError:  # another reader created it at the same moment
        return FeedCursor.objects.get(name=name)


def backlog(name: str) -> int:
    """How many events this reader has not handled yet (gaps aside)."""
    return AuditEvent.objects.filter(pk__gt=cursor(name).last_id).count()


def read(name: str, handle: Handler, *, now: datetime, batch_size: int | None = None,
         max_batches: int | None = None,
         keep_going: Callable[[], bool] = lambda: True,
         after_batch: Callable[[], object] | None = None) -> FeedRun:
    """Hand every event after `name`'s cursor to `handle`, a batch per transaction, until caught
    up, `max_batches` were handled, or `keep_going()` says stop (a periodic job's lost lease).
    `after_batch()` runs once each batch has committed, before the next is read (the roll-up
    applies there what its batch left for later transactions: tanggap.reports.rollup)."""
    size = batch_size or settings.TANGGAP_AUDIT_FEED_BATCH
    cursor(name)
    handled = batches = 0
    last_id = 0
    while True:
        count, last_id, full = _one_batch(name, handle, now=now, size=size)
        handled += count
        batches += 1
        if after_batch is not None:
            after_batch()
        if not full:
            return FeedRun(handled, batches, True, last_id)
        if (max_batches is not None and batches >= max_batches) or not keep_going():
            return FeedRun(handled, batches, False, last_id)


@dataclass
class _Batch:
    events: list[AuditEvent]
    fresh: list[AuditEvent]
    gaps: dict[str, float]
    writes: Writes | None


def _one_batch(name: str, handle: Handler, *, now: datetime, size: int) -> tuple[int, int, bool]:
    seen = FeedCursor.objects.get(name=name)
    batch = _prepare(seen, handle, now=now, size=size)
    with transaction.atomic():
        row = FeedCursor.objects.select_for_update().get(name=name)
        if (row.last_id, row.gaps or {}) != (seen.last_id, seen.gaps or {}):
            batch = _prepare(row, handle, now=now, size=size)  # another reader went first
        if batch.writes is not None:
            batch.writes()
        if batch.fresh:
            row.last_id = batch.fresh[-1].pk
        row.gaps = batch.gaps
        row.updated_at = now
        row.save(update_fields=["last_id", "gaps", "updated_at"])
        return len(batch.events), row.last_id, len(batch.fresh) == size


def _prepare(row: FeedCursor, handle: Handler, *, now: datetime, size: int) -> _Batch:
    """The events after `row`'s cursor (and those of its gaps that appeared), the gaps left,
    and what `handle` will write for them."""
    gaps: dict[str, float] = dict(row.gaps or {})
    found_in_gaps = (list(AuditEvent.objects.filter(pk__in=[int(i) for i in gaps])
                          .order_by("pk")) if gaps else [])
    for event in found_in_gaps:
        gaps.pop(str(event.pk), None)
    fresh = list(AuditEvent.objects.filter(pk__gt=row.last_id).order_by("pk")[:size])
    expected = row.last_id + 1
    stamp = now.timestamp()
    for event in fresh:
        for missing in range(expected, event.pk):
            gaps[str(missing)] = stamp
        expected = event.pk + 1
    events = found_in_gaps + fresh
    writes = handle(events, now) if events else None
    return _Batch(events, fresh, _live_gaps(gaps, now), writes)


def _live_gaps(gaps: dict[str, float], now: datetime) -> dict[str, float]:
    oldest = now.timestamp() - settings.TANGGAP_AUDIT_FEED_GAP_SECONDS
    live = {key: seen for key, seen in gaps.items() if seen >= oldest}
    if len(live) > MAX_GAPS:
        live = dict(sorted(live.items(), key=lambda item: int(item[0]))[-MAX_GAPS:])
    return live


def mark_catch_up_queued(name: str, *, now: datetime, stale_after: timedelta) -> bool:
    """Note that a catch-up task for `name` is queued; False when one already is (queued less
    than `stale_after` ago: an older mark is from a task that was lost)."""
    cursor(name)
    free = Q(catch_up_queued_at__isnull=True) | Q(catch_up_queued_at__lt=now - stale_after)
    return FeedCursor.objects.filter(free, name=name).update(catch_up_queued_at=now) == 1


def clear_catch_up(name: str) -> None:
    FeedCursor.objects.filter(name=name).update(catch_up_queued_at=None)
