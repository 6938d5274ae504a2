"""Workspace admins connect channel accounts here: list them, add one, paste or replace its
token, set the options the connectors read. Thin views: an accessor, one action, a redirect.

Tokens are write-only: never rendered back, never logged (sensitive_post_parameters keeps them
out of error reports), encrypted by the action before they reach the database.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from tanggap.connectors.access import (
    access_channel_admin,
    access_channel_admin_by_id,
    access_failed_event_admin,
)
from tanggap.connectors.actions import channels, failed_events
from tanggap.connectors.models import Platform
from tanggap.connectors.queries import dead_letter_count, dead_letters, workspace_channels
from tanggap.errors import DeskError, Forbidden, NotFound


def _admin(request, slug: str):
    try:
        return access_channel_admin(request.user, slug)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None


def _channel_of(request, slug: str, channel_id: int):
    membership = _admin(request, slug)
    try:
        channel = access_channel_admin_by_id(request.user, channel_id)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None
    if channel.workspace_id != membership.workspace_id:
        raise Http404()
    return channel


def _run(request, back_to: str, done: str, action, /, *, page: str = "channels", **kwargs):
    try:
        action(actor=request.user, now=timezone.now(), **kwargs)
    except (NotFound, Forbidden):
        raise Http404() from None
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect(page, slug=back_to)


@login_required
@require_GET
def channel_list(request, slug):
    membership = _admin(request, slug)
    return render(request, "connectors/channels.html", {
        "membership": membership,
        "workspace": membership.workspace,
        "rows": workspace_channels(membership.workspace_id),
        "platforms": Platform.choices,
        "now": timezone.now(),
        "dead_letters": dead_letter_count(membership.workspace_id),
    })


@sensitive_post_parameters("token")
@login_required
@require_POST
def channel_add(request, slug):
    _admin(request, slug)
    return _run(request, slug, _("Channel added."), channels.connect_channel, slug=slug,
                platform=request.POST.get("platform", ""), handle=request.POST.get("handle", ""),
                name=request.POST.get("name", ""), token=request.POST.get("token", ""))


@sensitive_post_parameters("token", "refresh_token", "client_secret")
@login_required
@require_POST
def channel_token(request, slug, channel_id):
    channel = _channel_of(request, slug, channel_id)
    post = request.POST
    return _run(request, slug, _("Token saved."), channels.replace_channel_token,
                channel_id=channel.pk, token=post.get("token", ""),
                refresh_token=post.get("refresh_token", ""),
                expires_in=post.get("expires_in", "").strip() or None,
                client_id=post.get("client_id", ""), client_secret=post.get("client_secret", ""))


@login_required
@require_POST
def channel_options(request, slug, channel_id):
    channel = _channel_of(request, slug, channel_id)
    post = request.POST
    return _run(request, slug, _("Options saved."), channels.set_channel_options,
                channel_id=channel.pk, human_agent=post.get("human_agent") == "on",
                instagram_login=post.get("instagram_login") == "on",
                whatsapp_template=post.get("whatsapp_template", ""),
                whatsapp_template_language=post.get("whatsapp_template_language", "id"))


@login_required
@require_GET
def dead_letter_list(request, slug):
    """Webhook events of this workspace's channels that could not be stored, with the reason and
    the event as it came (a citizen's words: admins only, like the tokens)."""
    membership = _admin(request, slug)
    waiting, done = dead_letters(membership.workspace_id)
    return render(request, "connectors/dead_letters.html", {
        "membership": membership, "workspace": membership.workspace, "waiting": waiting,
        "done": done,
    })


def _dead_letter_action(request, slug, event_id, action, done: str):
    membership = _admin(request, slug)
    try:
        record = access_failed_event_admin(request.user, event_id)
    except (NotFound, Forbidden):
        raise Http404() from None
    if record.channel.workspace_id != membership.workspace_id:
        raise Http404()
    return _run(request, slug, done, action, page="dead_letters", event_id=event_id)


@login_required
@require_POST
def dead_letter_retry(request, slug, event_id):
    return _dead_letter_action(request, slug, event_id, failed_events.retry_failed_event,
                               _("Retried: see the result below."))


@login_required
@require_POST
def dead_letter_discard(request, slug, event_id):
    return _dead_letter_action(request, slug, event_id, failed_events.discard_failed_event,
                               _("Discarded."))
