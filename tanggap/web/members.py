"""The members page of a workspace (/w/<slug>/members/), for its admins: who is a member, with
what role, when they last logged in, their API tokens (prefix, created, last used), their second
factor and lockouts; and the acts on them. Thin views: an accessor, one action, a redirect.

Outsiders get 404, members who are not admins 403. Acts on a whole account (deactivate,
reactivate, set a password, tokens, second factor) are refused (403) when the member also
belongs to a workspace the admin does not administer: one city's admin never takes over an
account another desk relies on.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from tanggap.errors import DeskError, Forbidden, NotFound
from tanggap.workspaces.access import access_member, access_workspace_admin
from tanggap.workspaces.actions import logins, members, tokens, users
from tanggap.workspaces.models import Role
from tanggap.workspaces.queries import (
    account_events,
    administers_every_workspace_of,
    member_rows,
)


def _or_http(fn, *args):
    try:
        return fn(*args)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None


def _member(request, slug: str, username: str, *, account_wide: bool = False):
    admin, member = _or_http(access_member, request.user, slug, username)
    if account_wide and not administers_every_workspace_of(request.user, member.user):
        raise PermissionDenied()
    return admin, member


def _run(request, slug: str, done: str, action, /, **kwargs):
    try:
        action(actor=request.user, now=timezone.now(), **kwargs)
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("members", slug=slug)


def _page(request, admin, *, status: int = 200, **extra):
    now = timezone.now()
    rows = member_rows(workspace_id=admin.workspace_id, admin_user=request.user, now=now)
    return render(request, "web/members.html", {
        "membership": admin,
        "workspace": admin.workspace,
        "rows": rows,
        "roles": Role.choices,
        "events": account_events(admin.workspace_id),
        "now": now,
        **extra,
    }, status=status)


@login_required
@never_cache
@require_GET
def member_list(request, slug):
    return _page(request, _or_http(access_workspace_admin, request.user, slug))


@login_required
@sensitive_post_parameters("password")
@require_POST
def member_add(request, slug):
    admin = _or_http(access_workspace_admin, request.user, slug)
    post = request.POST
    role = post.get("role", "")
    username = post.get("username", "").strip()
    try:
        members.add_member(workspace=admin.workspace, username=username, role=role,
                           password=post.get("password", "") if role != Role.INTEGRATION else "",
                           full_name=post.get("full_name", ""), actor=request.user,
                           now=timezone.now())
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        if role == Role.INTEGRATION:
            messages.success(request, _("%(username)s added as an integration account. Create its "
                                        "API token below.") % {"username": username})
        else:
            messages.success(request, _("%(username)s added.") % {"username": username})
    return redirect("members", slug=slug)


@login_required
@require_POST
def member_role(request, slug, username):
    _admin, member = _member(request, slug, username)
    return _run(request, slug, _("Role changed."), members.change_role,
                membership_id=member.pk, role=request.POST.get("role", ""))


@login_required
@require_POST
def member_remove(request, slug, username):
    _admin, member = _member(request, slug, username)
    return _run(request, slug, _("%(username)s removed from this workspace.")
                % {"username": username}, members.remove_member, membership_id=member.pk)


@login_required
@require_POST
def member_deactivate(request, slug, username):
    _admin, member = _member(request, slug, username, account_wide=True)
    return _run(request, slug, _("%(username)s deactivated: logins ended, tokens revoked, cases "
                                 "released.") % {"username": username},
                users.deactivate_user, user_id=member.user_id)


@login_required
@require_POST
def member_reactivate(request, slug, username):
    _admin, member = _member(request, slug, username, account_wide=True)
    return _run(request, slug, _("%(username)s may log in again.") % {"username": username},
                users.reactivate_user, user_id=member.user_id)


@login_required
@sensitive_post_parameters("password")
@require_POST
def member_password(request, slug, username):
    _admin, member = _member(request, slug, username, account_wide=True)
    return _run(request, slug, _("Password set; %(username)s's logins have ended.")
                % {"username": username}, users.set_password, user_id=member.user_id,
                password=request.POST.get("password", ""))


@login_required
@require_POST
def member_unlock(request, slug, username):
    _admin, member = _member(request, slug, username)
    return _run(request, slug, _("%(username)s may try to log in again.") % {"username": username},
                logins.unlock_login, username=member.user.username)


@login_required
@require_POST
def member_second_factor_reset(request, slug, username):
    _admin, member = _member(request, slug, username, account_wide=True)
    return _run(request, slug, _("%(username)s's authenticator was removed; they set up a new one "
                                 "at their next login.") % {"username": username},
                logins.reset_second_factor, user_id=member.user_id)


@login_required
@never_cache
@require_POST
def member_token_create(request, slug, username):
    admin, member = _member(request, slug, username, account_wide=True)
    try:
        raw = tokens.create_token(user=member.user, actor=request.user, now=timezone.now())
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return redirect("members", slug=slug)
    # Rendered, not redirected: the raw token is shown once and never stored in a session.
    return _page(request, admin, new_token=raw, new_token_for=member.user.username)


@login_required
@require_POST
def member_tokens_revoke(request, slug, username):
    _admin, member = _member(request, slug, username, account_wide=True)
    prefix = request.POST.get("prefix") or None
    return _run(request, slug, _("Tokens revoked."), tokens.revoke_tokens, user=member.user,
                prefix=prefix)
