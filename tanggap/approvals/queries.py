"""Reads of held replies: a workspace's queue, and what waits on one case."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from tanggap.approvals.models import ApprovalStatus, ReplyApproval
from tanggap.conf import compiled


def queue(workspace_ids, *, status: str | None = ApprovalStatus.MENUNGGU) -> QuerySet:
    qs = (ReplyApproval.objects.filter(workspace_id__in=list(workspace_ids))
          .select_related("case", "case__contact", "case__channel", "requested_by",
                          "decided_by", "workspace"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id") if status == ApprovalStatus.MENUNGGU else qs.order_by("-id")


def on_case(case, *, decided: int = 3) -> list[ReplyApproval]:
    """What the case page shows: every reply of the case still waiting, then the newest few
    decided (so the operator sees what became of theirs), newest first."""
    base = ReplyApproval.objects.filter(case=case).select_related("requested_by", "decided_by")
    waiting = list(base.filter(status=ApprovalStatus.MENUNGGU).order_by("-id"))
    done = list(base.exclude(status=ApprovalStatus.MENUNGGU).order_by("-id")[:decided])
    return waiting + done


def pending_count(workspace_id: int) -> int:
    """The replies waiting for a supervisor, shown in the top bar of every desk page: from a
    statement compiled once (tanggap.conf.compiled) rather than built by the ORM each time."""
    found = compiled.rows(
        "approvals.pending_count",
        lambda values: ReplyApproval.objects.filter(workspace_id=values["workspace_id"],
                                                    status=ApprovalStatus.MENUNGGU)
        .values("workspace_id").annotate(count=Count("pk")).values_list("count"),
        {"workspace_id": int(workspace_id)})
    # Grouped by the one workspace: no row when nothing waits.
    return found[0][0] if found else 0
