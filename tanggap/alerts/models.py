"""Alerts on members' phones and in their mail: Web Push subscriptions (one per browser a member
allowed), each member's quiet hours, and the notifications sent (the outbox the delivery task
drains).

A notification is about one workspace and goes to one member: by Web Push to every browser they
subscribed, by e-mail when no push reached them (or they have no subscription) and they keep the
e-mail fallback on. A subscription the push service says is gone (404, 410) is dropped at once;
one that keeps failing is dropped after MAX_PUSH_FAILURES, so nothing is retried forever.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PushSubscription(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    # The push service's URL for this browser: a capability, so it is unique and never shown.
    endpoint = models.CharField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Failed pushes in a row (not 404/410, which drop it at once).
    failures = models.PositiveIntegerField(default=0)


class AlertPreference(models.Model):
    """A member's quiet hours (local wall clock of the workspace an alert is about) and whether
    mail stands in for a push that reached no browser. No row: no quiet hours, mail on."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    email_fallback = models.BooleanField(default=True)
    updated_at = models.DateTimeField()


class AlertKind(models.TextChoices):
    NEW_CASE = "new_case", _("A new case while the desk is unattended")
    ASSIGNED = "assigned", _("A case for you")
    SLA_WARNING = "sla_warning", _("A case about to breach its time limit")
    SLA_BREACH = "sla_breach", _("A case past its time limit")
    ESCALATION = "escalation", _("An escalation")
    NOBODY_ON_DUTY = "nobody_on_duty", _("Nobody on duty")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    PUSHED = "pushed", _("Pushed")
    EMAILED = "emailed", _("E-mailed")
    QUIET = "quiet", _("Held back: quiet hours")
    UNDELIVERED = "undelivered", _("Reached nobody")


class Notification(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=NotificationState.choices,
                             default=NotificationState.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="alerts_pending_idx")]
