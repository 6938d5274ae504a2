"""Reads of the referrals room: the case panel, the referrals view by body, the public trail of
the citizen's status page, the API shapes. Always scoped by ids that came from an accessor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from tanggap.calendar import working_days_between
from tanggap.referrals.models import (
    OPEN_REFERRAL_STATUSES,
    Body,
    Referral,
    ReferralStatus,
    ReferralUpdate,
)
from tanggap.workspaces.calendars import calendar_of


def bodies_of_workspaces(workspace_ids):
    return Body.objects.filter(workspace_id__in=workspace_ids, active=True).order_by("name", "id")


def bodies_of(workspace_id: int, *, active_only: bool = True):
    bodies = Body.objects.filter(workspace_id=workspace_id)
    return bodies.filter(active=True) if active_only else bodies


def overdue_reason(referral: Referral, now: datetime) -> str | None:
    """Why an open referral is late ("acknowledge" or "follow_up"), or None."""
    if not referral.is_open:
        return None
    if referral.acknowledged_at is None and now >= referral.acknowledge_due_at:
        return "acknowledge"
    if referral.status != ReferralStatus.SELESAI and now >= referral.follow_up_due_at:
        return "follow_up"
    return None


OVERDUE_LABELS = {
    "acknowledge": _("Not acknowledged in time"),
    "follow_up": _("No result in time"),
}


def referrals_of_case(case_id: int, *, now: datetime) -> list[Referral]:
    referrals = list(Referral.objects.filter(case_id=case_id)
                     .select_related("body", "linked_case", "linked_case__workspace")
                     .prefetch_related(Prefetch("updates", queryset=ReferralUpdate.objects
                                                .select_related("suggested_body")))
                     .order_by("created_at", "id"))
    for referral in referrals:
        referral.overdue = overdue_reason(referral, now)
        referral.overdue_label = OVERDUE_LABELS.get(referral.overdue, "")
    return referrals


def referral_linked_to(case_id: int) -> Referral | None:
    """The referral that opened this case in a body's own desk, if it is such a case."""
    return (Referral.objects.filter(linked_case_id=case_id)
            .select_related("body", "case", "workspace").first())


_UNREAD = object()


def handed_over_conversation(linked_case, referral=_UNREAD) -> tuple[Referral, list] | None:
    """For a linked case whose desk the referring desk handed the conversation over to: the
    referral and the referring case's messages (the one thing of the other workspace its
    operators may read), oldest first. None when not handed over to this case's desk.
    `referral`: referral_linked_to(linked_case.pk), when the caller has it already."""
    from tanggap.cases.models import Message

    if referral is _UNREAD:
        referral = referral_linked_to(linked_case.pk)
    if referral is None or referral.case.speaking_workspace_id != linked_case.workspace_id:
        return None
    return referral, list(Message.objects.filter(case_id=referral.case_id)
                          .order_by("created_at", "id"))


def overdue_exists(now) -> Exists:
    """For the inbox page's one statement: whether the row's case has an overdue open referral,
    as `overdue_reason` decides it (`now` may be a compiled statement's stand-in). A query of
    its own, with an `IN` of the page's hundred ids, cost more than this on every page."""
    return Exists(Referral.objects.filter(
        case_id=OuterRef("pk"), workspace_id=OuterRef("workspace_id"),
        status__in=OPEN_REFERRAL_STATUSES,
    ).filter(
        Q(acknowledged_at__isnull=True, acknowledge_due_at__lte=now)
        # Open is never SELESAI: the follow-up's own condition, kept as `overdue_reason` has it.
        | (~Q(status=ReferralStatus.SELESAI) & Q(follow_up_due_at__lte=now))
    ))


@dataclass
class BodyRow:
    body: Body
    referrals: list


def open_referrals_by_body(workspace, *, now: datetime) -> list[BodyRow]:
    """Every open referral of the workspace grouped by body, oldest first, with its age in
    working days (the workspace's calendar) and whether it is overdue."""
    calendar = calendar_of(workspace)
    rows: dict[int, BodyRow] = {}
    referrals = (Referral.objects.filter(workspace=workspace, status__in=OPEN_REFERRAL_STATUSES)
                 .select_related("body", "case").order_by("body__name", "created_at"))
    for referral in referrals:
        referral.age_days = working_days_between(calendar, referral.created_at, now)
        referral.overdue = overdue_reason(referral, now)
        referral.overdue_label = OVERDUE_LABELS.get(referral.overdue, "")
        rows.setdefault(referral.body_id, BodyRow(referral.body, [])).referrals.append(referral)
    return list(rows.values())


def public_trail(case_id: int) -> list[dict]:
    """The referral trail for the citizen's status page: body names, dates, statuses and the
    public part of the body's answers. Never a person's name, the desk's note or a link."""
    trail = []
    referrals = (Referral.objects.filter(case_id=case_id).exclude(status=ReferralStatus.DITARIK)
                 .select_related("body").prefetch_related("updates").order_by("created_at"))
    for referral in referrals:
        steps = []
        for update in referral.updates.all():
            if update.status == ReferralStatus.DITARIK:
                continue
            public_text = update.text if update.status in (
                ReferralStatus.DIPROSES, ReferralStatus.SELESAI,
                ReferralStatus.BUKAN_WEWENANG) else ""
            steps.append({"status": update.status, "label": update.get_status_display(),
                          "at": update.created_at, "text": public_text})
        trail.append({"body": referral.body.name, "status": referral.status,
                      "label": referral.get_status_display(), "at": referral.created_at,
                      "steps": steps})
    return trail


def referral_json(referral: Referral) -> dict:
    return {
        "id": referral.pk,
        "body_id": referral.body_id,
        "status": referral.status,
        "updates": [{"status": u.status, "text": u.text, "at": u.created_at.isoformat()}
                    for u in referral.updates.all()],
    }


def body_json(body: Body) -> dict:
    return {"id": body.pk, "name": body.name, "kind": body.kind, "topics": list(body.topics)}


def liaison_referrals(user, *, workspace_ids) -> list[Referral]:
    """The referrals a logged-in liaison answers: those of the bodies that list them."""
    return list(Referral.objects.filter(workspace_id__in=workspace_ids, body__liaisons=user)
                .select_related("body", "case").order_by("-created_at")[:200])


def due_text(due: datetime, time_zone: str) -> str:
    """A referral's date as a citizen reads it ({tenggat}), in the workspace's time zone."""
    return due.astimezone(ZoneInfo(time_zone)).strftime("%d-%m-%Y")


def open_referral_values(*, case, actor) -> dict[str, str]:
    """The referral fields of a case's open referral, for canned replies written after it was
    referred ("... sudah kami teruskan ke {instansi}"); nothing when it has none."""
    referral = (Referral.objects.filter(case_id=case.pk, status__in=OPEN_REFERRAL_STATUSES)
                .select_related("body").order_by("-id").first())
    if referral is None:
        return {}
    return {"instansi": referral.body.name,
            "tenggat": due_text(referral.follow_up_due_at, case.workspace.time_zone)}
