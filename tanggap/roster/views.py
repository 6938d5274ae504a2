"""The roster pages: the week (works on a phone), requests, the supervisor's tools, the fairness
view, and each member's iCalendar feed. Thin: an accessor, one action, a redirect with the
outcome; a refusal says why and changes nothing (each action is one transaction)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tanggap.errors import DeskError, Forbidden, NotFound
from tanggap.roster import ical, queries, schedule
from tanggap.roster.access import access_roster
from tanggap.roster.actions import assignment
from tanggap.roster.actions import roster as actions
from tanggap.roster.models import (
    OPEN_REQUEST_STATUSES,
    CalendarFeed,
    DutyKind,
    RequestStatus,
    Shift,
    Swap,
    TimeOff,
)
from tanggap.workspaces.access import memberships_of

WEEKDAYS = range(7)


def _membership(request, slug: str, *, write: bool = False):
    try:
        return access_roster(request.user, slug, write=write)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None


def _week_of(value: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return queries.week_start(day)


@login_required
@require_GET
@never_cache
def roster_page(request, slug):
    membership = _membership(request, slug)
    workspace = membership.workspace
    now = timezone.now()
    zone = queries.zone_of(workspace)
    today = now.astimezone(zone).date()
    monday = _week_of(request.GET.get("week"), today)
    sunday = monday + timedelta(days=6)
    duties = queries.duties(workspace, monday, sunday, zone=zone)
    shifts = {s.pk: s for s in Shift.objects.filter(workspace=workspace)}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={d.user_id for d in duties})}
    days = []
    for offset in WEEKDAYS:
        day = monday + timedelta(days=offset)
        rows = []
        for shift in shifts.values():
            if shift.retired and not any(d.shift_id == shift.pk and d.day == day for d in duties):
                continue
            mine = [d for d in duties if d.shift_id == shift.pk and d.day == day]
            rows.append({"shift": shift,
                         "desk": [users[d.user_id] for d in mine if d.kind == schedule.DESK],
                         "on_call": [users[d.user_id] for d in mine if d.kind == schedule.ON_CALL],
                         "now": any(d.covers(now) for d in mine)})
        days.append({"day": day, "today": day == today, "rows": rows})
    feed = CalendarFeed.objects.filter(user=request.user).first()
    requests_filter = {"workspace": workspace}
    context = {
        "membership": membership,
        "workspace": workspace,
        "workspaces": memberships_of(request.user).order_by("workspace__name"),
        "days": days,
        "monday": monday,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "now_on": queries.on_duty(workspace, now),
        "zone": zone,
        "shifts": [s for s in shifts.values() if not s.retired],
        "members": queries.members(workspace.pk),
        "weekday_names": [(i, name) for i, name in enumerate(
            [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")])],
        "kinds": DutyKind.choices,
        "my_time_off": TimeOff.objects.filter(user=request.user, **requests_filter)
        .order_by("-first_day")[:10],
        "my_swaps": Swap.objects.filter(requester=request.user, **requests_filter)
        .select_related("colleague", "shift", "other_shift").order_by("-requested_at")[:10],
        "asked_of_me": Swap.objects.filter(colleague=request.user,
                                           status=RequestStatus.WAITING_COLLEAGUE,
                                           **requests_filter)
        .select_related("requester", "shift", "other_shift"),
        "pending_time_off": TimeOff.objects.filter(status=RequestStatus.WAITING, **requests_filter)
        .select_related("user") if membership.can_supervise else [],
        "pending_swaps": Swap.objects.filter(status=RequestStatus.WAITING, **requests_filter)
        .select_related("requester", "colleague", "shift", "other_shift")
        if membership.can_supervise else [],
        "open_statuses": OPEN_REQUEST_STATUSES,
        "settings": queries.settings_of(workspace.pk),
        "feed_url": request.build_absolute_uri(reverse("roster_feed", args=[feed.token]))
        if feed else None,
        "today": today,
    }
    return render(request, "roster/roster.html", context)


def _run(request, slug: str, done: str, action, /, **kwargs):
    membership = _membership(request, slug)
    try:
        action(membership=membership, actor=request.user, now=timezone.now(), **kwargs)
    except Forbidden:
        # A member whose role may not (the read-only auditor, an operator at a supervisor's
        # form): the desk's 403 page, like every other refused page; nothing changed.
        raise PermissionDenied() from None
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect(reverse("roster", args=[slug]) + _back_to_week(request))


def _back_to_week(request) -> str:
    week = request.POST.get("week", "")
    return f"?week={week}" if week else ""


def _int(value):
    return int(value) if isinstance(value, str) and value.isdigit() else value


@login_required
@require_POST
def shift_add(request, slug):
    return _run(request, slug, _("Shift added."), actions.add_shift,
                name=request.POST.get("name", ""), starts=request.POST.get("starts", ""),
                ends=request.POST.get("ends", ""))


@login_required
@require_POST
def shift_retire(request, slug):
    return _run(request, slug, _("Shift retired."), actions.retire_shift,
                shift_id=_int(request.POST.get("shift")))


@login_required
@require_POST
def pattern_set(request, slug):
    weekdays = [int(w) for w in request.POST.getlist("weekdays") if w.isdigit()]
    return _run(request, slug, _("Pattern saved."), actions.set_pattern,
                username=request.POST.get("user", ""), shift_id=_int(request.POST.get("shift")),
                weekdays=weekdays, kind=request.POST.get("kind", "desk"))


@login_required
@require_POST
def pattern_end(request, slug):
    weekdays = [int(w) for w in request.POST.getlist("weekdays") if w.isdigit()]
    return _run(request, slug, _("Pattern ended from tomorrow."), actions.end_pattern,
                username=request.POST.get("user", ""), shift_id=_int(request.POST.get("shift")),
                weekdays=weekdays)


@login_required
@require_POST
def day_change(request, slug):
    return _run(request, slug, _("Day changed."), actions.change_day,
                username=request.POST.get("user", ""), shift_id=_int(request.POST.get("shift")),
                day=request.POST.get("day", ""), change=request.POST.get("change", ""),
                kind=request.POST.get("kind", "desk"))


@login_required
@require_POST
def time_off_request(request, slug):
    return _run(request, slug, _("Time off requested: a supervisor decides."),
                actions.request_time_off, first_day=request.POST.get("first_day", ""),
                last_day=request.POST.get("last_day", ""), reason=request.POST.get("reason", ""))


@login_required
@require_POST
def time_off_decide(request, slug, request_id):
    approve = request.POST.get("decision") == "approve"
    return _run(request, slug, _("Approved.") if approve else _("Refused."),
                actions.decide_time_off, request_id=request_id, approve=approve,
                note=request.POST.get("note", ""))


@login_required
@require_POST
def time_off_cancel(request, slug, request_id):
    return _run(request, slug, _("Withdrawn."), actions.cancel_time_off, request_id=request_id)


@login_required
@require_POST
def swap_request(request, slug):
    other_shift = request.POST.get("other_shift") or None
    other_day = request.POST.get("other_day") or None
    return _run(request, slug, _("Swap asked: your colleague answers, then a supervisor."),
                actions.request_swap, shift_id=_int(request.POST.get("shift")),
                day=request.POST.get("day", ""), colleague=request.POST.get("colleague", ""),
                other_shift_id=_int(other_shift) if other_shift else None, other_day=other_day,
                reason=request.POST.get("reason", ""))


@login_required
@require_POST
def swap_answer(request, slug, request_id):
    agree = request.POST.get("decision") == "agree"
    return _run(request, slug, _("Answered."), actions.answer_swap, request_id=request_id,
                agree=agree)


@login_required
@require_POST
def swap_decide(request, slug, request_id):
    approve = request.POST.get("decision") == "approve"
    return _run(request, slug, _("Approved.") if approve else _("Refused."), actions.decide_swap,
                request_id=request_id, approve=approve, note=request.POST.get("note", ""))


@login_required
@require_POST
def swap_cancel(request, slug, request_id):
    return _run(request, slug, _("Withdrawn."), actions.cancel_swap, request_id=request_id)


@login_required
@require_POST
def settings_save(request, slug):
    def number(name):
        value = request.POST.get(name, "")
        return int(value) if value.isdigit() else (value or None)

    return _run(request, slug, _("Saved."), assignment.configure,
                fair_assignment=request.POST.get("fair_assignment") == "on",
                default_capacity=number("default_capacity"), offer_minutes=number("offer_minutes"))


@login_required
@require_POST
def feed_reset(request, slug):
    """A new secret feed URL for the member; the old one stops at once (audited)."""
    actions.reset_feed(membership=_membership(request, slug), actor=request.user,
                       now=timezone.now())
    messages.success(request, _("A new calendar link is ready; the old one no longer works."))
    return redirect("roster", slug=slug)


@require_GET
def feed(request, token):
    """The member's duties as iCalendar, for their phone's calendar app. The token in the URL is
    the only credential (calendar apps send no cookies); an unknown one is 404."""
    found = CalendarFeed.objects.filter(token=token).select_related("user").first()
    if found is None or not found.user.is_active:
        raise Http404()
    body = ical.feed_for(found.user, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_GET
def fairness_page(request, slug):
    membership = _membership(request, slug)
    workspace = membership.workspace
    today = timezone.now().astimezone(queries.zone_of(workspace)).date()
    try:
        last = date.fromisoformat(request.GET.get("to", "")) if request.GET.get("to") else today
        first = (date.fromisoformat(request.GET["from"]) if request.GET.get("from")
                 else last - timedelta(days=27))
    except ValueError:
        first, last, error = today - timedelta(days=27), today, _("Write dates as YYYY-MM-DD.")
    else:
        error = None
    if last < first or (last - first).days > 366:
        first, last, error = today - timedelta(days=27), today, _(
            "The period must run forwards and last at most a year.")
    return render(request, "roster/fairness.html", {
        "membership": membership, "workspace": workspace, "first": first, "last": last,
        "rows": queries.fairness(workspace, first, last), "error": error,
        "workspaces": memberships_of(request.user).order_by("workspace__name")})


@login_required
@require_POST
def hand_over(request, slug, case_id):
    """Hand a case to a colleague (from the case page); back to the case with the outcome."""
    membership = _membership(request, slug)
    try:
        assignment.hand_over(case_id=_case_of(request, membership, case_id), actor=request.user,
                             membership=membership, to_username=request.POST.get("to", ""),
                             note=request.POST.get("note", ""), now=timezone.now())
    except DeskError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Handed over."))
    return redirect("case", slug=slug, case_id=case_id)


def _case_of(request, membership, case_id: int) -> int:
    from tanggap.cases.access import access_case

    try:
        case, _found = access_case(request.user, case_id, write=True, load=False)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None
    if case.workspace_id != membership.workspace_id:
        raise Http404()
    return case.pk
