"""The referrals room's pages: the liaison page (a signed link, no account; or a liaison's own
login), the directory of bodies, the open referrals by body, and incidents. Thin: read through
accessors and queries, write through actions; the clock is read once per request."""

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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tanggap.cases.cleaning import object_id
from tanggap.errors import DeskError, Forbidden, NotFound
from tanggap.referrals import actions, incidents, liaison, queries
from tanggap.referrals.access import access_referral_as_body
from tanggap.referrals.models import BODY_ANSWERS, Body, BodyKind, Incident
from tanggap.workspaces.access import access_workspace
from tanggap.workspaces.models import Membership, Role


def _or_404(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound:
        raise Http404() from None


def _answer_context(referral, now) -> dict:
    return {
        "referral": referral,
        "case": referral.case,
        "words": referral.case.messages.filter(direction="in").order_by("id")
        .values_list("text", flat=True).first() or "",
        "updates": referral.updates.select_related("suggested_body").all(),
        "answers": [(s, label) for s, label in referral._meta.get_field("status").choices
                    if s in BODY_ANSWERS],
        "bodies": Body.objects.filter(workspace_id=referral.workspace_id, active=True)
        .exclude(pk=referral.body_id),
        "read_only": not referral.is_open,
        "overdue": queries.overdue_reason(referral, now),
    }


def _answer(request, referral, *, actor, label, now):
    try:
        actions.record_body_answer(
            referral_id=referral.pk, status=request.POST.get("status", ""),
            text=request.POST.get("message", ""), actor=actor, author_label=label,
            suggested_body_id=request.POST.get("suggested_body") or None, now=now)
    except DeskError as exc:
        return str(exc.message)
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def liaison_page(request, token):
    """The body's page for one referral, reached by its signed link."""
    now = timezone.now()
    try:
        referral = liaison.referral_for_token(token, now=now)
    except NotFound:
        return render(request, "referrals/liaison_invalid.html", status=404)
    error = None
    if request.method == "POST":
        if not referral.is_open:
            error = _("This referral is settled; it takes no more answers.")
        else:
            label = (request.POST.get("name") or "").strip()[:120]
            by = _("%(name)s (%(body)s, via link)") % {"name": label or _("liaison officer"),
                                                        "body": referral.body.name}
            error = _answer(request, referral, actor=None, label=by, now=now)
            if error is None:
                return redirect("liaison", token)
        referral.refresh_from_db()
    context = _answer_context(referral, now)
    return render(request, "referrals/liaison.html", {**context, "error": error,
                                                       "via_link": True},
                  status=422 if error else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def liaison_referral(request, referral_id):
    """The same page for a logged-in liaison (or the body's own desk)."""
    now = timezone.now()
    try:
        referral = access_referral_as_body(request.user, referral_id)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        return render(request, "referrals/liaison_invalid.html", status=403)
    error = None
    if request.method == "POST":
        error = _answer(request, referral, actor=request.user, label="", now=now)
        if error is None:
            return redirect("liaison_referral", referral.pk)
        referral.refresh_from_db()
    return render(request, "referrals/liaison.html", {**_answer_context(referral, now),
                                                       "error": error},
                  status=422 if error else 200)


@login_required
@require_GET
def liaison_home(request):
    """A liaison's list: the referrals of the bodies that list them, nothing of the desk."""
    workspace_ids = list(Membership.objects.filter(user=request.user, role=Role.LIAISON)
                         .values_list("workspace_id", flat=True))
    return render(request, "referrals/liaison_home.html", {
        "referrals": queries.liaison_referrals(request.user, workspace_ids=workspace_ids)})


@login_required
@require_http_methods(["GET", "POST"])
def directory(request, slug):
    """The directory of bodies: everyone of the desk reads it, supervisors and admins edit."""
    membership = _or_404(access_workspace, request.user, slug)
    now = timezone.now()
    error = None
    if request.method == "POST":
        if not membership.can_supervise:
            return render(request, "referrals/liaison_invalid.html", status=403)
        post = request.POST
        fields = actions.BodyFields(
            name=post.get("name", ""), kind=post.get("kind", ""),
            topics=post.getlist("topics"), emails=post.get("emails", ""),
            whatsapp=post.get("whatsapp", ""), liaison_officers=post.get("liaison_officers", ""),
            working_hours=post.get("working_hours", ""),
            acknowledge_days=post.get("acknowledge_days"),
            follow_up_days=post.get("follow_up_days"),
            linked_workspace_slug=post.get("workspace", "").strip(),
            active=post.get("active", "1") == "1")
        try:
            if post.get("body_id"):
                body = Body.objects.filter(pk=object_id(post["body_id"]) or 0,
                                           workspace_id=membership.workspace_id).first()
                if body is None:
                    raise Http404()
                actions.change_body(body_id=body.pk, fields=fields, actor=request.user, now=now)
            else:
                actions.add_body(workspace_id=membership.workspace_id, fields=fields,
                                 actor=request.user, now=now)
        except DeskError as exc:
            error = str(exc.message)
        else:
            return redirect("bodies", slug)
    from tanggap.cases.language import TOPIC_LABELS

    edit = None
    if request.GET.get("edit"):
        edit = Body.objects.filter(pk=object_id(request.GET["edit"]) or 0,
                                   workspace_id=membership.workspace_id).first()
    return render(request, "referrals/bodies.html", {
        "membership": membership, "workspace": membership.workspace,
        "bodies": queries.bodies_of(membership.workspace_id, active_only=False)
        .prefetch_related("liaisons"),
        "kinds": BodyKind.choices, "topics": list(TOPIC_LABELS.items()), "error": error,
        "edit": edit, "form": request.POST if error else None,
    }, status=422 if error else 200)


def _directory_body(request, slug: str, body_id: int) -> Body:
    """A body of the workspace `slug`, for one who edits its directory (supervisors, admins)."""
    membership = _or_404(access_workspace, request.user, slug)
    if not membership.can_supervise:
        raise PermissionDenied()
    body = Body.objects.filter(pk=body_id, workspace_id=membership.workspace_id).first()
    if body is None:
        raise Http404()
    return body


@login_required
@sensitive_post_parameters("password")
@require_POST
def body_liaison_add(request, slug, body_id):
    """Link a liaison officer's account (a new one, or one that exists) to the body."""
    body = _directory_body(request, slug, body_id)
    post = request.POST
    username = post.get("username", "").strip()
    try:
        actions.add_body_liaison(body_id=body.pk, username=username,
                                 full_name=post.get("full_name", ""),
                                 password=post.get("password", ""), actor=request.user,
                                 now=timezone.now())
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(username)s answers the referrals of %(body)s.")
                         % {"username": username, "body": body.name})
    return redirect("bodies", slug)


@login_required
@require_POST
def body_liaison_remove(request, slug, body_id, username):
    body = _directory_body(request, slug, body_id)
    try:
        left = actions.remove_body_liaison(body_id=body.pk, username=username,
                                           actor=request.user, now=timezone.now())
    except NotFound:
        raise Http404() from None
    done = _("%(username)s no longer answers for %(body)s.") % {"username": username,
                                                                 "body": body.name}
    if left:
        done += " " + _("Their account left this workspace.")
    messages.success(request, done)
    return redirect("bodies", slug)


@login_required
@require_GET
def referrals_view(request, slug):
    membership = _or_404(access_workspace, request.user, slug)
    now = timezone.now()
    return render(request, "referrals/by_body.html", {
        "membership": membership, "workspace": membership.workspace,
        "rows": queries.open_referrals_by_body(membership.workspace, now=now), "now": now})


@login_required
@require_GET
def incidents_view(request, slug):
    membership = _or_404(access_workspace, request.user, slug)
    now = timezone.now()
    open_incidents = (Incident.objects.filter(workspace_id=membership.workspace_id)
                      .order_by("-created_at")[:50])
    for incident in open_incidents:
        incident.member_ids = incidents.member_case_ids(incident)
    return render(request, "referrals/incidents.html", {
        "membership": membership, "workspace": membership.workspace,
        "clusters": incidents.clusters_for_workspace(membership.workspace_id, now=now),
        "incidents": open_incidents,
        "bodies": queries.bodies_of(membership.workspace_id)})
