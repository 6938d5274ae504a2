"""Reads of held replies: a workspace's queue, and what waits on one case."""

from __future__ import annotations

from django.db.models import QuerySet

from tanggap.approvals.models import ApprovalStatus, ReplyApproval


def queue(workspace_ids, *, status: str | None = ApprovalStatus.MENUNGGU) -> QuerySet:
    qs = (ReplyApproval.objects.filter(workspace_id__in=list(workspace_ids))
          .select_related("case", "case__contact", "case__channel", "requested_by",
                          "decided_by", "workspace"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id") if status == ApprovalStatus.MENUNGGU else qs.order_by("-id")


def pending_on(case) -> list[ReplyApproval]:
    return list(ReplyApproval.objects.filter(case=case, status=ApprovalStatus.MENUNGGU)
                .select_related("requested_by").order_by("id"))


def pending_count(workspace_id: int) -> int:
    return ReplyApproval.objects.filter(workspace_id=workspace_id,
                                        status=ApprovalStatus.MENUNGGU).count()
