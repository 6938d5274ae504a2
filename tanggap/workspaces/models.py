"""Workspaces (a city's desk or an SKPD's own desk), their members and API tokens.

Every tenant row in Tanggap hangs off one Workspace; nothing reads "the" workspace from settings.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Workspace(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    claim_lease_minutes = models.PositiveIntegerField(default=15)
    # Replies whose tone verdict is `warn` wait for a supervisor's approval instead of leaving
    # on the operator's own confirmation (tanggap.approvals).
    approve_warn = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    # The desk's working calendar (tanggap.calendar): its zone (WIB Asia/Jakarta, WITA
    # Asia/Makassar, WIT Asia/Jayapura), whether it keeps the government's cuti bersama, and its
    # own extra days off (DayOff). Referral time limits and SLA clocks count in it.
    time_zone = models.CharField(max_length=60, default="Asia/Jakarta")
    cuti_bersama = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class DayOff(models.Model):
    """A day the workspace does not work beyond weekends and national holidays: a regional
    holiday, a cuti bersama the library does not know yet, the city's anniversary."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="days_off")
    day = models.DateField()
    name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "day"], name="day_off_once")]
        ordering = ["day"]


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    OPERATOR = "operator", _("Operator")
    AUDITOR = "auditor", _("Auditor (read-only)")
    # A machine account (a city's own form, a WhatsApp gateway) that may only post citizens'
    # messages through POST /api/v1/inbound: no desk, no reading, no password.
    INTEGRATION = "integration", _("Integration (inbound only)")
    # An officer of a responsible body (PLN, PDAM, an SKPD) who answers the referrals of their
    # body (tanggap.referrals) and sees nothing else of the desk.
    LIAISON = "liaison", _("Liaison officer (referrals only)")


WRITER_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR})
SUPERVISING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})
# Who may put a citizen's message into the desk through the API: it appears as the citizen's own
# words on any channel, so not every desk member may (an operator could fake "the mayor").
INBOUND_ROLES = frozenset({Role.ADMIN, Role.INTEGRATION})
# Roles whose login needs a second factor (TOTP): they change who may answer and how.
SECOND_FACTOR_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # A member still learning the desk: every reply of theirs waits for a supervisor's approval.
    in_training = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique"),
        ]

    @property
    def can_read(self) -> bool:
        # Neither a machine that posts inbound messages nor a body's liaison officer reads the
        # desk.
        return self.role not in (Role.INTEGRATION, Role.LIAISON)

    @property
    def can_write(self) -> bool:
        return self.role in WRITER_ROLES

    @property
    def can_post_inbound(self) -> bool:
        return self.role in INBOUND_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_supervise(self) -> bool:
        return self.role in SUPERVISING_ROLES


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the raw token is shown once, at creation.

    Revoking deletes the row: the one indexed lookup by hash that authenticates each request then
    finds nothing, in every process at once (the inbound's lookup kept per process is dropped
    with it: AccessGeneration). The audit trail keeps the
    prefix, creation and revocation. `last_used_at` is written at most once a minute.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)


class AccessGeneration(models.Model):
    """One row whose counter moves whenever something an API token's access is read from
    changes: a token deleted (revoked) or moved, a membership added, removed or given another
    role, a user deactivated or renamed, a channel removed or moved (database triggers, migrations
    workspaces 0005 and connectors 0011, so every writer moves it: the actions, the admin, a
    script). The inbound's token lookup keeps what it read per process and reads only this
    counter on each request (workspaces.access.cached_bearer): a change committed by any process,
    on any machine sharing the database, is seen by the next request."""

    n = models.BigIntegerField(default=0)
