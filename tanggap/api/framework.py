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

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from tanggap.cases.cleaning import refuse_unstorable
from tanggap.conf.fastpath import bearer_token
from tanggap.connectors.access import inbound_bearer
from tanggap.errors import BodyTooLarge, DeskError, MalformedBody
from tanggap.workspaces.access import token_bearer
from tanggap.workspaces.actions.tokens import note_token_use

logger = logging.getLogger(__name__)


def error_response(status: int, code: str, message, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": str(message), **extra}, status=status)


def _token_bearer(request: HttpRequest, *, inbound: bool):
    """(token or None, whether a token was sent). The token's last use is noted at most once a
    minute (workspaces.actions.tokens.note_token_use), so a busy integration does not write on
    every request. For the inbound view, the channel its body names and the token user's
    membership there come in the same query (request.inbound_grant)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None, False
    raw = bearer_token(header)
    if raw is None:
        return None, True
    if inbound:
        token, request.inbound_grant = inbound_bearer(raw, _channel_named(request),
                                                      now=request.now)
    else:
        token = token_bearer(raw, now=request.now)
    if token is not None:
        note_token_use(token=token, now=request.now)
    return token, True


def _channel_named(request: HttpRequest):
    # A body that is not valid JSON is refused by the view itself, after the token is checked.
    try:
        body = json_body(request)
    except DeskError:
        return None
    return body.get("channel_id") if isinstance(body.get("channel_id"), (int, str)) else None


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def api_view(methods: tuple[str, ...], *, public: bool = False, inbound: bool = False) -> Callable:
    """`inbound=True` marks the one view an integration account may call; every other view
    refuses its token with 403 before running."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                response = error_response(405, "method_not_allowed",
                                          _("Method %(method)s is not allowed here.")
                                          % {"method": request.method})
                response["Allow"] = ", ".join(methods)
                return response
            request.now = timezone.now()
            if not public:
                token, used_token = _token_bearer(request, inbound=inbound)
                if used_token and token is None:
                    return error_response(401, "unauthenticated", _("The API token is not valid."))
                if token is not None and token.machine and not inbound:
                    return error_response(
                        403, "forbidden",
                        _("An integration account may only post inbound messages."))
                user = token.user if token is not None else None
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
            try:
                return view(request, *args, **kwargs)
            except DeskError as exc:
                return desk_error_response(exc)
            except RequestDataTooBig:  # Django's own limit, met before ours (a form body)
                return desk_error_response(body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))

        wrapper.api_methods = methods
        return wrapper

    return decorate


# A reply or message is at most 10,000 characters: 120 kB even with every one escaped as a
# surrogate pair (\ud83d\ude00); nothing the API takes needs more.
MAX_BODY_BYTES = 256 * 1024
MAX_BODY_DEPTH = 32


def desk_error_response(exc: DeskError) -> JsonResponse:
    return error_response(exc.status, exc.code, exc.message, **exc.extra)


def body_too_large(limit: int = MAX_BODY_BYTES) -> BodyTooLarge:
    return BodyTooLarge(_("The body is larger than %(limit)d bytes.") % {"limit": limit})


def _refuse_constant(name: str):
    # Python's json reads NaN and Infinity, which JSON does not have.
    raise ValueError(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(text)  # 1e400: a number no column or comparison can hold
    return number


# Built once: json.loads with hooks would build a decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def json_body(request: HttpRequest) -> dict:
    """The request's JSON object. Strict JSON only (no NaN or Infinity, finite numbers), at most
    MAX_BODY_BYTES and MAX_BODY_DEPTH deep, and no string anywhere (keys included) that a text
    column cannot hold: NUL or an unpaired surrogate (422 naming the field). Read once per
    request (the inbound view's token check looks at it first)."""
    parsed = getattr(request, "_tanggap_json", None)
    if parsed is not None:
        return parsed
    body = _json_body(request)
    request._tanggap_json = body
    return body


def _json_body(request: HttpRequest) -> dict:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise body_too_large()
    return parse_json(request.body)


def parse_json(raw: bytes) -> dict:
    """json_body's checks of the bytes themselves, for a body read without a request (the
    inbound's fast path, api/intake.py, which takes only bodies within MAX_BODY_BYTES)."""
    try:
        # Decoded here, strictly: json.loads would decode bytes with "surrogatepass", letting
        # UTF-8-encoded surrogates through; and JSON between systems is UTF-8 (RFC 8259).
        text = (raw or b"null").decode("utf-8-sig")  # a leading BOM is forgiven
        body = _DECODER.decode(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise MalformedBody(_("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise MalformedBody(_("The body must be a JSON object."))
    # NUL and surrogates can only arrive as \u escapes now, and nesting needs brackets: a body
    # with neither (every ordinary message) needs no walk.
    if "\\u" in text or text.count("{") + text.count("[") > MAX_BODY_DEPTH:
        _refuse_unstorable_strings(body)
    return body


def _refuse_unstorable_strings(body: dict) -> None:
    # A loop, not recursion: the depth is what is being checked.
    stack: list[tuple[object, str, int]] = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            refuse_unstorable(value, path)
            continue
        if depth >= MAX_BODY_DEPTH and isinstance(value, (dict, list)):
            raise MalformedBody(_("The body is nested more than %(limit)d levels deep.")
                                % {"limit": MAX_BODY_DEPTH})
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                refuse_unstorable(key, f"{path}.*" if path else "*")  # never echo a bad key
                stack.append((item, where, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
