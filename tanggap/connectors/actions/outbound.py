"""Writes of outbound records from what a platform reports about our sends (status webhooks,
echoes). The message's shown status is written by cases.actions.record_delivery_update."""

from __future__ import annotations

from datetime import datetime

from tanggap.cases.actions import record_delivery_update
from tanggap.cases.models import DeliveryStatus
from tanggap.connectors.models import Outbound, OutboundState
from tanggap.connectors.platforms.base import Echo, StatusUpdate

# WhatsApp statuses can arrive out of order; only ever move forward.
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def apply_status(*, channel, update: StatusUpdate, now: datetime) -> int:
    """Record what the platform says became of one of our sends; 1 if it changed anything."""
    record = (
        Outbound.objects.select_for_update()
        .filter(channel=channel, external_id=update.external_id)
        .select_related("message")
        .first()
    )
    if record is None and update.key:
        # An attempt timed out before we learnt the platform id; the key identifies it.
        record = (
            Outbound.objects.select_for_update()
            .filter(channel=channel, idempotency_key=update.key)
            .select_related("message")
            .first()
        )
    if record is None:
        return 0  # sent from outside the desk (the WhatsApp app), nothing of ours to update
    if _STATUS_RANK.get(update.status, 0) <= _STATUS_RANK.get(record.platform_status, 0):
        return 0
    record.platform_status = update.status
    record.external_id = record.external_id or update.external_id
    record.updated_at = now
    if record.state == OutboundState.UNKNOWN:
        # A send nobody could confirm: the platform now tells what became of it.
        record.state = OutboundState.FAILED if update.status == "failed" else OutboundState.SENT
    record.save(update_fields=["platform_status", "external_id", "updated_at", "state"])
    if update.status == "failed":
        status, error = DeliveryStatus.FAILED, f"platform_failed: {update.error}"
    else:
        status, error = DeliveryStatus.SENT, ""
    record_delivery_update(message=record.message, status=status, platform_status=update.status,
                           error=error, external_id=update.external_id, now=now)
    return 1


def apply_echo(*, channel, echo: Echo, now: datetime) -> None:
    """A message the account sent came back: if it carries our key, remember its platform id;
    a send whose delivery was `unknown` (every answer lost, nobody could look) is sent after
    all."""
    if not echo.key.startswith("tanggap-out-"):
        return  # sent from the Page inbox or another tool
    record = (Outbound.objects.select_for_update()
              .filter(channel=channel, idempotency_key=echo.key)
              .select_related("message").first())
    if record is None:
        return
    if record.external_id is None:
        record.external_id = echo.external_id
        record.save(update_fields=["external_id"])
    if record.state == OutboundState.UNKNOWN:
        record.state, record.updated_at = OutboundState.SENT, now
        record.save(update_fields=["state", "updated_at"])
        record_delivery_update(message=record.message, status=DeliveryStatus.SENT,
                               platform_status="echoed", error="",
                               external_id=record.external_id, now=now)
