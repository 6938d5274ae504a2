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
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F

from tanggap.cases.actions import ingest_inbound
from tanggap.conf import groupcommit, statements
from tanggap.conf.taskqueue import enqueue_with_transaction
from tanggap.connectors.actions.outbound import apply_echo, apply_status
from tanggap.connectors.models import (
    ChannelAccount,
    FailedWebhookEvent,
    IntakeQueue,
    WebhookDelivery,
)
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
        # A burst of webhooks shares one transaction per batch on SQLite
        # (tanggap.conf.groupcommit); each is acknowledged only after its own commit.
        delivery = groupcommit.run(lambda: _store(source, body, digest, now))
    except IntegrityError as exc:
        return _stored_before(digest, exc)
    return Receipt(delivery.pk, True)


def _store(source: str, body: bytes, digest: str, now: datetime) -> WebhookDelivery:
    delivery = statements.insert(WebhookDelivery(
        source=source, body=body, body_sha256=digest, received_at=now))
    queue_drain(source)
    return delivery


def _stored_before(digest: str, error: IntegrityError) -> Receipt:
    """After an IntegrityError storing a body: the very same bytes again (Meta retried, or
    someone replays) are stored once and acknowledged again. Any other constraint is not a
    redelivery: it is raised again and fails the request (no 200, so the platform sends it
    again)."""
    existing = WebhookDelivery.objects.only("id").filter(body_sha256=digest).first()
    if existing is None:
        raise error
    return Receipt(existing.pk, False)


def queue_drain(source: str, *, force: bool = False) -> None:
    """Inside the caller's transaction: make sure a drain of `source` is queued."""
    # The row lock orders us against a drain clearing the flag (Postgres); on SQLite writers
    # are serialised anyway.
    # Asked by every webhook intake (precompiled, tanggap.conf.statements); after the first of a
    # burst it answers "queued" and nothing more is written.
    found = _locked_intake_queue(source)
    if not found:
        # The source's first webhook: a burst's first few arrive together, and each would insert
        # the row. ON CONFLICT DO NOTHING lets one insert it; the others wait for its commit and
        # then read its row (a plain INSERT failed them with an IntegrityError: a 500).
        IntakeQueue.objects.bulk_create([IntakeQueue(source=source, drain_queued=False)],
                                        ignore_conflicts=True)
        found = _locked_intake_queue(source)
    if found[0].drain_queued and not force:
        return
    IntakeQueue.objects.filter(source=source).update(drain_queued=True)
    from tanggap.connectors.tasks import drain_webhooks

    enqueue_with_transaction(drain_webhooks, source)


def _locked_intake_queue(source: str) -> list[IntakeQueue]:
    return statements.rows(IntakeQueue, f"{statements.column(IntakeQueue, 'source')} = %s",
                           [source], tail="LIMIT 1" + (
                               " FOR UPDATE" if connection.features.has_select_for_update
                               else ""))


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
                             ticks=time.monotonic, helper: bool = False) -> DrainResult:
    """Process stored deliveries of `source`, oldest first, each in its own transaction.

    `clock` gives the `now` each delivery is stored with; `ticks` (a monotonic clock) and `pause`
    pace the parsing during a burst; tests inject all three.

    Clears the queued flag first, so a body stored after our last look queues the next drain.
    A bad event fails alone (process_webhook_delivery). A delivery whose processing raises as a
    whole (the database went away, a bug outside any one event) is noted on it and skipped, so
    one poison body cannot stall the queue; the sweep offers it again later, and after
    CONNECTORS_WEBHOOK_MAX_ATTEMPTS runs it is dead-lettered (dead_letter_delivery). After
    `limit` deliveries we queue a successor and stop, so other tasks (replies) are not starved.

    Several drains of one source can run at once on PostgreSQL: each locks a delivery with SKIP
    LOCKED and passes over those another drain holds. A drain that finds a backlog of at least
    CONNECTORS_DRAIN_FANOUT_AT queues CONNECTORS_DRAIN_TASKS - 1 `helper` drains, which neither
    clear the queued flag nor queue successors (the queued drain's chain does both), so a burst
    is parsed by as many workers as there are. On SQLite one writer at a time makes that
    pointless: CONNECTORS_DRAIN_TASKS is 1 there.
    """
    if not helper:
        IntakeQueue.objects.filter(source=source).update(drain_queued=False)
        _fan_out(source)
    processed, failed, after = 0, [], 0
    newest_seen, seen_at = None, None
    while processed < limit:
        # Oldest first, each looked at once: what fails here is the sweep's to offer again, and
        # a body committed after our flag was cleared has queued the next drain.
        ids = list(WebhookDelivery.objects.filter(source=source, processed_at__isnull=True,
                                                  dead_at__isnull=True, pk__gt=after)
                   .order_by("id").values_list("id", flat=True)[:50])
        if not ids:
            return DrainResult(processed, failed, False)
        newest_seen, seen_at = _yield_to_a_burst(source, newest_seen, seen_at, now=ticks(),
                                                 pause=pause)
        for delivery_id in ids:
            after = delivery_id
            try:
                if process_webhook_delivery(delivery_id=delivery_id, now=clock(),
                                            skip_locked=True) is None:
                    continue  # another drain holds it (or just finished it): its work

            except Exception as exc:
                logger.exception("webhook delivery %s could not be processed", delivery_id)
                failed.append(delivery_id)
                _count_failure(delivery_id, exc, clock())
            processed += 1
            if processed >= limit:
                break
    if not helper:
        with transaction.atomic():
            queue_drain(source, force=True)
    return DrainResult(processed, failed, True)


