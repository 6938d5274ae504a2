"""Responsible bodies (instansi), referrals of cases to them, the bodies' updates, and incidents
(many citizens' cases about one matter).

A referral's columns are written only by referrals.actions, under the lock of its case row
(cases.actions.lock_case), so a referral and its case never disagree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BodyKind(models.TextChoices):
    INTERNAL = "internal", _("City office (SKPD)")
    EXTERNAL = "external", _("Outside partner")


class Body(models.Model):
    """A body a case can be referred to: one of the city's own offices or an outside partner."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="bodies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=BodyKind.choices)
    # Topics of the triage taxonomy (tanggap.language.TOPICS) the body answers for.
    topics = models.JSONField(default=list, blank=True)
    emails = models.JSONField(default=list, blank=True)
    whatsapp = models.CharField(max_length=30, blank=True)
    # Named liaison officers, as the desk knows them ("Bu Rina, Humas PLN UP3").
    liaison_officers = models.JSONField(default=list, blank=True)
    working_hours = models.CharField(max_length=120, blank=True)
    # Per-body time limits in working days; None takes the SP4N-LAPOR! defaults (settings).
    acknowledge_days = models.PositiveSmallIntegerField(null=True, blank=True)
    follow_up_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # An internal body that runs its own Tanggap desk: referrals open a linked case there.
    linked_workspace = models.ForeignKey("workspaces.Workspace", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    # Accounts with the liaison role who answer this body's referrals when logged in.
    liaisons = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="body_name_once")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    TERKIRIM = "terkirim", _("Sent, not acknowledged")
    DITERIMA = "diterima", _("Acknowledged")
    DIPROSES = "diproses", _("In progress")
    SELESAI = "selesai", _("Resolved")
    BUKAN_WEWENANG = "bukan_wewenang", _("Not their responsibility")
    DITARIK = "ditarik", _("Withdrawn")


OPEN_REFERRAL_STATUSES = (ReferralStatus.TERKIRIM, ReferralStatus.DITERIMA,
                          ReferralStatus.DIPROSES)
# What a body may answer on its liaison page.
BODY_ANSWERS = (ReferralStatus.DITERIMA, ReferralStatus.DIPROSES, ReferralStatus.SELESAI,
                ReferralStatus.BUKAN_WEWENANG)


class EmailState(models.TextChoices):
    NONE = "", _("No e-mail address")
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, retrying")
    GAVE_UP = "gave_up", _("Failed")


class Referral(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="referrals")
    incident = models.ForeignKey("Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="referrals")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices,
                              default=ReferralStatus.TERKIRIM)
    note = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Deadlines in the workspace's working calendar (tanggap.calendar), fixed when referred.
    acknowledge_due_at = models.DateTimeField()
    follow_up_due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The liaison link: signed over (id, nonce); a new nonce voids every earlier link.
    link_nonce = models.CharField(max_length=40)
    link_expires_at = models.DateTimeField()
    email_state = models.CharField(max_length=10, choices=EmailState.choices, blank=True,
                                   default=EmailState.NONE)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True)
    # The body's own desk (an internal body with a workspace): the case opened there.
    linked_case = models.ForeignKey("cases.Case", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="referred_from")
    # The referring desk's notes when it handed the conversation with the citizen over to the
    # body's own desk, and when it took it back (the latest of each; the audit says only that
    # there was one: a note may quote the citizen, and the trail cannot be erased).
    hand_over_note = models.TextField(blank=True)
    take_back_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            # Two operators referring at once make one referral: the second insert fails.
            models.UniqueConstraint(
                fields=["case"], condition=Q(status__in=["terkirim", "diterima", "diproses"]),
                name="referral_one_open_per_case"),
            models.UniqueConstraint(
                fields=["case", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                name="referral_idempotency_once"),
        ]
        indexes = [models.Index(fields=["workspace", "status", "created_at"],
                                name="referral_open_idx")]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES


class ReferralUpdate(models.Model):
    """One step of a referral: the desk's sending, the body's answers. `text` is the body's
    public answer (shown on the citizen's status page); `draft` the ready reply for the citizen
    it prompted."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    text = models.TextField(blank=True)
    # Who answered: a logged-in user, or the holder of the liaison link ("via link").
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    author_label = models.CharField(max_length=200, blank=True)
    suggested_body = models.ForeignKey(Body, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    draft = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Incident(models.Model):
    """Many citizens, one matter (a burst pipe, a district without power): member cases share
    one status, one referral and one announcement."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=IncidentStatus.choices,
                              default=IncidentStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Bumped when members join or leave; an announcement made at this version is the answer.
    version = models.PositiveIntegerField(default=1)
    announced_version = models.PositiveIntegerField(default=0)


class IncidentMember(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="members")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case"], name="incident_member_once")]


class Announcement(models.Model):
    """One reply to an incident, sent to each member case as its own message."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="announcements")
    text = models.TextField()
    idempotency_key = models.CharField(max_length=100)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "idempotency_key"],
                                               name="announcement_once")]
