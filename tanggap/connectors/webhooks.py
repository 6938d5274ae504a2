"""Platform webhooks: thin views that verify, store the raw body, and answer.

Never parse or touch tenant data here: the answer must be fast and must not depend on our own
bugs (Meta retries for up to 36 h and may disable a subscription that keeps failing). Parsing
happens in the worker (tasks.process_webhook).
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tanggap.connectors.actions.webhooks import receive_webhook
from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, signature_valid

logger = logging.getLogger(__name__)


def _text(body: str, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _verify_subscription(request)
    secrets = [settings.META_APP_SECRET, settings.META_INSTAGRAM_APP_SECRET]
    if not any(secrets):
        logger.warning("Meta webhook refused: META_APP_SECRET is not set")
        return _text("webhook not configured", 403)
    body = request.body  # the raw bytes: re-serialised JSON would not match the signature
    if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), secrets):
        return _text("invalid signature", 401)
    receive_webhook(source="meta", body=body, now=timezone.now())
    return _text("EVENT_RECEIVED", 200)


def _verify_subscription(request: HttpRequest) -> HttpResponse:
    expected = settings.META_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if (request.GET.get("hub.mode") == "subscribe" and expected
            and _equal(given, expected) and "hub.challenge" in request.GET):
        return _text(request.GET["hub.challenge"], 200)
    return _text("verification failed", 403)


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
