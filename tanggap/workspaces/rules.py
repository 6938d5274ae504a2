"""Rules that several account actions share. Called inside the caller's transaction."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tanggap.errors import Conflict, InvalidInput
from tanggap.workspaces.models import Membership, Role, Workspace


def validate_new_password(password, user) -> None:
    if not isinstance(password, str) or not password:
        raise InvalidInput(_("The password must not be empty."))
    if password != password.strip() or "\x00" in password:
        raise InvalidInput(_("The password must not start or end with a space or hold a NUL."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages)) from None


def lock_workspaces(workspace_ids) -> list[Workspace]:
    """Lock the rows of these workspaces, in id order (no deadlock between two callers)."""
    return list(Workspace.objects.select_for_update().filter(pk__in=list(workspace_ids))
                .order_by("pk"))


def refuse_if_last_admin(membership: Membership) -> None:
    """Under the workspace's lock: refuse to take away the last active admin."""
    if membership.role != Role.ADMIN or not membership.user.is_active:
        return
    others = (Membership.objects.filter(workspace_id=membership.workspace_id, role=Role.ADMIN,
                                        user__is_active=True)
              .exclude(pk=membership.pk).exists())
    if not others:
        raise Conflict(
            _("%(username)s is the last admin of %(workspace)s: make someone else admin first.")
            % {"username": membership.user.username, "workspace": membership.workspace.slug})
