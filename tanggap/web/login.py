"""Logging in to the desk: a password, then (for admins, supervisors and anyone who set one up)
the code of an authenticator app or a recovery code. Django's `login()` runs only after the last
step, so a session is never half logged in: there is no state in which a password alone reaches a
page, an API call or a websocket of an account that needs a second factor.

Failed passwords are counted by django-axes per (username, address); at the limit that pair is
locked out for TANGGAP_LOGIN_LOCKOUT_MINUTES with a 429 page, audited once when it starts, and an
admin (members page) or the server operator (`tanggap user unlock`) can lift it. Failed codes are
throttled per device by django-otp (the wait doubles after each failure), and the second step
expires after TANGGAP_LOGIN_STEP_SECONDS.

Integration accounts have no password and never log in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import wraps

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from tanggap.errors import DeskError
from tanggap.web.twofactor import enrolment_context
from tanggap.workspaces.actions import logins
from tanggap.workspaces.queries import (
    is_machine_account,
    recovery_codes_left,
    requires_second_factor,
    totp_device,
)

PENDING = "tanggap.login.pending"


def client_address(request) -> str | None:
    """The address axes counts failures for: REMOTE_ADDR, which ClientAddressMiddleware has set
    from X-Forwarded-For only when the proxy is trusted."""
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/login.html", {
        "form": AuthenticationForm(request),
        "locked": _("Too many failed logins for this username from this address. Try again in "
                    "%(minutes)d minutes, or ask an admin of your desk to unlock it.")
        % {"minutes": minutes},
        "next": _next(request),
    }, status=429)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""


def _pending(request, now: datetime):
    """The user whose password was right and whose second step is still open, or None."""
    state = request.session.get(PENDING)
    if not isinstance(state, dict):
        return None
    started = datetime.fromtimestamp(state.get("at", 0), tz=UTC)
    if (now - started).total_seconds() > settings.TANGGAP_LOGIN_STEP_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = get_user_model().objects.filter(pk=state.get("user"), is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
    return user


def _finish(request, user, device=None) -> None:
    state = request.session.pop(PENDING, None) or {}
    auth_login(request, user, backend=state.get("backend")
               or "django.contrib.auth.backends.ModelBackend")
    if device is not None:
        django_otp.login(request, device)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_next(request) or "home")
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        now = timezone.now()
        if form.is_valid():
            user = form.get_user()
            if is_machine_account(user):
                error = _("This is an integration account: it posts through the API with a "
                          "token and cannot log in to the desk.")
            else:
                return _after_password(request, user, now)
        elif getattr(request, "axes_failures_since_start", None) == settings.AXES_FAILURE_LIMIT:
            # This failure reached the limit: the lockout starts now (later tries only extend it).
            logins.record_lockout(username=request.POST.get("username", "")[:150],
                                  address=client_address(request), now=now)
    return render(request, "registration/login.html",
                  {"form": form, "error": error, "next": _next(request)})


def _after_password(request, user, now: datetime):
    device = totp_device(user)
    if device is None and not requires_second_factor(user):
        auth_login(request, user)
        return redirect(_next(request) or "home")
    request.session.cycle_key()
    request.session[PENDING] = {"user": user.pk, "backend": user.backend,
                                "at": now.timestamp(), "next": _next(request)}
    return redirect("login_code" if device is not None else "login_enrol")


def _pending_next(request) -> str:
    state = request.session.get(PENDING) or {}
    return state.get("next") or reverse("home")


def _second_step(view):
    """A view of the second step: it runs only while a password-checked login waits, and gets
    that user and the request's `now`."""

    @sensitive_post_parameters("code")
    @csrf_protect
    @never_cache
    @require_http_methods(["GET", "POST"])
    @wraps(view)
    def wrapper(request):
        now = timezone.now()
        user = _pending(request, now)
        if user is None:
            messages.error(request, _("Log in again: the second step has expired."))
            return redirect("login")
        return view(request, user, now)

    return wrapper


@_second_step
def login_code(request, user, now):
    error = None
    if request.method == "POST":
        device = logins.check_second_factor(user=user, code=request.POST.get("code", ""), now=now)
        if device is not None:
            target = _pending_next(request)
            _finish(request, user, device)
            if device.persistent_id.startswith("otp_static"):
                left = recovery_codes_left(user)
                messages.warning(request, _(
                    "You logged in with a recovery code; %(left)d left. Set up your phone again "
                    "or renew the codes on your account page.") % {"left": left})
            return redirect(target)
        error = _("That code is wrong or was already used. Wait for the next code and try again "
                  "(after several wrong codes the desk makes you wait longer).")
    return render(request, "registration/login_code.html", {"error": error, "pending_user": user},
                  status=200 if error is None else 400)


@_second_step
def login_enrol(request, user, now):
    """First login of an admin or supervisor without an authenticator: set one up, then in."""
    if totp_device(user) is not None:
        return redirect("login_code")
    state = request.session[PENDING]
    if not state.get("totp_key"):
        state["totp_key"] = logins.new_totp_key()
        request.session.modified = True
    error = None
    if request.method == "POST":
        try:
            codes = logins.enrol_totp(user_id=user.pk, key_hex=state["totp_key"],
                                      code=request.POST.get("code", ""), now=now)
        except DeskError as exc:
            error = exc.message
        else:
            target = _pending_next(request)
            _finish(request, user, totp_device(user))
            return render(request, "registration/recovery_codes.html",
                          {"codes": codes, "continue_to": target})
    return render(request, "registration/login_enrol.html", {
        "error": error, "pending_user": user,
        **enrolment_context(user, state["totp_key"]),
    }, status=200 if error is None else 400)
