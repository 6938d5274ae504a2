"""Delivering an outbound message to its platform.

Only the built-in `web` channel (the citizen reads the answer on the tracking page) and the
demo's simulated channels deliver today. Real platform adapters plug in here (issue 4); until a
platform has one, a send to it fails visibly with `no_connector` rather than pretending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from tanggap.cases.models import DeliveryStatus, Message
from tanggap.connectors.models import Platform
from tanggap.live.fanout import publish_on_commit


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    external_id: str | None = None
    error: str = ""


def _deliver_locally(message: Message) -> DeliveryOutcome:
    return DeliveryOutcome(DeliveryStatus.SENT, external_id=f"local-{message.pk}")


def deliver(message: Message) -> DeliveryOutcome:
    channel = message.channel
    if channel.platform == Platform.WEB or channel.simulated:
        return _deliver_locally(message)
    return DeliveryOutcome(
        DeliveryStatus.FAILED,
        error=f"no_connector: sending to {channel.get_platform_display()} is not available yet",
    )


def deliver_message_now(*, message_id: int, now: datetime) -> DeliveryOutcome | None:
    """Deliver one pending outbound message; a no-op for one already delivered or failed."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, direction="out", delivery_status=DeliveryStatus.PENDING)
            .first()
        )
        if message is None:
            return None
        outcome = deliver(message)
        message.delivery_status = outcome.status
        message.external_id = outcome.external_id
        message.delivery_error = outcome.error
        message.save(update_fields=["delivery_status", "external_id", "delivery_error"])
        publish_on_commit(
            message.workspace_id,
            {"kind": "delivery", "case_id": message.case_id, "message_id": message.pk,
             "status": outcome.status},
        )
        return outcome
