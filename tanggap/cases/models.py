"""Contacts, cases, messages and internal notes.

A case is one conversation with one contact on one thread of one channel account. The columns
that decide "exactly one answer" (claimed_by, claim_expires_at, version, answered_by) are only
ever written by cases.actions under a row lock; see docs/architecture.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def null_free_index(field: str, name: str) -> models.Index:
    """The index of a nullable foreign key that is null on most rows (who claimed, answered or
    sent; a linked person; a handed-over conversation), over its non-null rows only. Every
    citizen message inserts rows where these are null, and a full index costs each such insert a
    B-tree write and a page in the commit; the lookups these indexes serve (`= id`, `IN`, the
    foreign key's checks) imply "not null", so SQLite and PostgreSQL still use them (migration
    0016; tanggap/cases/tests/test_query_plans.py)."""
    return models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=name)


class Contact(models.Model):
    """One citizen identity per platform account, per workspace."""

    # No index of its own: contact_identity (workspace, platform, external_id) leads with it
    # (migration 0017).
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  db_index=False)
    platform = models.CharField(max_length=20)
    external_id = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    # Set when the citizen's name and platform id were removed (retention or an erasure request,
    # tanggap/privacy); the row stays so that reports still count one citizen.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # One person writing from several accounts (X and WhatsApp): linked contacts share the id of
    # the group's first contact here (itself included); null when the contact stands alone.
    # Written only by cases.actions.link_contacts / unlink_contact, audited.
    person = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_id"], name="contact_identity"
            ),
        ]
        indexes = [null_free_index("person", "contact_person_idx")]

    def __str__(self) -> str:
        return self.display_name or self.external_id


class CaseKind(models.TextChoices):
    PERTANYAAN = "pertanyaan", _("Question")
    ADUAN = "aduan", _("Complaint")
    APRESIASI = "apresiasi", _("Appreciation")
    LAINNYA = "lainnya", _("Other")


class CaseStatus(models.TextChoices):
    BARU = "baru", _("New")
    DIKLAIM = "diklaim", _("Claimed")
    DIJAWAB = "dijawab", _("Answered")
    MENUNGGU = "menunggu", _("Waiting")
    # Passed to the body responsible (PLN, PDAM, an SKPD: tanggap.referrals) and not settled by
    # it yet. Open: it counts wherever open cases count.
    DITERUSKAN = "diteruskan", _("Referred")
    SELESAI = "selesai", _("Done")
    DITUTUP = "ditutup", _("Closed")


CLOSED_STATUSES = (CaseStatus.SELESAI, CaseStatus.DITUTUP)
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in CLOSED_STATUSES)


class Case(models.Model):
    # workspace keeps its own index although three of Meta.indexes lead with it: SQLite finds
    # "these ids of this workspace" by (workspace_id, id) in it; without it, it walked every
    # case of the workspace for four ids or more (migration 0014).
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    channel = models.ForeignKey("connectors.ChannelAccount", on_delete=models.PROTECT)
    # No index of its own: case_thread_idx leads with it and serves the same lookups (and the
    # foreign key's checks), and every index costs every insert (migration 0014).
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="cases",
                                db_index=False)
    thread_id = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=20, choices=CaseKind.choices, default=CaseKind.LAINNYA)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.BARU)
    tracking_number = models.CharField(max_length=20, unique=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change that should stop a reply drafted before it: a reply, a new holder,
    # a new citizen message, a status move. A lease renewal does not bump it.
    version = models.PositiveIntegerField(default=1)
    # Who answered since the citizen last wrote; cleared by the next inbound message.
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    # While the conversation is handed over (tanggap.referrals): the linked body's workspace,
    # whose desk answers the citizen on this case's channel; this case's own desk may not send
    # until it takes the conversation back. Null: the case's own desk speaks.
    speaking_workspace = models.ForeignKey("workspaces.Workspace", null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+",
                                           db_index=False)
    last_inbound_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Triage by the language engine (tanggap.language); an operator's correction sets
    # triage_confirmed and is kept as a TriageLabel for training.
    topic = models.CharField(max_length=40, blank=True, default="")
    intent = models.CharField(max_length=20, blank=True, default="")
    kasar = models.BooleanField(default=False)
    triage_confirmed = models.BooleanField(default=False)
    # The rules or model outputs behind topic/intent/kasar, shown beside the badges.
    triage_reasons = models.JSONField(default=list, blank=True)
    # How sure the engine was of `topic` (0..1), its three likeliest topics
    # ([{"topic", "confidence"}]) and whether it abstained: then the desk shows "perlu dicek"
    # and no topic or intent badge until an operator confirms.
    triage_confidence = models.FloatField(null=True, blank=True)
    triage_suggestions = models.JSONField(default=list, blank=True)
    triage_unsure = models.BooleanField(default=False)
    # Set when the citizen's words, names and contact details on this case were removed
    # (tanggap/privacy); dates, channel, kind, topic, status and the answer times stay.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The inbox: open cases of a workspace, oldest waiting first within status filters.
            models.Index(fields=["workspace", "status", "last_inbound_at"], name="case_inbox_idx"),
            models.Index(fields=["workspace", "last_inbound_at"], name="case_ws_waiting_idx"),
            # Newest first within a period (Open311's request list).
            models.Index(fields=["workspace", "created_at"], name="case_ws_created_idx"),
            models.Index(fields=["contact", "channel", "thread_id"], name="case_thread_idx"),
            null_free_index("claimed_by", "case_claimed_by_idx"),
            null_free_index("answered_by", "case_answered_by_idx"),
            null_free_index("speaking_workspace", "case_speaking_ws_idx"),
        ]

    def status_label(self, *, holder_active: bool) -> str:
        """The status as the desk shows it: a claim whose lease ran out is not "claimed"."""
        if self.status == CaseStatus.DIKLAIM and not holder_active:
            return str(_("Claim lapsed"))
        return self.get_status_display()

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def needs_check(self) -> bool:
        """The engine abstained on this case's topic and no operator has settled it."""
        return self.triage_unsure and not self.triage_confirmed


