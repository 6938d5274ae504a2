"""The gate the cases room asks before it sends a reply (cases.holds): per workspace, replies
whose tone verdict is `warn` (Workspace.approve_warn) and every reply of a member in training
(Membership.in_training) wait for a supervisor instead of leaving."""

from __future__ import annotations

from tanggap.approvals.models import HoldReason, ReplyApproval
from tanggap.audit import events
from tanggap.cases.holds import Held
from tanggap.live.fanout import publish_on_commit
from tanggap.workspaces.models import Membership, Workspace


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def publish(approval: ReplyApproval) -> None:
    """Every open desk of the workspace hears of a held reply and of its decision: the queue and
    the case refresh, and the operator who wrote it is told the outcome."""
    publish_on_commit(approval.workspace_id, {
        "kind": "approval", "approval_id": approval.pk, "case_id": approval.case_id,
        "status": approval.status, "requested_by": approval.requested_by.username,
        "decided_by": approval.decided_by.username if approval.decided_by_id else None,
        "decided_by_name": _name(approval.decided_by) if approval.decided_by_id else None,
        "note": approval.note})


def hold_if_needed(*, case, actor, text, idempotency_key, base_version, verdict, findings,
                   now) -> Held | None:
    earlier = ReplyApproval.objects.filter(case=case, idempotency_key=idempotency_key).first()
    if earlier is not None:  # the operator's retry of a reply held already
        return Held(earlier.pk, earlier.status)
    in_training = Membership.objects.filter(workspace_id=case.workspace_id, user=actor,
                                            in_training=True).exists()
    if in_training:
        reason = HoldReason.TRAINING
    elif verdict == "warn" and Workspace.objects.filter(pk=case.workspace_id,
                                                        approve_warn=True).exists():
        reason = HoldReason.WARN
    else:
        return None
    approval = ReplyApproval.objects.create(
        workspace_id=case.workspace_id, case=case, requested_by=actor, text=text,
        idempotency_key=idempotency_key, base_version=base_version, verdict=verdict,
        findings=list(findings), reason=reason, created_at=now)
    events.record(workspace_id=case.workspace_id, actor=actor, now=now, case=case, obj=approval,
                  action="reply.held", after={"approval_id": approval.pk, "reason": reason,
                                              "tone": verdict, "findings": list(findings)})
    publish(approval)
    return Held(approval.pk, approval.status)
