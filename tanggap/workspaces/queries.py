"""Reads about accounts: who needs a second factor, who is a machine, a workspace's members with
their tokens and lockouts (the members page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tanggap.audit.models import AuditEvent
from tanggap.workspaces.models import (
    SECOND_FACTOR_ROLES,
    ApiToken,
    Membership,
    Role,
)


def requires_second_factor(user) -> bool:
    """An admin or supervisor anywhere must log in with a second factor."""
    return Membership.objects.filter(user=user, role__in=SECOND_FACTOR_ROLES).exists()


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device is not None else 0


def is_machine_account(user) -> bool:
    """An integration account: it posts inbound messages with a token and never logs in."""
    return Membership.objects.filter(user=user, role=Role.INTEGRATION).exists()


@dataclass
class MemberRow:
    membership: Membership
    tokens: list[ApiToken] = field(default_factory=list)
    second_factor: bool = False
    locked_out: bool = False
    # Workspaces the member also belongs to where the viewing admin is not an admin: account-wide
    # actions (deactivate, password, tokens, second factor) are refused there.
    elsewhere: bool = False


def member_rows(*, workspace_id: int, admin_user, now: datetime) -> list[MemberRow]:
    memberships = list(Membership.objects.filter(workspace_id=workspace_id)
                       .select_related("user").order_by("user__username"))
    user_ids = [m.user_id for m in memberships]
    locked = locked_usernames([m.user.username for m in memberships], now)
    rows = {m.user_id: MemberRow(m, locked_out=m.user.username in locked) for m in memberships}
    for token in ApiToken.objects.filter(user_id__in=user_ids).order_by("created_at", "pk"):
        rows[token.user_id].tokens.append(token)
    for user_id in TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list(
            "user_id", flat=True):
        rows[user_id].second_factor = True
    administered = set(Membership.objects.filter(user=admin_user, role=Role.ADMIN)
                       .values_list("workspace_id", flat=True))
    for user_id in (Membership.objects.filter(user_id__in=user_ids)
                    .exclude(workspace_id__in=administered).values_list("user_id", flat=True)):
        rows[user_id].elsewhere = True
    return list(rows.values())


def administers_every_workspace_of(admin_user, user) -> bool:
    administered = Membership.objects.filter(user=admin_user, role=Role.ADMIN).values(
        "workspace_id")
    return not Membership.objects.filter(user=user).exclude(
        workspace_id__in=administered).exists()



def locked_usernames(usernames, now: datetime) -> set[str]:
    """Which of these usernames are locked out from some address right now (django-axes)."""
    return set(AccessAttempt.objects.filter(
        username__in=list(usernames), failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=now - settings.AXES_COOLOFF_TIME,
    ).values_list("username", flat=True))


ACCOUNT_EVENT_PREFIXES = ("member.", "user.", "token.", "login.", "second_factor.")


def account_events(workspace_id: int, limit: int = 50) -> list[AuditEvent]:
    """The latest audit events about this workspace's accounts, newest first."""
    prefixes = Q()
    for prefix in ACCOUNT_EVENT_PREFIXES:
        prefixes |= Q(action__startswith=prefix)
    return list(AuditEvent.objects.filter(prefixes, workspace_id=workspace_id)
                .select_related("actor").order_by("-id")[:limit])
