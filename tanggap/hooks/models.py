"""Outgoing webhooks: the HTTPS endpoints a workspace's admins register for case events, and
every delivery to them.

A delivery is made from the audit trail (tanggap.hooks.events, never from the desk's own
actions), holds the exact JSON body that is signed and sent, and is sent in order per case and
endpoint by the task worker (tanggap.hooks.delivery). Rows are written only by hooks.actions,
hooks.events and hooks.delivery.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The case events an endpoint may subscribe to, in the order a case lives them.
EVENT_TYPES = {
    "case.created": _("A case was opened"),
    "case.claimed": _("An operator claimed a case"),
    "case.answered": _("The desk answered"),
    "case.referred": _("A case was referred to a responsible body"),
    "case.resolved": _("A case was resolved (done)"),
    "case.closed": _("A case was closed"),
}


class Endpoint(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    # The signing secret, sealed like channel tokens (connectors.crypto) and shown once.
    secret_encrypted = models.TextField()
    secret_hint = models.CharField(max_length=12)
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=60, blank=True)
    failures_in_row = models.PositiveIntegerField(default=0)
    # One delivery task at a time per endpoint: when one was queued (cleared when it runs), and
    # the lease of the one running.
    drain_queued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")


class Delivery(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    case_id = models.BigIntegerField()
    # The audit event this delivery tells of: one delivery per event and endpoint.
    event_id = models.BigIntegerField()
    event_type = models.CharField(max_length=30)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices,
                             default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status = models.CharField(max_length=60, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"],
                                               name="delivery_once_per_event")]
        indexes = [models.Index(fields=["endpoint", "state", "id"], name="delivery_queue_idx")]
