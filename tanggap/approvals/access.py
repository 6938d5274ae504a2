"""Permission-checked access to held replies: outsiders NotFound; deciding needs a supervisor
(or an admin), others Forbidden."""

from __future__ import annotations

from tanggap.approvals.models import ReplyApproval
from tanggap.cases.cleaning import object_id
from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.access import access_membership


def access_approval(user, approval_id, *, decide: bool = False):
    pk = object_id(approval_id)
    approval = (ReplyApproval.objects.filter(pk=pk).select_related("case", "requested_by")
                .first() if pk is not None else None)
    if approval is None:
        raise NotFound()
    membership = access_membership(user, approval.workspace_id, write=decide)
    if decide and not membership.can_supervise:
        raise Forbidden()
    return approval, membership
