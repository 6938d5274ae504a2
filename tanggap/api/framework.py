"""The small frame every REST v1 view runs in: authentication, JSON in, errors out.

Authentication is `Authorization: Bearer <token>` or, for the desk's own pages, the session
cookie with a CSRF token. Every failure leaves as {"error": code, "message": text} in the
reader's language (Accept-Language or the session's choice).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from tanggap.errors import DeskError, MalformedBody
from tanggap.workspaces.models import ApiToken, hash_token

logger = logging.getLogger(__name__)


def error_response(status: int, code: str, message, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": str(message), **extra}, status=status)


def _token_user(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    if not header:
        return None, False
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None, True
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw.strip()))
        .first()
    )
    if token is None or not token.user.is_active:
        return None, True
    return token.user, True


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def api_view(methods: tuple[str, ...], *, public: bool = False) -> Callable:
    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return error_response(405, "method_not_allowed",
                                      _("Method %(method)s is not allowed here.")
                                      % {"method": request.method})
            if not public:
                user, used_token = _token_user(request)
                if used_token and user is None:
                    return error_response(401, "unauthenticated", _("The API token is not valid."))
                if user is None:
                    if not request.user.is_authenticated:
                        return error_response(401, "unauthenticated",
                                              _("Log in or send an API token."))
                    if request.method not in ("GET", "HEAD", "OPTIONS"):
                        reason = _CsrfCheck(lambda r: None).process_view(request, None, (), {})
                        if reason is not None:
                            return error_response(
                                403, "csrf", _("The CSRF token is missing or wrong.")
                            )
                    user = request.user
                request.api_user = user
            request.now = timezone.now()
            try:
                return view(request, *args, **kwargs)
            except DeskError as exc:
                return error_response(exc.status, exc.code, exc.message, **exc.extra)

        wrapper.api_methods = methods
        return wrapper

    return decorate


def json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise MalformedBody(_("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise MalformedBody(_("The body must be a JSON object."))
    return body
