"""What the approvals room keeps about a citizen: replies held for a supervisor (their words
often name or quote the citizen) and the supervisor's note on a rejected one. Registered with
the privacy room's holders port, which calls it inside its own transaction when cases are
anonymised (retention) or a citizen is erased."""

from __future__ import annotations

from datetime import datetime

from tanggap.approvals.models import ApprovalStatus, ReplyApproval
from tanggap.privacy.holders import Erased, Holder, Scope


class ApprovalsData(Holder):
    name = "approvals"

    def busy(self, scope: Scope) -> dict[int, str]:
        # Approving sends the held words: anonymised first, the citizen would get
        # "[dianonimkan]". A supervisor approves or rejects it, then the case can go.
        waiting = (ReplyApproval.objects.filter(case_id__in=scope.case_ids,
                                                status=ApprovalStatus.MENUNGGU)
                   .values_list("case_id", flat=True))
        return {case_id: "a reply waits for a supervisor's approval" for case_id in waiting}

    def export(self, scope: Scope) -> dict[int, dict]:
        held: dict[int, dict] = {}
        for approval in (ReplyApproval.objects.filter(case_id__in=scope.case_ids)
                         .order_by("created_at", "pk")):
            held.setdefault(approval.case_id, {"held_replies": []})["held_replies"].append({
                "text": approval.text, "status": approval.status,
                "held_at": approval.created_at.isoformat(),
            })
        return held

    def erase(self, scope: Scope, now: datetime) -> Erased:
        # Not at start-up: the apps register holders without loading the desk's actions.
        from tanggap.cases.actions import ANONYMISED_TEXT

        held = ReplyApproval.objects.filter(case_id__in=scope.case_ids)
        texts = held.exclude(text=ANONYMISED_TEXT).update(text=ANONYMISED_TEXT)
        notes = held.exclude(note="").update(note="")
        return Erased(counts={"held_replies": texts, "notes": notes})
