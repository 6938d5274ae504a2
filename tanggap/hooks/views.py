"""The webhooks page of a workspace (/w/<slug>/webhooks/), for its admins: thin, an accessor,
one action, the page again. A new endpoint's secret is shown once, in the answer to the form
that made it, and never stored in the clear."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tanggap.errors import DeskError, Forbidden, NotFound
from tanggap.hooks import actions
from tanggap.hooks.models import EVENT_TYPES, Delivery, Endpoint

RECENT = 10


def _admin(request, slug):
    try:
        return actions.access_hooks_admin(request.user, slug)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None


def _page(request, membership, *, status: int = 200, **extra):
    endpoints = list(Endpoint.objects.filter(workspace_id=membership.workspace_id)
                     .order_by("created_at", "pk"))
    for endpoint in endpoints:
        endpoint.recent = list(Delivery.objects.filter(endpoint=endpoint).order_by("-pk")[:RECENT])
        endpoint.waiting = Delivery.objects.filter(endpoint=endpoint, state="pending").count()
    return render(request, "hooks/webhooks.html", {
        "membership": membership, "workspace": membership.workspace, "endpoints": endpoints,
        "event_types": list(EVENT_TYPES.items()), **extra}, status=status)


@login_required
@require_GET
def webhook_list(request, slug):
    return _page(request, _admin(request, slug))


@login_required
@require_POST
def webhook_add(request, slug):
    membership = _admin(request, slug)
    try:
        created = actions.add_endpoint(
            membership=membership, actor=request.user, url=request.POST.get("url", ""),
            events=request.POST.getlist("events"),
            description=request.POST.get("description", ""), now=timezone.now())
    except DeskError as exc:
        return _page(request, membership, status=400, error=exc.message, form=request.POST)
    return _page(request, membership, new_secret=created.secret, new_endpoint=created.endpoint)


@login_required
@require_POST
def webhook_change(request, slug, endpoint_id):
    membership = _admin(request, slug)
    change = request.POST.get("change")
    try:
        if change == "remove":
            actions.remove_endpoint(membership=membership, actor=request.user,
                                    endpoint_id=endpoint_id, now=timezone.now())
            messages.success(request, _("Webhook removed."))
        elif change in ("on", "off"):
            actions.set_endpoint_active(membership=membership, actor=request.user,
                                        endpoint_id=endpoint_id, active=change == "on",
                                        now=timezone.now())
            messages.success(request, _("Webhook switched on.") if change == "on"
                             else _("Webhook switched off."))
        else:
            messages.error(request, _("Unknown change."))
    except NotFound:
        raise Http404() from None
    return redirect("webhooks", slug=slug)
