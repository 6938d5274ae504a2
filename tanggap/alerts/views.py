"""The installable desk (PWA) and a member's alert settings.

- `/manifest.webmanifest`: name, icons, start URL and display mode, so a phone can add the desk
  to its home screen.
- `/favicon.ico`: the desk's icon, where every browser looks for it first (the pages also name it
  with `<link rel="icon">`; this keeps a 404 per new tab out of the log).
- `/sw.js`: the service worker, served from the site's root so its scope is the whole desk (a
  script under /static/ could only control /static/). It shows pushed alerts and opens the case
  when one is tapped; it caches nothing (a desk must never show stale claims).
- `/alerts/`: this browser's push subscription, quiet hours and the e-mail fallback.
- `/alerts/subscription` (JSON, session + CSRF): subscribe or unsubscribe this browser.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tanggap.alerts import actions, vapid
from tanggap.alerts.models import PushSubscription
from tanggap.errors import DeskError
from tanggap.workspaces.access import memberships_of

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "alerts" / "sw.js"


@require_GET
def manifest(request):
    data = {
        "name": "Tanggap",
        "short_name": "Tanggap",
        "description": _("Public-complaint desk"),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2a62c9",
        "lang": "id",
        "icons": [
            {"src": static("alerts/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("alerts/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("alerts/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = HttpResponse(json.dumps(data), content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@cache
def _worker_source() -> bytes:
    return SERVICE_WORKER.read_bytes()


@require_GET
def favicon(request):
    response = redirect(static("alerts/icon-192.png"))
    response["Cache-Control"] = "max-age=86400"
    return response


@require_GET
def service_worker(request):
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker at most daily anyway; never let a cache pin an old one.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@login_required
@require_GET
def alerts_page(request):
    membership = memberships_of(request.user).order_by("workspace__name").first()
    return render(request, "alerts/alerts.html", {
        "preference": actions.preferences_of(request.user),
        "subscriptions": PushSubscription.objects.filter(user=request.user).order_by("-created_at"),
        "public_key": vapid.public_key(),
        "membership": membership,
        "workspace": membership.workspace if membership else None,
    })


@login_required
@require_POST
def preferences(request):
    try:
        actions.set_preferences(user=request.user, quiet_start=request.POST.get("quiet_start"),
                                quiet_end=request.POST.get("quiet_end"),
                                email_fallback=request.POST.get("email_fallback") == "on",
                                now=timezone.now())
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("alerts")


@login_required
@require_http_methods(["POST", "DELETE"])
def subscription(request):
    """{"endpoint", "keys": {"p256dh", "auth"}} from PushSubscription.toJSON(); DELETE (or
    POST with "unsubscribe": true) forgets it. 401 without a login (the decorator redirects a
    page; a script gets JSON here because it asks for it)."""
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"error": "malformed_json",
                             "message": _("The body is not a JSON object.")}, status=400)
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    now = timezone.now()
    try:
        if request.method == "DELETE" or body.get("unsubscribe") is True:
            actions.unsubscribe(user=request.user, endpoint=body.get("endpoint"), now=now)
            return JsonResponse({"subscribed": False})
        actions.subscribe(user=request.user, endpoint=body.get("endpoint"),
                          p256dh=keys.get("p256dh"), auth=keys.get("auth"),
                          user_agent=request.headers.get("User-Agent", ""), now=now)
    except DeskError as exc:
        return JsonResponse({"error": exc.code, "message": str(exc.message), **exc.extra},
                            status=exc.status)
    return JsonResponse({"subscribed": True}, status=201)
