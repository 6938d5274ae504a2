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
) -> AuditEvent:
    # Every action writes one of these: the precompiled INSERT (tanggap.conf.statements) spares
    # the ORM's per-call SQL building. A new row only, so AuditEvent.save's guard has nothing
    # to refuse.
    return statements.insert(AuditEvent(
        workspace_id=workspace_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        case=case,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        before=before or {},
        after=after or {},
        created_at=now,
    ))
