"""Replies held for a supervisor's approval. One row per held reply (per case and idempotency
key, so an operator's retry holds nothing twice); written only by approvals.gate and
approvals.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanggap.cases.holds import HELD


class ApprovalStatus(models.TextChoices):
    MENUNGGU = HELD, _("Waiting for approval")
    DISETUJUI = "disetujui", _("Approved and sent")
    DITOLAK = "ditolak", _("Rejected")


class HoldReason(models.TextChoices):
    WARN = "warn", _("The tone guard warned about it")
    TRAINING = "training", _("Written by a member in training")


class ReplyApproval(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    text = models.TextField()
    idempotency_key = models.CharField(max_length=100)
    base_version = models.PositiveIntegerField()
    verdict = models.CharField(max_length=10)
    findings = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=10, choices=HoldReason.choices)
    status = models.CharField(max_length=30, choices=ApprovalStatus.choices,
                              default=ApprovalStatus.MENUNGGU)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    message = models.ForeignKey("cases.Message", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "idempotency_key"],
                                               name="approval_once_per_key")]
        indexes = [models.Index(fields=["workspace", "status", "id"], name="approval_queue_idx")]
