"""Writes of outbound records from what a platform reports about our sends (status webhooks,
echoes). The message's shown status is written by cases.actions.record_delivery_update.

Lock order: every path that locks both rows of a send locks the message row first, then its
outbound record (the deliverer's prepare and finish do too). A status webhook that locked the
record first could deadlock on PostgreSQL with a deliverer finishing the same send
(docs/architecture.md, "Lock order")."""

from __future__ import annotations

from datetime import datetime

from tanggap.cases.actions import record_delivery_update
from tanggap.cases.models import DeliveryStatus, Message
from tanggap.connectors.models import Outbound, OutboundState
from tanggap.connectors.platforms.base import Echo, StatusUpdate

# WhatsApp statuses can arrive out of order; only ever move forward.
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def _locked(channel, **match) -> Outbound | None:
    """The outbound record of ours that matches, with its message; both rows locked in the one
    order (message, then record). The record's message never changes, so finding it unlocked
    first is safe; its other fields are read again under the lock."""
    found = (Outbound.objects.filter(channel=channel, **match)
             .values_list("pk", "message_id").first())
    if found is None:
        return None
    record_id, message_id = found
    message = Message.objects.select_for_update().get(pk=message_id)
    record = Outbound.objects.select_for_update().get(pk=record_id)
    record.message = message
    return record


def apply_status(*, channel, update: StatusUpdate, now: datetime) -> int:
    """Record what the platform says became of one of our sends; 1 if it changed anything."""
    record = _locked(channel, external_id=update.external_id)
    if record is None and update.key:
        # An attempt timed out before we learnt the platform id; the key identifies it.
        record = _locked(channel, idempotency_key=update.key)
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
    record = _locked(channel, idempotency_key=echo.key)
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
