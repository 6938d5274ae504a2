"""The append-only audit trail. Rows are written inside each action's transaction and never
changed: the model refuses updates and deletes, and so do database triggers (migration 0002)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60)
    # No index of its own: audit_case_idx leads with it (as Message.case, migration 0014).
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events",
        db_index=False,
    )
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["case", "id"], name="audit_case_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class FeedCursor(models.Model):
    """How far one reader of the audit trail (a room above: reports, outgoing webhooks) has got.

    Written only by audit.feed, in the reader's own transaction, so what a reader did with a
    batch and the cursor that says it did it commit together (tanggap.audit.feed)."""

    name = models.CharField(max_length=60, unique=True)
    # Every event up to this id was handled, except the ids listed in `gaps`.
    last_id = models.BigIntegerField(default=0)
    # Ids below last_id not seen when the reader passed them: {id: when first missed, epoch
    # seconds}. On PostgreSQL an id is drawn when the row is inserted and becomes visible when its
    # transaction commits, so a slower transaction can commit an id below one already read; a
    # rolled-back one leaves its id unused for ever. A gap is looked for again for
    # TANGGAP_AUDIT_FEED_GAP_SECONDS.
    gaps = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # When a catch-up task was queued for this reader and has not run yet (at most one at a time).
    catch_up_queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_id}"
