"""The loopback relay endpoint: the web process receives live events from its own worker."""

from __future__ import annotations

import hmac
import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tanggap.live.fanout import relay_signature, send_now


@csrf_exempt
@require_POST
def relay(request):
    signature = request.headers.get("X-Tanggap-Relay", "")
    if not hmac.compare_digest(signature, relay_signature(request.body)):
        return JsonResponse({"error": "forbidden", "message": "bad relay signature"}, status=403)
    try:
        payload = json.loads(request.body)
        workspace_id = int(payload["workspace_id"])
        event = payload["event"]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "invalid", "message": "bad relay payload"}, status=422)
    if not isinstance(event, dict):
        return JsonResponse({"error": "invalid", "message": "bad relay payload"}, status=422)
    send_now(workspace_id, event)
    return HttpResponse(status=204)
