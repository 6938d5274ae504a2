"""Writes of dead letters (FailedWebhookEvent): a workspace admin retries one (its event is
processed again, as the drain would, in one transaction) or discards it. Each is an audited
action in the channel's workspace; outsiders NotFound, other members Forbidden."""

from __future__ import annotations

import json
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.connectors.access import access_failed_event_admin
from tanggap.connectors.actions.webhooks import ProcessResult, Router, process_raw_event
from tanggap.connectors.models import FailedEventState, FailedWebhookEvent
from tanggap.connectors.platforms import meta
from tanggap.errors import Conflict


def _locked(event_id, actor) -> FailedWebhookEvent:
    record = access_failed_event_admin(actor, event_id)
    record = (FailedWebhookEvent.objects.select_for_update().select_related("channel")
              .get(pk=record.pk))
    if record.state != FailedEventState.FAILED:
        raise Conflict(_("This event was already retried or discarded."))
    return record


def retry_failed_event(*, event_id, actor, now: datetime) -> FailedWebhookEvent:
    """Process the event again (after a fix, or when the cause has passed). Stored: the record
    is resolved as retried; failing again: its reason and attempts are updated and it stays."""
    with transaction.atomic():
        record = _locked(event_id, actor)
        channel = record.channel
        envelope = json.loads(record.raw)
        result = ProcessResult()
        failures = process_raw_event(
            meta.RawEvent(envelope, channel.platform, channel.account_id or channel.handle),
            router=Router(),
            now=now, result=result)
        reasons = [reason for _event, reason in failures] + result.problems
        before = {"state": record.state, "attempts": record.attempts}
        record.attempts += 1
        record.updated_at = now
        if reasons:
            record.reason = "; ".join(reasons)[:500]
            action = "webhook_event.retry_failed"
        else:
            record.state = FailedEventState.RETRIED
            record.resolved_by = actor
            action = "webhook_event.retried"
        record.save(update_fields=["attempts", "updated_at", "reason", "state", "resolved_by"])
        events.record(workspace_id=channel.workspace_id, actor=actor, action=action, now=now,
                      obj=record, before=before,
                      after={"state": record.state, "attempts": record.attempts,
                             "stored": result.stored, "duplicates": result.duplicates,
                             "statuses": result.statuses, "reason": record.reason if reasons
                             else ""})
    return record


def discard_failed_event(*, event_id, actor, now: datetime) -> FailedWebhookEvent:
    """Stop showing the event as pending: nobody will store it (the raw delivery is kept)."""
    with transaction.atomic():
        record = _locked(event_id, actor)
        before = {"state": record.state}
        record.state = FailedEventState.DISCARDED
        record.resolved_by = actor
        record.updated_at = now
        record.save(update_fields=["state", "resolved_by", "updated_at"])
        events.record(workspace_id=record.channel.workspace_id, actor=actor, now=now, obj=record,
                      action="webhook_event.discarded", before=before,
                      after={"state": record.state, "reason": record.reason})
    return record
