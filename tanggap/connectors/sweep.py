"""Recovery of stalled work: what was stored or started but never finished is queued again.

  * webhook bodies stored but never processed (the enqueue was lost, the worker died, a body
    failed on a bug): a drain of their source is queued; each is offered again at most once per
    CONNECTORS_SWEEP_AFTER_SECONDS (`requeued_at`), so a stopped worker does not pile up tasks;
  * replies still pending after that time, with no outbound record (their task never ran) or a
    record in flight past its lease (the worker died mid-call): `deliver_message` is queued, and
    it looks for our earlier post on the platform before posting again (connectors.delivery);
  * comment hide/show wishes pending or in flight past the lease: `moderate_comment` is queued;
  * Instagram mentions still showing their placeholder (the fetch task was lost, or the
    platform was unavailable): `fetch_mention_text` is queued; it gives up, visibly on the
    message, after CONNECTORS_MAX_ATTEMPTS failed runs.

Every task it queues is idempotent, so a sweep that runs twice, or beside a live worker, only
costs a few no-op tasks. Run by `tanggap sweep [--loop]` or the task `sweep`.
"""

from __future__ import annotations

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


@dataclass
class SweepResult:
    webhooks: int = 0
    sources: list[str] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    moderations: list[int] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def sweep_stalled(*, now: datetime, after_seconds: int | None = None) -> SweepResult:
    from tanggap.connectors.actions.webhooks import queue_drain
    from tanggap.connectors.mentions import pending_placeholder
    from tanggap.connectors.tasks import deliver_message, fetch_mention_text, moderate_comment

    cutoff = now - timedelta(seconds=after_seconds or settings.CONNECTORS_SWEEP_AFTER_SECONDS)
    lease_cutoff = now - in_flight_lease()
    result = SweepResult()

    with transaction.atomic():
        stale = list(
            WebhookDelivery.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
            .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lt=cutoff))
            .values_list("id", "source"))
        if stale:
            WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in stale]).update(requeued_at=now)
            result.sources = sorted({source for _, source in stale})
            for source in result.sources:
                queue_drain(source, force=True)
        result.webhooks = len(stale)

    result.replies = list(
        Message.objects.filter(direction=Direction.OUT, delivery_status=DeliveryStatus.PENDING,
                               created_at__lt=cutoff)
        .filter(Q(outbound__isnull=True) | Q(outbound__state=OutboundState.IN_FLIGHT,
                                             outbound__updated_at__lt=lease_cutoff))
        .order_by("id").values_list("id", flat=True))
    for message_id in result.replies:
        deliver_message.enqueue(message_id)

    result.moderations = list(
        CommentModeration.objects.filter(updated_at__lt=cutoff).filter(
            Q(state=ModerationState.PENDING)
            | Q(state=ModerationState.IN_FLIGHT, updated_at__lt=lease_cutoff))
        .order_by("message_id").values_list("message_id", flat=True))
    for message_id in result.moderations:
        moderate_comment.enqueue(message_id)

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
    return result
