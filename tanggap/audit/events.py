"""One function per audit event type. Called only inside an action's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tanggap.audit.models import AuditEvent
from tanggap.conf import statements


def record(
    *,
    workspace_id: int,
    actor,
    action: str,
    now: datetime,
    case=None,
    obj=None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    # Every action writes one of these: the precompiled INSERT (tanggap.conf.statements), its
    # parameters built from the values, without a model instance nobody reads (the ORM's
    # per-call SQL building and the instance were most of its cost). A new row only, so
    # AuditEvent.save's guard has nothing to refuse. Returns the event's id.
    return statements.insert_values(AuditEvent, {
        "workspace_id": workspace_id,
        "actor_id": actor.pk if actor is not None and actor.is_authenticated else None,
        "action": action,
        "case_id": case.pk if case is not None else None,
        "object_type": obj._meta.model_name if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "before": before or {},
        "after": after or {},
        "created_at": now,
    })
