"""Background jobs of the outgoing webhooks: thin, id in, safe to run twice."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone


@task()
def deliver_endpoint(endpoint_id: int) -> str:
    """Send what is due to one endpoint, in order per case (queued by hooks.delivery.wake_due,
    at most one queued per endpoint)."""
    from tanggap.hooks.delivery import drain

    return drain(endpoint_id=endpoint_id, clock=timezone.now).summary()
