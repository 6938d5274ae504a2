"""Coverage: a rostered workspace with nobody at the desk. The gap is recorded when the
periodic check first sees it (audited, supervisors and admins alerted once; those on duty or on
call are reached even in their quiet hours), shown in the top bar while it lasts, and closed when
someone is on duty again."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from tanggap.alerts.models import AlertKind, Notification
from tanggap.alerts.notify import notify
from tanggap.audit import events
from tanggap.cases.models import Case
from tanggap.roster import queries
from tanggap.roster.models import CoverageGap
from tanggap.workspaces.models import SUPERVISING_ROLES, Membership


def check_coverage(*, workspace, now: datetime) -> str | None:
    """"started", "ended" or None (nothing changed)."""
    now_on = queries.on_duty(workspace, now)
    open_gap = CoverageGap.objects.filter(workspace=workspace, ended_at__isnull=True).first()
    if now_on.nobody and open_gap is None:
        try:
            with transaction.atomic():
                gap = CoverageGap.objects.create(workspace=workspace, started_at=now)
                events.record(workspace_id=workspace.pk, actor=None,
                              action="roster.nobody_on_duty", now=now, obj=gap,
                              after={"on_call": [u.username for u in now_on.on_call]})
                supervisors = Membership.objects.filter(
                    workspace=workspace, role__in=SUPERVISING_ROLES, user__is_active=True
                ).values_list("user_id", flat=True)
                notify(workspace=workspace, user_ids=supervisors, kind=AlertKind.NOBODY_ON_DUTY,
                       title=_("Nobody is on duty"),
                       body=_("%(desk)s has nobody at the desk now. On call: %(on_call)s.")
                       % {"desk": workspace.name,
                          "on_call": ", ".join(u.username for u in now_on.on_call) or "-"},
                       url=reverse("roster", args=[workspace.slug]), now=now,
                       reachable={u.pk for u in now_on.on_call})
        except IntegrityError:
            return None  # another runner opened it
        return "started"
    if not now_on.nobody and open_gap is not None:
        with transaction.atomic():
            closed = CoverageGap.objects.filter(pk=open_gap.pk, ended_at__isnull=True).update(
                ended_at=now)
            if closed:
                events.record(workspace_id=workspace.pk, actor=None,
                              action="roster.on_duty_again", now=now, obj=open_gap,
                              after={"on_duty": [u.username for u in now_on.desk]})
        return "ended" if closed else None
    return None


def alert_unattended(*, case_id: int, now: datetime) -> list[int]:
    """A case arrived (or was re-opened) while nobody is at the desk of a rostered workspace:
    alert whoever is on call, or, with nobody on call either, the supervisors. Once per case
    an hour (the wake-up may come twice). Returns who was alerted."""
    case = Case.objects.select_related("workspace").filter(pk=case_id).first()
    if case is None or not case.is_open or not queries.is_rostered(case.workspace_id):
        return []
    workspace = case.workspace
    now_on = queries.on_duty(workspace, now)
    if now_on.desk:
        return []
    url = reverse("case", args=[workspace.slug, case.pk])
    if Notification.objects.filter(workspace=workspace, kind=AlertKind.NEW_CASE, url=url,
                                   created_at__gt=now - timedelta(hours=1)).exists():
        return []
    targets = [u.pk for u in now_on.on_call] or list(Membership.objects.filter(
        workspace=workspace, role__in=SUPERVISING_ROLES, user__is_active=True)
        .values_list("user_id", flat=True))
    with transaction.atomic():
        notify(workspace=workspace, user_ids=targets, kind=AlertKind.NEW_CASE,
               title=_("A new case while nobody is on duty"),
               body=_("%(number)s on %(channel)s waits for an answer.")
               % {"number": case.tracking_number, "channel": case.channel.get_platform_display()},
               url=url, now=now, reachable={u.pk for u in now_on.on_call})
    return targets
