"""Audit events of accounts. A user is not a tenant row, so an event about one (deactivated, a
password set, tokens revoked, a lockout) is written in every workspace they belong to, where that
workspace's admins and auditors can read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tanggap.audit import events
from tanggap.workspaces.models import Membership


def record_for_user(*, user, actor, action: str, now: datetime,
                    after: dict[str, Any] | None = None,
                    before: dict[str, Any] | None = None,
                    workspace_ids: list[int] | None = None) -> int:
    """One event per workspace of `user` (or of `workspace_ids`); returns how many."""
    if workspace_ids is None:
        workspace_ids = list(Membership.objects.filter(user=user)
                             .values_list("workspace_id", flat=True))
    after = {"username": user.username, **(after or {})}
    for workspace_id in workspace_ids:
        events.record(workspace_id=workspace_id, actor=actor, action=action, now=now, obj=user,
                      before=before, after=after)
    return len(workspace_ids)
