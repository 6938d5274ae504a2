"""Writes of webhook intake: storing a signed body before it is acknowledged, and draining the
stored bodies into the desk (each in its own transaction; side effects on commit)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from tanggap.cases.actions import ingest_inbound
from tanggap.connectors.actions.outbound import apply_echo, apply_status
from tanggap.connectors.models import ChannelAccount, IntakeQueue, WebhookDelivery
from tanggap.connectors.platforms import meta
from tanggap.connectors.platforms.base import Echo, InboundMessage, Skipped, StatusUpdate
from tanggap.errors import InvalidInput

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    delivery_id: int
    created: bool


def receive_webhook(*, source: str, body: bytes, now: datetime) -> Receipt:
    """Store one signed webhook body durably; the caller answers 200 only after this returns.

    One transaction, one commit: the body, and (when no drain is queued yet for this source) the
    drain task itself, so nothing is half-written: either both are stored or neither. Task
    backends outside our database (the immediate backend of tests) are enqueued on commit.

    No audit event: this is the platform's message log, not a desk decision, and it belongs to
    no workspace yet. The messages it yields are audited when the worker ingests them.
    """
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                source=source, body=body, body_sha256=digest, received_at=now)
            queue_drain(source)
    except IntegrityError:
        # The very same bytes again (Meta retried, or someone replays): stored once, ack again.
        existing = WebhookDelivery.objects.only("id").get(body_sha256=digest)
        return Receipt(existing.pk, False)
    return Receipt(delivery.pk, True)


def queue_drain(source: str, *, force: bool = False) -> None:
    """Inside the caller's transaction: make sure a drain of `source` is queued."""
    # The row lock orders us against a drain clearing the flag (Postgres); on SQLite writers
    # are serialised anyway.
    queued = IntakeQueue.objects.select_for_update().filter(source=source).values_list(
        "drain_queued", flat=True).first()
    if queued and not force:
        return
    if queued is None:
        IntakeQueue.objects.create(source=source, drain_queued=True)
    else:
        IntakeQueue.objects.filter(source=source).update(drain_queued=True)
    from tanggap.connectors.tasks import drain_webhooks

    if _tasks_in_our_database(drain_webhooks):
        drain_webhooks.enqueue(source)
    else:
        transaction.on_commit(lambda: drain_webhooks.enqueue(source))


def _tasks_in_our_database(task) -> bool:
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[task.backend], DatabaseBackend)


@dataclass(frozen=True)
class DrainResult:
    processed: int
    failed: list[int]
    more: bool


def _yield_to_a_burst(source: str, newest_seen: int | None, seen_at: float | None, *,
                      now: float, pause) -> tuple[int | None, float]:
    """While webhooks pour in faster than CONNECTORS_DRAIN_YIELD_RATE a second, step aside for
    a moment before parsing more: on a small machine parsing takes the CPU and the SQLite write
    lock that acknowledging needs, and Meta wants its 200 quickly. Parsing catches up when the
    burst ends; nothing is skipped, only later.

    `now` is a reading of a monotonic clock in seconds (the drain's `ticks`); the newest id seen
    and its reading are handed back for the next batch's comparison."""
    rate_limit = settings.CONNECTORS_DRAIN_YIELD_RATE
    newest = (WebhookDelivery.objects.filter(source=source).order_by("-id")
              .values_list("id", flat=True).first())
    if rate_limit and newest_seen is not None and newest is not None:
        elapsed = max(now - seen_at, 1e-3)
        if (newest - newest_seen) / elapsed > rate_limit:
            pause(settings.CONNECTORS_DRAIN_YIELD_SECONDS)
    return newest, now


