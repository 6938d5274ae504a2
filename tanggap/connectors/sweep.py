"""Recovery of stalled work: what was stored or started but never finished is queued again.

  * webhook bodies stored but never processed (the enqueue was lost, the worker died, a body
    failed on a bug): a drain of their source is queued; each is offered again at most once per
    CONNECTORS_SWEEP_AFTER_SECONDS (`requeued_at`), so a stopped worker does not pile up tasks;
  * replies still pending after that time, with no outbound record (their task never ran), a
    record in flight past its lease (the worker died mid-call), or a retry overdue by that time
    (its queued task was lost): `deliver_message` is queued, and it looks for our earlier post on
    the platform before posting again (connectors.delivery);
  * comment hide/show wishes pending or in flight past the lease: `moderate_comment` is queued;
  * Instagram mentions still showing their placeholder (the fetch task was lost, or the
    platform was unavailable): `fetch_mention_text` is queued; it gives up, visibly on the
    message, after CONNECTORS_MAX_ATTEMPTS failed runs.

Every task it queues is idempotent, so a sweep that runs twice, or beside a live worker, only
costs a few no-op tasks. Run by the periodic job `connectors.sweep` (`tanggap periodic`,
`tanggap sweep [--loop]`) or the task `sweep`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from tanggap.cases.models import DeliveryStatus, Direction, Message
from tanggap.connectors.delivery import in_flight_lease
from tanggap.connectors.models import (
    CommentModeration,
    ModerationState,
    OutboundState,
    Platform,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    webhooks: int = 0
    sources: list[str] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    moderations: list[int] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    # A part that raised: its name and the error. The other parts ran anyway.
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (f"webhooks={self.webhooks} sources={','.join(self.sources) or '-'} "
                f"replies={len(self.replies)} moderations={len(self.moderations)} "
                f"mentions={len(self.mentions)}"
                + (f" failed={','.join(self.errors)}" if self.errors else ""))


def sweep_stalled(*, now: datetime, after_seconds: int | None = None) -> SweepResult:
    """Queue again what stalled. Each part (webhooks, replies, moderations, mentions) runs on
    its own: one that raises is logged and noted in `errors`, and the others still run."""
    cutoff = now - timedelta(seconds=after_seconds or settings.CONNECTORS_SWEEP_AFTER_SECONDS)
    lease_cutoff = now - in_flight_lease()
    result = SweepResult()
    parts = {"webhooks": _webhooks, "replies": _replies, "moderations": _moderations,
             "mentions": _mentions}
    for name, part in parts.items():
        try:
            # A savepoint each: a database error in one part leaves the others' work intact.
            with transaction.atomic():
                part(result, now=now, cutoff=cutoff, lease_cutoff=lease_cutoff)
        except Exception as exc:
            logger.exception("the sweep of stalled %s failed; the other parts went on", name)
            result.errors[name] = f"{type(exc).__name__}: {exc}"[:300]
    return result


def _webhooks(result: SweepResult, *, now, cutoff, lease_cutoff) -> None:
    from tanggap.connectors.actions.webhooks import queue_drain

    stale = list(
        WebhookDelivery.objects.filter(processed_at__isnull=True, dead_at__isnull=True,
                                       received_at__lt=cutoff)
        .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lt=cutoff))
        .values_list("id", "source"))
    if stale:
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in stale]).update(requeued_at=now)
        result.sources = sorted({source for _, source in stale})
        for source in result.sources:
            queue_drain(source, force=True)
    result.webhooks = len(stale)


def _replies(result: SweepResult, *, now, cutoff, lease_cutoff) -> None:
    from tanggap.connectors.tasks import deliver_message

    result.replies = list(
        Message.objects.filter(direction=Direction.OUT, delivery_status=DeliveryStatus.PENDING,
                               created_at__lt=cutoff)
        .filter(Q(outbound__isnull=True)
                | Q(outbound__state=OutboundState.IN_FLIGHT, outbound__updated_at__lt=lease_cutoff)
                # A retry whose queued task was lost (or a backend that cannot defer tasks).
                | Q(outbound__state=OutboundState.RETRY, outbound__retry_at__lt=cutoff))
        .order_by("id").values_list("id", flat=True))
    for message_id in result.replies:
        deliver_message.enqueue(message_id)


def _moderations(result: SweepResult, *, now, cutoff, lease_cutoff) -> None:
    from tanggap.connectors.tasks import moderate_comment

    result.moderations = list(
        CommentModeration.objects.filter(updated_at__lt=cutoff).filter(
            Q(state=ModerationState.PENDING)
            | Q(state=ModerationState.IN_FLIGHT, updated_at__lt=lease_cutoff))
        .order_by("message_id").values_list("message_id", flat=True))
    for message_id in result.moderations:
        moderate_comment.enqueue(message_id)


def _mentions(result: SweepResult, *, now, cutoff, lease_cutoff) -> None:
    from tanggap.connectors.mentions import pending_placeholder
    from tanggap.connectors.tasks import fetch_mention_text

    # The prefix narrows the scan; the exact placeholder (its ids) is checked in Python.
    candidates = (
        Message.objects.filter(direction=Direction.IN, channel__platform=Platform.INSTAGRAM,
                               channel__simulated=False, external_id__startswith="mention:",
                               text__startswith="[disebut dalam ", created_at__lt=cutoff)
        .select_related("case").only("id", "external_id", "text", "case__thread_id")
        .order_by("id"))
    result.mentions = [m.pk for m in candidates if pending_placeholder(m, m.case.thread_id)]
    for message_id in result.mentions:
        fetch_mention_text.enqueue(message_id)
