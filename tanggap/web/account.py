"""My account: change one's own password, set up an authenticator (optional for operators and
auditors, required for admins and supervisors, who set it up at their first login), renew
recovery codes. Thin views: one action each."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from tanggap.errors import DeskError
from tanggap.web.twofactor import enrolment_context
from tanggap.workspaces.access import memberships_of
from tanggap.workspaces.actions import logins, users
from tanggap.workspaces.queries import recovery_codes_left, requires_second_factor, totp_device

ACCOUNT_TOTP_KEY = "tanggap.account.totp_key"


def _context(request) -> dict:
    user = request.user
    device = totp_device(user)
    context = {
        "memberships": memberships_of(user).order_by("workspace__name"),
        "has_totp": device is not None,
        "required": requires_second_factor(user),
        "recovery_left": recovery_codes_left(user),
    }
    if device is None:
        key = request.session.get(ACCOUNT_TOTP_KEY)
        if not key:
            key = request.session[ACCOUNT_TOTP_KEY] = logins.new_totp_key()
        context.update(enrolment_context(user, key))
    return context


@login_required
@never_cache
@require_GET
def account(request):
    return render(request, "web/account.html", _context(request))


@sensitive_post_parameters("old_password", "new_password", "new_password2")
@login_required
@require_POST
def change_password(request):
    post = request.POST
    try:
        if post.get("new_password", "") != post.get("new_password2", ""):
            raise DeskError(_("The two new passwords differ."))
        users.change_own_password(
            user_id=request.user.pk, old_password=post.get("old_password", ""),
            new_password=post.get("new_password", ""), now=timezone.now(),
            keep_session=request.session.session_key)
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        request.user.refresh_from_db(fields=["password"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Password changed. Your other logins have ended."))
    return redirect("account")


@sensitive_post_parameters("code")
@login_required
@require_POST
def enrol(request):
    key = request.session.get(ACCOUNT_TOTP_KEY)
    if not key:
        messages.error(request, _("Scan the code on this page first."))
        return redirect("account")
    try:
        codes = logins.enrol_totp(user_id=request.user.pk, key_hex=key,
                                  code=request.POST.get("code", ""), now=timezone.now())
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return redirect("account")
    request.session.pop(ACCOUNT_TOTP_KEY, None)
    django_otp.login(request, totp_device(request.user))
    return render(request, "registration/recovery_codes.html", {"codes": codes,
                                                                "continue_to": reverse("account")})


@login_required
@require_POST
def renew_recovery(request):
    try:
        codes = logins.renew_recovery_codes(user_id=request.user.pk, now=timezone.now())
    except DeskError as exc:
        messages.error(request, str(exc.message))
        return redirect("account")
    return render(request, "registration/recovery_codes.html", {"codes": codes,
                                                                "continue_to": reverse("account")})