def drain_webhook_deliveries(*, source: str, clock, limit: int, pause=time.sleep,
                             ticks=time.monotonic) -> DrainResult:
    """Process stored deliveries of `source`, oldest first, each in its own transaction.

    `clock` gives the `now` each delivery is stored with; `ticks` (a monotonic clock) and `pause`
    pace the parsing during a burst; tests inject all three.

    Clears the queued flag first, so a body stored after our last look queues the next drain.
    A delivery whose processing raises (a bug, not a bad payload) is noted on it and skipped, so
    one poison body cannot stall the queue; the sweep offers it again later. After `limit`
    deliveries we queue a successor and stop, so other tasks (replies) are not starved.
    """
    IntakeQueue.objects.filter(source=source).update(drain_queued=False)
    processed, failed = 0, []
    newest_seen, seen_at = None, None
    while processed < limit:
        ids = list(WebhookDelivery.objects.filter(source=source, processed_at__isnull=True)
                   .exclude(pk__in=failed).order_by("id").values_list("id", flat=True)[:50])
        if not ids:
            return DrainResult(processed, failed, False)
        newest_seen, seen_at = _yield_to_a_burst(source, newest_seen, seen_at, now=ticks(),
                                                 pause=pause)
        for delivery_id in ids:
            try:
                process_webhook_delivery(delivery_id=delivery_id, now=clock())
            except Exception as exc:
                logger.exception("webhook delivery %s could not be processed", delivery_id)
                failed.append(delivery_id)
                WebhookDelivery.objects.filter(pk=delivery_id).update(
                    attempts=F("attempts") + 1, error=f"processing failed: {exc!r}"[:500])
            processed += 1
            if processed >= limit:
                break
    with transaction.atomic():
        queue_drain(source, force=True)
    return DrainResult(processed, failed, True)


@dataclass
class ProcessResult:
    stored: int = 0
    duplicates: int = 0
    statuses: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def process_webhook_delivery(*, delivery_id: int, now: datetime) -> ProcessResult | None:
    """Parse one stored delivery and store what it says, all in one transaction.

    None if it was processed already. A malformed body is marked processed with its error (it
    will never parse better); an unknown account is noted and its events dropped, since nobody
    in this desk asked for them.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery_id, processed_at__isnull=True)
            .first()
        )
        if delivery is None:
            return None
        result = ProcessResult()
        try:
            parsed = meta.parse_payload(json.loads(bytes(delivery.body).decode("utf-8")))
        except (ValueError, UnicodeDecodeError) as exc:
            result.problems.append(f"malformed: {exc}")
            parsed = []
        channels: dict[tuple[str, str], ChannelAccount | None] = {}
        for event in parsed:
            if isinstance(event, Skipped):
                result.skipped += 1
                continue
            key = (event.platform, event.account_id)
            if key not in channels:
                channels[key] = ChannelAccount.objects.filter(
                    platform=event.platform, handle=event.account_id, is_active=True).first()
            channel = channels[key]
            if channel is None:
                problem = f"no active {event.platform} channel {event.account_id}"
                if problem not in result.problems:
                    result.problems.append(problem)
                continue
            if isinstance(event, InboundMessage):
                _store_inbound(channel, event, now, result)
            elif isinstance(event, StatusUpdate):
                result.statuses += apply_status(channel=channel, update=event, now=now)
            elif isinstance(event, Echo):
                apply_echo(channel=channel, echo=event, now=now)
        seen = [c.pk for c in channels.values() if c is not None]
        if seen:
            ChannelAccount.objects.filter(pk__in=seen).update(last_webhook_at=now)
        delivery.processed_at = now
        delivery.attempts += 1
        delivery.stored_messages = result.stored
        delivery.error = "; ".join(result.problems)[:500]
        delivery.save(update_fields=["processed_at", "attempts", "stored_messages", "error"])
        return result


def _store_inbound(channel, event: InboundMessage, now: datetime, result: ProcessResult) -> None:
    try:
        outcome = ingest_inbound(
            channel=channel, external_id=event.external_id, author_id=event.author_id,
            author_name=event.author_name, text=event.text, thread_id=event.thread_id,
            attachments=event.attachments, platform_created_at=event.created_at, now=now,
        )
    except InvalidInput as exc:
        result.problems.append(f"{event.platform} {event.external_id}: {exc}")
        return
    if outcome.created:
        result.stored += 1
        if event.text_pending:
            # The words are fetched by a task of their own after this body commits: a platform
            # call inside the drain's transaction would hold its locks for seconds.
            enqueue_text_fetch_on_commit(outcome.message.pk)
    else:
        result.duplicates += 1


def enqueue_text_fetch_on_commit(message_id: int) -> None:
    def enqueue() -> None:
        from tanggap.connectors.tasks import fetch_mention_text

        fetch_mention_text.enqueue(message_id)

    transaction.on_commit(enqueue)
