"""Accounts as a whole: deactivate and reactivate a user, set or change a password.

Every path that sets a password runs Django's full validator set (AUTH_PASSWORD_VALIDATORS). A
password set by someone else, a deactivation and a reactivation end the user's logins (their
session rows are deleted, their open inboxes told to close), so a stolen session does not outlive
the response to its theft.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.errors import Conflict, InvalidInput
from tanggap.workspaces import ports
from tanggap.workspaces.events import record_for_user
from tanggap.workspaces.models import ApiToken, Membership, Role
from tanggap.workspaces.rules import lock_workspaces, refuse_if_last_admin, validate_new_password
from tanggap.workspaces.sessions import end_sessions


def _locked_user(user_id: int):
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise InvalidInput(_("No such user."))
    return user


def _is_machine(user) -> bool:
    return Membership.objects.filter(user=user, role=Role.INTEGRATION).exists()


def deactivate_user(*, user_id: int, actor, now: datetime) -> dict:
    """The user can no longer log in or use a token; their logins end, their tokens are revoked,
    the cases they hold are released in every workspace. Returns what was done."""
    with transaction.atomic():
        workspace_ids = list(Membership.objects.filter(user_id=user_id)
                             .values_list("workspace_id", flat=True))
        lock_workspaces(workspace_ids)
        user = _locked_user(user_id)
        if not user.is_active:
            raise Conflict(_("%(username)s is already deactivated.") % {"username": user.username})
        memberships = list(Membership.objects.filter(user=user).select_related("workspace", "user"))
        for membership in memberships:
            refuse_if_last_admin(membership)
        user.is_active = False
        user.save(update_fields=["is_active"])
        prefixes = sorted(ApiToken.objects.filter(user=user).values_list("prefix", flat=True))
        ApiToken.objects.filter(user=user).delete()
        sessions = end_sessions(user_id=user.pk, now=now)
        released = 0
        for membership in memberships:
            count = ports.release_claims(holder_id=user.pk, workspace_id=membership.workspace_id,
                                         actor=actor, now=now)
            released += count
            record_for_user(user=user, actor=actor, action="user.deactivated", now=now,
                            workspace_ids=[membership.workspace_id],
                            after={"revoked_tokens": prefixes, "ended_sessions": sessions,
                                   "released_cases": count})
        ports.recheck_sessions_on_commit(user.pk)
    return {"tokens": len(prefixes), "sessions": sessions, "released": released}


def reactivate_user(*, user_id: int, actor, now: datetime) -> None:
    """The user may log in again with their password (tokens revoked at deactivation stay gone)."""
    with transaction.atomic():
        user = _locked_user(user_id)
        if user.is_active:
            raise Conflict(_("%(username)s is active.") % {"username": user.username})
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_for_user(user=user, actor=actor, action="user.reactivated", now=now)


def set_password(*, user_id: int, password: str, actor, now: datetime) -> int:
    """Set the password of a user (an admin's or the server operator's act); every login of the
    user ends. Returns how many sessions ended."""
    with transaction.atomic():
        user = _locked_user(user_id)
        if _is_machine(user):
            raise Conflict(_("%(username)s is an integration account: it has no password and "
                             "never logs in.") % {"username": user.username})
        validate_new_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions = end_sessions(user_id=user.pk, now=now)
        record_for_user(user=user, actor=actor, action="user.password_set", now=now,
                        after={"ended_sessions": sessions})
        ports.recheck_sessions_on_commit(user.pk)
    return sessions


def change_own_password(*, user_id: int, old_password: str, new_password: str, now: datetime,
                        keep_session: str | None) -> int:
    """The user changes their own password, proving the old one; their other logins end, the one
    keyed `keep_session` stays (the caller refreshes its hash)."""
    with transaction.atomic():
        user = _locked_user(user_id)
        if not user.check_password(old_password or ""):
            raise InvalidInput(_("The current password is wrong."))
        if new_password == old_password:
            raise InvalidInput(_("The new password must differ from the current one."))
        validate_new_password(new_password, user)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        sessions = end_sessions(user_id=user.pk, now=now, keep=keep_session)
        record_for_user(user=user, actor=user, action="user.password_changed", now=now,
                        after={"ended_sessions": sessions})
        ports.recheck_sessions_on_commit(user.pk)
    return sessions
