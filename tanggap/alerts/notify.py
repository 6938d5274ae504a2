"""What other rooms call to alert members: `notify`, inside their own transaction.

    notify(workspace=ws, user_ids={…}, kind=AlertKind.SLA_BREACH, title=…, body=…, url=…,
           now=now, reachable={…})

One Notification row per member is written in the caller's transaction, and the delivery task is
queued after commit (pushes, then mail as the fallback). A member inside their quiet hours gets
the row marked `quiet` and nothing is sent, unless they are in `reachable` (on duty or on call
now: they agreed to be reached), so a night shift is woken and the rest of the team is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db import transaction

from tanggap.alerts.models import AlertPreference, Notification, NotificationState


def in_quiet_hours(start: time | None, end: time | None, local: time) -> bool:
    """Whether `local` falls in [start, end), a span that may cross midnight (22:00-06:00)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def notify(*, workspace, user_ids: Iterable[int], kind: str, title: str, body: str, url: str,
           now: datetime, reachable: Iterable[int] = ()) -> list[Notification]:
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    reachable = set(reachable)
    local = now.astimezone(ZoneInfo(workspace.time_zone)).time()
    quiet = {p.user_id for p in AlertPreference.objects.filter(user_id__in=user_ids)
             if in_quiet_hours(p.quiet_start, p.quiet_end, local)} - reachable
    made = [Notification.objects.create(
        workspace_id=workspace.pk, user_id=user_id, kind=kind, title=title[:200],
        body=body[:500], url=url[:300], created_at=now,
        state=NotificationState.QUIET if user_id in quiet else NotificationState.PENDING)
        for user_id in user_ids]
    pending = [n.pk for n in made if n.state == NotificationState.PENDING]
    if pending:
        transaction.on_commit(lambda: _enqueue(pending))
    return made


def _enqueue(ids: list[int]) -> None:
    from tanggap.alerts.tasks import deliver_notification

    for notification_id in ids:
        deliver_notification.enqueue(notification_id)