def _fan_out(source: str) -> int:
    """Queue helper drains for a large backlog (PostgreSQL); how many were queued."""
    helpers = settings.CONNECTORS_DRAIN_TASKS - 1
    if helpers < 1 or not connection.features.has_select_for_update_skip_locked:
        return 0
    backlog = (WebhookDelivery.objects.filter(source=source, processed_at__isnull=True,
                                              dead_at__isnull=True)
               [:settings.CONNECTORS_DRAIN_FANOUT_AT].count())
    if backlog < settings.CONNECTORS_DRAIN_FANOUT_AT:
        return 0
    from tanggap.connectors.tasks import drain_webhooks

    with transaction.atomic():
        for _ in range(helpers):
            enqueue_with_transaction(drain_webhooks, source, True)
    return helpers


def _count_failure(delivery_id: int, exc: Exception, now: datetime) -> None:
    error = f"processing failed: {exc!r}"[:500]
    WebhookDelivery.objects.filter(pk=delivery_id).update(attempts=F("attempts") + 1,
                                                          error=error)
    attempts = WebhookDelivery.objects.filter(pk=delivery_id).values_list(
        "attempts", flat=True).first() or 0
    if attempts >= settings.CONNECTORS_WEBHOOK_MAX_ATTEMPTS:
        try:
            dead_letter_delivery(delivery_id=delivery_id, reason=error, now=now)
        except Exception:
            # Still failing (the database?): it stays counted, and the next drain tries again.
            logger.exception("webhook delivery %s could not be dead-lettered", delivery_id)


# What stops a whole delivery rather than one event: the database is unavailable (retrying
# later may work for every event), not the event's content.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


@dataclass
class ProcessResult:
    stored: int = 0
    duplicates: int = 0
    statuses: int = 0
    skipped: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)


class Router:
    """The active channel of a platform account, by the account id its token proved (looked up
    once per delivery). Web and demo channels have none, so they never receive a platform's
    webhooks, whatever their handle."""

    def __init__(self) -> None:
        self.channels: dict[tuple[str, str], ChannelAccount | None] = {}

    def channel(self, platform: str, account_id: str) -> ChannelAccount | None:
        key = (platform, account_id)
        if key not in self.channels:
            self.channels[key] = ChannelAccount.objects.filter(
                platform=platform, account_id=account_id, is_active=True,
                simulated=False).exclude(account_id="").first()
        return self.channels[key]

    def seen(self) -> list[int]:
        return [c.pk for c in self.channels.values() if c is not None]


