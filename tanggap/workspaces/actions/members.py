"""Memberships: add a member (creating the user if new), change a role, remove a member.

A workspace's member changes are serialised on its row lock, so "the last admin cannot be removed
or demoted" holds when two admins act at once. A deactivated admin does not count as one.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.errors import Conflict, InvalidInput, NotFound
from tanggap.workspaces import ports
from tanggap.workspaces.models import SECOND_FACTOR_ROLES, Membership, Role, Workspace
from tanggap.workspaces.queries import requires_second_factor
from tanggap.workspaces.rules import lock_workspaces, refuse_if_last_admin, validate_new_password
from tanggap.workspaces.sessions import end_sessions


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidInput(_("The role must be one of: %(roles)s.")
                           % {"roles": ", ".join(Role.values)})


def _gains_second_factor(user, role: str, had_it: bool, now: datetime) -> None:
    """A user who becomes an admin or supervisor must log in again, with a second factor: their
    sessions from before were opened with a password alone."""
    if role in SECOND_FACTOR_ROLES and not had_it:
        end_sessions(user_id=user.pk, now=now)
        ports.recheck_sessions_on_commit(user.pk)


def add_member(
    *, workspace: Workspace, username: str, role: str, password: str, now: datetime,
    actor=None, full_name: str = "",
) -> Membership:
    """Create the user if new (with `password`, or none for an integration account), and make
    them a member with `role` (or change their role there)."""
    _check_role(role)
    User = get_user_model()
    username = (username or "").strip()
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(f"username {username!r}: {' '.join(exc.messages)}") from None
    if len(username) > User._meta.get_field("username").max_length:
        raise InvalidInput(_("The username is too long."))
    with transaction.atomic():
        lock_workspaces([workspace.pk])
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            first, _sep, last = (full_name or "").strip().partition(" ")
            if role == Role.INTEGRATION:
                if password:
                    raise InvalidInput(_("An integration account has no password: it posts with "
                                         "an API token and never logs in."))
                user = User.objects.create_user(username=username, password=None,
                                                first_name=first[:150], last_name=last[:150])
            else:
                if not password:
                    raise InvalidInput(_("A new user needs a password."))
                validate_new_password(password, User(username=username, first_name=first,
                                                     last_name=last))
                user = User.objects.create_user(username=username, password=password,
                                                first_name=first[:150], last_name=last[:150])
            had_second_factor = False
        else:
            if password:
                raise InvalidInput(
                    _("User %(username)s exists; their password is not changed here "
                      "(tanggap user password).") % {"username": username})
            if not user.is_active:
                raise Conflict(_("User %(username)s is deactivated; reactivate them first.")
                               % {"username": username})
            _check_machine_rule(user, role, workspace)
            had_second_factor = requires_second_factor(user)
        membership = Membership.objects.filter(workspace=workspace, user=user).first()
        if membership is not None:
            if membership.role != role:
                _change(membership, role, actor, now, had_second_factor)
            return membership
        membership = Membership.objects.create(workspace=workspace, user=user, role=role,
                                               created_at=now)
        events.record(
            workspace_id=workspace.pk, actor=actor, action="member.added", now=now,
            obj=membership, after={"username": username, "role": role},
        )
        _gains_second_factor(user, role, had_second_factor, now)
    return membership


def _check_machine_rule(user, role: str, workspace: Workspace) -> None:
    """An integration account is a machine and nothing else; a person's account never becomes
    one (it would keep the person's password and desk)."""
    memberships = Membership.objects.filter(user=user).exclude(workspace=workspace)
    machine = memberships.filter(role=Role.INTEGRATION).exists()
    person = memberships.exclude(role=Role.INTEGRATION).exists() or user.has_usable_password()
    if role == Role.INTEGRATION and person:
        raise Conflict(_("%(username)s is a person's account; an integration account must be a "
                         "new user.") % {"username": user.username})
    if role != Role.INTEGRATION and machine:
        raise Conflict(_("%(username)s is an integration account; it cannot hold a desk role.")
                       % {"username": user.username})


def _change(membership: Membership, role: str, actor, now: datetime,
            had_second_factor: bool) -> None:
    if (membership.role == Role.INTEGRATION) != (role == Role.INTEGRATION):
        raise Conflict(_("An integration account stays one, and a person's account never "
                         "becomes one: add a new user instead."))
    refuse_if_last_admin(membership)
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    events.record(
        workspace_id=membership.workspace_id, actor=actor, action="member.role_changed", now=now,
        obj=membership, before=before,
        after={"username": membership.user.username, "role": role},
    )
    _gains_second_factor(membership.user, role, had_second_factor, now)


def change_role(*, membership_id: int, role: str, actor, now: datetime) -> Membership:
    _check_role(role)
    with transaction.atomic():
        membership = _locked_membership(membership_id)
        if membership.role != role:
            _change(membership, role, actor, now, requires_second_factor(membership.user))
    return membership


def remove_member(*, membership_id: int, actor, now: datetime) -> int:
    """Remove the member from the workspace and release the cases they hold there; returns how
    many cases were released. Their account and other workspaces are untouched."""
    with transaction.atomic():
        membership = _locked_membership(membership_id)
        refuse_if_last_admin(membership)
        user = membership.user
        released = ports.release_claims(holder_id=user.pk, workspace_id=membership.workspace_id,
                                        actor=actor, now=now)
        events.record(
            workspace_id=membership.workspace_id, actor=actor, action="member.removed", now=now,
            obj=membership, before={"role": membership.role},
            after={"username": user.username, "released_cases": released},
        )
        membership.delete()
        ports.recheck_sessions_on_commit(user.pk)
    return released


def _locked_membership(membership_id: int) -> Membership:
    found = Membership.objects.filter(pk=membership_id).values_list("workspace_id", flat=True)
    workspace_ids = list(found)
    if not workspace_ids:
        raise NotFound()
    lock_workspaces(workspace_ids)
    membership = (Membership.objects.filter(pk=membership_id)
                  .select_related("user", "workspace").first())
    if membership is None:  # removed while we waited for the lock
        raise NotFound()
    return membership
