"""The periodic SLA check (tanggap.periodic, every TANGGAP_SLA_CHECK_SECONDS): store fresh
clocks, warn the holder once when a clock enters its warning, and record every breach once,
telling the holder and escalating to the supervisors on duty (on call, else every supervisor).

Only cases that can have news are looked at: clocks that are stale (the case or the calendar
moved since they were computed), missing for an open case, or whose warning or due time has
come. A run is safe to repeat: warnings and breaches are unique per clock of a case, and the
notifications go out with the row that records them.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from tanggap.alerts.models import AlertKind
from tanggap.alerts.notify import notify
from tanggap.audit import events
from tanggap.cases.actions import effective_holder_id
from tanggap.cases.models import CLOSED_STATUSES, Case
from tanggap.live.fanout import publish_on_commit
from tanggap.roster import queries as roster
from tanggap.sla import clocks, queries
from tanggap.sla.models import Breach, BreachWarning, CaseClock, SlaPolicy
from tanggap.workspaces.models import SUPERVISING_ROLES, Membership

BATCH = 500


def cases_to_check(workspace, now: datetime) -> list[Case]:
    key = queries.calendar_key(workspace)
    due = CaseClock.objects.filter(workspace=workspace).filter(
        Q(warn_at__lte=now) | Q(next_due_at__lte=now) | ~Q(calendar_key=key)
        | ~Q(computed_for=F("case__updated_at"))).values("case_id")
    missing = Case.objects.filter(workspace=workspace).exclude(
        status__in=CLOSED_STATUSES).exclude(
        pk__in=CaseClock.objects.filter(workspace=workspace).values("case_id"))
    return list(Case.objects.filter(Q(pk__in=due) | Q(pk__in=missing.values("pk")))
                .select_related("workspace", "claimed_by").order_by("pk")[:BATCH])


def check_workspace(*, workspace, now: datetime) -> dict[str, int]:
    if not SlaPolicy.objects.filter(workspace=workspace).exists():
        CaseClock.objects.filter(workspace=workspace).delete()
        return {}
    counts = {"computed": 0, "warnings": 0, "breaches": 0}
    cases = cases_to_check(workspace, now)
    computed = queries.compute_clocks(cases, now)
    with_policy = {c.pk for c, *_rest in computed}
    CaseClock.objects.filter(case_id__in=[c.pk for c in cases if c.pk not in with_policy]).delete()
    for case, policy, result, key in computed:
        counts["computed"] += 1
        for state in result.states:
            if state.breached and _record_breach(case, policy, state, now):
                counts["breaches"] += 1
            elif (state.pending and state.warn_at is not None and state.warn_at <= now
                  and not state.breached and _record_warning(case, state, now)):
                counts["warnings"] += 1
        _store(case, policy, result, key, now)
    return counts


def _store(case: Case, policy: SlaPolicy, result: clocks.CaseClocks, key: str,
           now: datetime) -> None:
    if case.status in CLOSED_STATUSES:
        CaseClock.objects.filter(case=case).delete()
        return
    view = queries.view_of(result, policy)
    CaseClock.objects.update_or_create(case=case, defaults={
        "workspace_id": case.workspace_id, "policy": policy, "computed_for": case.updated_at,
        "calendar_key": key, "first_response_due_at": view.first_response_due_at,
        "next_response_due_at": view.next_response_due_at,
        "resolution_due_at": view.resolution_due_at, "paused": view.paused,
        "next_due_at": view.next_due_at, "warn_at": view.warn_at, "breached": view.breached,
        "computed_at": now})


def _holder(case: Case, now: datetime):
    return case.claimed_by if effective_holder_id(case, now) is not None else None


def _case_url(case: Case) -> str:
    return reverse("case", args=[case.workspace.slug, case.pk])


def _label(clock: str) -> str:
    return {clocks.FIRST_RESPONSE: _("first response"), clocks.NEXT_RESPONSE: _("next response"),
            clocks.RESOLUTION: _("resolution")}[clock]


def _record_warning(case: Case, state: clocks.ClockState, now: datetime) -> bool:
    workspace = case.workspace
    try:
        with transaction.atomic():
            BreachWarning.objects.create(case=case, clock=state.clock,
                                         started_at=state.started_at, warned_at=now)
            holder = _holder(case, now)
            now_on = roster.on_duty(workspace, now)
            told = [holder.pk] if holder else [u.pk for u in now_on.desk]
            notify(workspace=workspace, user_ids=told, kind=AlertKind.SLA_WARNING,
                   title=_("%(number)s is about to breach") % {"number": case.tracking_number},
                   body=_("The %(clock)s is due at %(due)s.")
                   % {"clock": _label(state.clock), "due": _local(state.due_at, workspace)},
                   url=_case_url(case), now=now,
                   reachable={u.pk for u in (*now_on.desk, *now_on.on_call)})
            publish_on_commit(workspace.pk, {"kind": "case", "reason": "sla", "case_id": case.pk,
                                             "status": case.status, "version": case.version})
    except IntegrityError:
        return False
    return True


def _record_breach(case: Case, policy: SlaPolicy, state: clocks.ClockState,
                   now: datetime) -> bool:
    workspace = case.workspace
    if Breach.objects.filter(case=case, clock=state.clock, started_at=state.started_at).exists():
        return False
    holder = _holder(case, now)
    now_on = roster.on_duty(workspace, now)
    on_duty = {u.pk for u in (*now_on.desk, *now_on.on_call)}
    supervisors = set(Membership.objects.filter(
        workspace=workspace, role__in=SUPERVISING_ROLES, user__is_active=True)
        .values_list("user_id", flat=True))
    escalate = (supervisors & on_duty) or supervisors
    try:
        with transaction.atomic():
            breach = Breach.objects.create(
                workspace=workspace, case=case, policy=policy, clock=state.clock,
                started_at=state.started_at, due_at=state.due_at, detected_at=now, holder=holder)
            names = sorted(get_user_model().objects.filter(pk__in=escalate)
                           .values_list("username", flat=True))
            breach.escalated_to = names
            breach.save(update_fields=["escalated_to"])
            events.record(workspace_id=workspace.pk, actor=None, action="sla.breached", now=now,
                          case=case, obj=breach,
                          after={"clock": state.clock, "due_at": state.due_at.isoformat(),
                                 "holder": holder.username if holder else None,
                                 "escalated_to": names})
            title = _("%(number)s is past its %(clock)s time") % {
                "number": case.tracking_number, "clock": _label(state.clock)}
            body = _("It was due at %(due)s.") % {"due": _local(state.due_at, workspace)}
            if holder is not None and state.pending:
                notify(workspace=workspace, user_ids=[holder.pk], kind=AlertKind.SLA_BREACH,
                       title=title, body=body, url=_case_url(case), now=now, reachable=on_duty)
            if state.pending:
                notify(workspace=workspace, user_ids=escalate - ({holder.pk} if holder else set()),
                       kind=AlertKind.ESCALATION, title=title,
                       body=body + " " + (_("Held by %(name)s.") % {"name": holder.username}
                                          if holder else _("Nobody holds it.")),
                       url=_case_url(case), now=now, reachable=on_duty)
            publish_on_commit(workspace.pk, {"kind": "case", "reason": "sla", "case_id": case.pk,
                                             "status": case.status, "version": case.version})
    except IntegrityError:
        return False
    return True


def _local(instant: datetime | None, workspace) -> str:
    if instant is None:
        return "-"
    return instant.astimezone(roster.zone_of(workspace)).strftime("%d-%m-%Y %H:%M")


def check_job(ctx) -> str:
    from tanggap.workspaces.models import Workspace

    totals = {"computed": 0, "warnings": 0, "breaches": 0}
    ids = set(SlaPolicy.objects.values_list("workspace_id", flat=True)) | set(
        CaseClock.objects.values_list("workspace_id", flat=True).distinct())
    for workspace in Workspace.objects.filter(pk__in=ids).order_by("pk"):
        if not ctx.keep_alive():
            ctx.problem("the lease was lost mid-run; the next run checks the rest")
            break
        try:
            for key, value in check_workspace(workspace=workspace, now=ctx.clock()).items():
                totals[key] += value
        except Exception as exc:
            ctx.problem(f"{workspace.slug}: {type(exc).__name__}: {exc}")
    return " ".join(f"{k}={v}" for k, v in totals.items())