def process_webhook_delivery(*, delivery_id: int, now: datetime,
                             skip_locked: bool = False) -> ProcessResult | None:
    """Parse one stored delivery and store what it says, in one transaction, each event in a
    savepoint of its own.

    None if it was processed already (or, with `skip_locked`, another drain is processing it).
    A malformed body is marked processed with its error (it
    will never parse better); an unknown account is noted and its events dropped, since nobody
    in this desk asked for them. An event that cannot be stored (a text the database refuses, a
    parser or ingest bug) is rolled back alone and kept as a FailedWebhookEvent of its channel
    with the reason (a dead letter its admins can retry); the other events are stored. Only an
    unavailable database fails the delivery as a whole (it is retried later).
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(
                skip_locked=skip_locked
                and connection.features.has_select_for_update_skip_locked)
            .filter(pk=delivery_id, processed_at__isnull=True)
            .first()
        )
        if delivery is None:
            return None  # processed already, or (skip_locked) another drain holds it
        result = ProcessResult()
        try:
            raws = meta.split(json.loads(bytes(delivery.body).decode("utf-8")))
        except (ValueError, UnicodeDecodeError) as exc:
            result.problems.append(f"malformed: {exc}")
            raws = []
        router = Router()
        for raw in raws:
            for event_id, reason in process_raw_event(raw, router=router, now=now,
                                                      result=result):
                _dead_letter(delivery, raw, router, event_id, reason, now, result)
        seen = router.seen()
        if seen:
            ChannelAccount.objects.filter(pk__in=seen).update(last_webhook_at=now)
        delivery.processed_at = now
        delivery.attempts += 1
        delivery.stored_messages = result.stored
        delivery.error = "; ".join(result.problems)[:500]
        delivery.save(update_fields=["processed_at", "attempts", "stored_messages", "error"])
        return result


def process_raw_event(raw: meta.RawEvent, *, router: Router, now: datetime,
                      result: ProcessResult) -> list[tuple[str, str]]:
    """Store what one raw event says, inside the caller's transaction; each parsed event in a
    savepoint. Returns the (event id, reason) of what could not be stored."""
    try:
        events = raw.parse()
    except DATABASE_UNAVAILABLE:
        raise
    except Exception as exc:
        return [("", f"could not be read: {type(exc).__name__}: {exc}")]
    failures = []
    for event in events:
        if isinstance(event, Skipped):
            result.skipped += 1
            continue
        channel = router.channel(event.platform, event.account_id)
        if channel is None:
            problem = f"no active {event.platform} channel {event.account_id}"
            if problem not in result.problems:
                result.problems.append(problem)
            continue
        try:
            with transaction.atomic():
                _store_event(channel, event, now, result)
        except DATABASE_UNAVAILABLE:
            raise
        except UnstorableEvent as exc:
            failures.append((getattr(event, "external_id", ""), f"refused: {exc}"))
        except Exception as exc:
            logger.warning("a %s webhook event of channel %s could not be stored: %r",
                           event.platform, channel.pk, exc)
            failures.append((getattr(event, "external_id", ""),
                             f"could not be stored: {type(exc).__name__}: {exc}"))
    return failures


def _store_event(channel, event, now: datetime, result: ProcessResult) -> None:
    if isinstance(event, InboundMessage):
        _store_inbound(channel, event, now, result)
    elif isinstance(event, StatusUpdate):
        result.statuses += apply_status(channel=channel, update=event, now=now)
    elif isinstance(event, Echo):
        apply_echo(channel=channel, echo=event, now=now)


def _dead_letter(delivery, raw: meta.RawEvent, router: Router, event_id: str, reason: str,
                 now: datetime, result: ProcessResult) -> None:
    result.failed += 1
    channel = router.channel(raw.platform, raw.account_id)
    if channel is None:
        problem = f"an event for no active {raw.platform} channel {raw.account_id} {reason}"
        result.problems.append(problem[:300])
        return
    FailedWebhookEvent.objects.create(
        delivery=delivery, channel=channel, raw=json.dumps(raw.envelope), event_id=event_id[:200],
        reason=reason[:500], created_at=now, updated_at=now)
    result.problems.append(f"{raw.platform} {event_id or 'event'}: {reason}"[:300])


def dead_letter_delivery(*, delivery_id: int, reason: str, now: datetime) -> int:
    """Give up on a delivery whose processing raised CONNECTORS_WEBHOOK_MAX_ATTEMPTS times: each
    of its events for one of our channels becomes a FailedWebhookEvent of that channel (its
    admins can retry it once the cause is fixed), and the delivery is marked dead, keeping its
    body. Returns how many events were kept."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update()
                    .filter(pk=delivery_id, processed_at__isnull=True, dead_at__isnull=True)
                    .first())
        if delivery is None:
            return 0
        try:
            raws = meta.split(json.loads(bytes(delivery.body).decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            raws = []
        router, kept = Router(), 0
        why = f"the delivery failed {delivery.attempts} times: {reason}"[:500]
        for raw in raws:
            channel = router.channel(raw.platform, raw.account_id)
            if channel is not None:
                FailedWebhookEvent.objects.create(
                    delivery=delivery, channel=channel, raw=json.dumps(raw.envelope),
                    reason=why, created_at=now, updated_at=now)
                kept += 1
        delivery.dead_at = now
        delivery.save(update_fields=["dead_at"])
    logger.error("webhook delivery %s dead-lettered after %s attempts (%d events kept for their "
                 "channels): %s", delivery_id, delivery.attempts, kept, reason)
    return kept


def _store_inbound(channel, event: InboundMessage, now: datetime, result: ProcessResult) -> None:
    try:
        outcome = ingest_inbound(
            channel=channel, external_id=event.external_id, author_id=event.author_id,
            author_name=event.author_name, text=event.text, thread_id=event.thread_id,
            attachments=event.attachments, platform_created_at=event.created_at, now=now,
            truncate=True,
        )
    except InvalidInput as exc:
        # The platform sent something the desk's rules refuse (cases.cleaning: an unpaired
        # surrogate or NUL, nothing visible, an id over 200 characters): it fails alone, as a
        # dead letter with the reason.
        raise UnstorableEvent(str(exc.message)) from None
    if outcome.created:
        result.stored += 1
        if event.text_pending:
            # The words are fetched by a task of their own after this body commits: a platform
            # call inside the drain's transaction would hold its locks for seconds.
            enqueue_text_fetch_on_commit(outcome.message.pk)
    else:
        result.duplicates += 1


class UnstorableEvent(Exception):
    pass


def enqueue_text_fetch_on_commit(message_id: int) -> None:
    def enqueue() -> None:
        from tanggap.connectors.tasks import fetch_mention_text

        fetch_mention_text.enqueue(message_id)

    transaction.on_commit(enqueue)
