"""Writes of the reports room: the desk's decision to make a case public. Owns its transaction,
takes the acting user and `now`, writes an audit event in the same transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from tanggap.audit import events
from tanggap.cases.access import access_case
from tanggap.errors import Forbidden
from tanggap.reports.models import PublicMark


def set_case_public(*, case_id, actor, public: bool, now: datetime) -> bool:
    """Make a case public (its citizen's words, the desk's answers and the address given may
    then be shown on the transparency page and in Open311), or private again. Supervisors and
    admins only: it is a publication decision. Returns whether anything changed."""
    case, membership = access_case(actor, case_id, load=False)
    if not membership.can_supervise:
        raise Forbidden()
    with transaction.atomic():
        existing = PublicMark.objects.select_for_update().filter(case_id=case.pk).first()
        if public == (existing is not None):
            return False
        if public:
            PublicMark.objects.create(case_id=case.pk, workspace_id=case.workspace_id,
                                      marked_by=actor, marked_at=now)
        else:
            existing.delete()
        events.record(workspace_id=case.workspace_id, actor=actor, now=now, case=case,
                      action="case.made_public" if public else "case.made_private",
                      obj=case, after={"public": public})
    return True