class Direction(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The platform may or may not have it: every attempt was cut off before its answer and
    # nobody could look (connectors.delivery). Someone checks on the platform.
    UNKNOWN = "unknown", _("Needs checking")


class Message(models.Model):
    # No index of its own: no lookup reads messages by workspace alone (a workspace's messages
    # are its cases' messages, by message_case_idx), and every message paid an entry in it
    # (migration 0018).
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  db_index=False)
    # As Case's: led by message_case_idx and message_platform_id_idx (migration 0014).
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages",
                             db_index=False)
    channel = models.ForeignKey("connectors.ChannelAccount", on_delete=models.PROTECT,
                                db_index=False)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # The platform's id: given by the platform for inbound, filled in after delivery for outbound.
    external_id = models.CharField(max_length=200, null=True, blank=True)
    text = models.TextField()
    # A citizen's text longer than TANGGAP_MAX_MESSAGE_CHARS that a platform delivered: kept
    # shortened to the limit rather than dropped, with its original length (the raw webhook
    # keeps the whole). Null: stored whole.
    truncated_from = models.PositiveIntegerField(null=True, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    attachments = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    delivery_status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    delivery_error = models.CharField(max_length=500, blank=True, default="")
    platform_created_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # The language engine's reading of an inbound message: {"intent", "topic", "kasar",
    # "confidence", "reasons"}; for an outbound one, the tone verdict it left with.
    triage = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(direction="in", external_id__isnull=False),
                name="message_platform_once",
            ),
            models.UniqueConstraint(
                fields=["case", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="message_idempotency_once",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "id"], name="message_case_idx"),
            # The duplicate check looks messages up by platform id. SQLite cannot use the partial
            # unique index for it (the query's direction is a bound parameter, not the literal
            # of the index's condition), so without this index every inbound scans the table.
            models.Index(fields=["channel", "external_id"], name="message_platform_id_idx"),
            null_free_index("sent_by", "message_sent_by_idx"),
        ]


class Note(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField()


class TriageLabel(models.Model):
    """An operator's confirmed or corrected topic/intent for a case: the desk's training data."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="labels")
    text = models.TextField()
    topic = models.CharField(max_length=40)
    intent = models.CharField(max_length=20)
    predicted_topic = models.CharField(max_length=40, blank=True)
    predicted_intent = models.CharField(max_length=20, blank=True)
    labeled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()


class TriageModel(models.Model):
    """The language model that a workspace's own corrections trained (one row per workspace),
    and the state of its retraining. Written only by cases.learning.

    `path` is the model file, relative to TANGGAP_DATA_DIR, with a random part so that a new
    model never takes an old one's name: every process compares it with the model it holds (at
    most every TANGGAP_MODEL_CHECK_SECONDS) and loads the new file when it changed.
    """

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE,
                                     related_name="+")
    version = models.PositiveIntegerField(default=0)  # 0: never trained
    path = models.CharField(max_length=300, blank=True, default="")
    trained_at = models.DateTimeField(null=True, blank=True)
    labels = models.PositiveIntegerField(default=0)  # labelled cases the model learned from
    # Cross-validated on those labels: the topic head's accuracy and macro-F1 (the intent
    # head's when every label had one topic); every head's report in `report`.
    accuracy = models.FloatField(null=True, blank=True)
    macro_f1 = models.FloatField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    # The newest TriageLabel id the current (or running) training took; newer ones count
    # towards the next retraining.
    label_mark = models.PositiveBigIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)  # a retraining waits for a worker
    training_until = models.DateTimeField(null=True, blank=True)  # a training holds this lease
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")


class CaseSearch(models.Model):
    """A case's search document: the folded, normalised words of its contact's name and handle,
    its tracking number, messages and notes (cases.search). On SQLite an FTS5 table follows it
    through triggers; on PostgreSQL a stored tsvector column and GIN indexes sit on it (migration
    0009). Written only by cases.search, inside the transactions of the actions."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    # No index of its own, as Message.workspace's (migration 0018): a search reads documents
    # by the full-text index, then their cases by id.
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+", db_index=False)
    words = models.TextField(default="", blank=True)
