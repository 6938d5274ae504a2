"""Case events for outgoing webhooks, read from the audit trail (tanggap.audit.feed): each event
of a workspace becomes one delivery per endpoint of that workspace that subscribed to its type.

The desk's actions know nothing of webhooks: this reader runs in the periodic runner every
TANGGAP_HOOKS_INTERVAL_SECONDS, so an event leaves at most that long (plus the worker's poll)
after it happened. Endpoints an admin switched off, or that were switched off after persistent
failure, still get their deliveries queued: switched on again, they receive what they missed,
in order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from tanggap.audit import feed
from tanggap.audit.models import AuditEvent
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseStatus
from tanggap.hooks.models import Delivery, Endpoint

FEED = "hooks.events"
_FIXED = {"case.opened": "case.created", "case.claimed": "case.claimed",
          "case.taken_over": "case.claimed", "case.replied": "case.answered",
          "case.announced": "case.answered", "referral.created": "case.referred"}


def event_type(event: AuditEvent) -> str | None:
    """The webhook event an audit event is, or None."""
    if event.action in _FIXED:
        return _FIXED[event.action]
    status = (event.after or {}).get("status") if event.action.startswith("case.") else None
    before = (event.before or {}).get("status")
    if status in CLOSED_STATUSES and before != status:
        return "case.resolved" if status == CaseStatus.SELESAI else "case.closed"
    return None


def catch_up(*, now: datetime, keep_going=lambda: True) -> feed.FeedRun:
    return feed.read(FEED, make_deliveries, now=now, keep_going=keep_going)


def make_deliveries(events: list[AuditEvent], now: datetime) -> feed.Writes | None:
    """The feed handler: the deliveries of a batch of events, built before the batch's write
    transaction (tanggap.audit.feed says why); what it returns stores them inside it."""
    typed = [(e, event_type(e)) for e in events if e.case_id is not None]
    typed = [(e, t) for e, t in typed if t is not None]
    if not typed:
        return None
    endpoints: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in Endpoint.objects.filter(
            workspace_id__in={e.workspace_id for e, _ in typed}).select_related("workspace"):
        endpoints[endpoint.workspace_id].append(endpoint)
    if not endpoints:
        return None
    cases = {c.pk: c for c in Case.objects.filter(
        pk__in={e.case_id for e, _ in typed if e.workspace_id in endpoints}).select_related(
        "channel")}
    actors = {}
    deliveries = []
    for event, kind in typed:
        for endpoint in endpoints.get(event.workspace_id, []):
            if kind not in endpoint.events or event.case_id not in cases:
                continue
            if event.actor_id and event.actor_id not in actors:
                actors[event.actor_id] = event.actor.username
            deliveries.append(Delivery(
                endpoint=endpoint, case_id=event.case_id, event_id=event.pk, event_type=kind,
                body=body(event, kind, endpoint.workspace, cases[event.case_id],
                          actors.get(event.actor_id)),
                next_attempt_at=now, created_at=now))
    if not deliveries:
        return None

    def writes() -> None:
        # An endpoint removed since the deliveries were built gets none.
        kept = set(Endpoint.objects.filter(pk__in={d.endpoint_id for d in deliveries})
                   .values_list("pk", flat=True))
        Delivery.objects.bulk_create([d for d in deliveries if d.endpoint_id in kept],
                                     ignore_conflicts=True)

    return writes


def body(event: AuditEvent, kind: str, workspace, case: Case, actor: str | None) -> str:
    """The JSON that is signed and sent: what happened, to which case, by whom. No citizen's
    name, handle or words: an endpoint that needs them asks the API with its own token."""
    after = event.after or {}
    payload = {
        "id": f"evt_{event.pk}",
        "type": kind,
        "occurred_at": event.created_at.isoformat(),
        "workspace": {"slug": workspace.slug, "name": workspace.name},
        "case": {
            "id": case.pk, "tracking_number": case.tracking_number,
            "status": after.get("status", case.status) if kind != "case.referred" else case.status,
            "kind": case.kind, "topic": case.topic, "intent": case.intent,
            "channel": case.channel.platform, "opened_at": case.created_at.isoformat(),
            "path": f"/w/{workspace.slug}/cases/{case.pk}/",
        },
        "actor": actor,
    }
    if kind == "case.referred":
        payload["referral"] = {"id": event.object_id, "body": after.get("body"),
                               "body_id": after.get("body_id")}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
