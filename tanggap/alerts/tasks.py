"""Background jobs of the alerts room: id in, one delivery out, safe to run twice."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone


@task()
def deliver_notification(notification_id: int) -> str | None:
    from tanggap.alerts.delivery import deliver

    return deliver(notification_id=notification_id, now=timezone.now())
