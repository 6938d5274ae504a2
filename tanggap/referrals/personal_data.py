"""What the referrals room keeps about a citizen: the desk's notes to the body (with the referral,
and when it handed the conversation over or took it back), the body's answers
and the reply they drafted for the citizen, and, for a body with its own desk, the case opened
there, whose first message quotes the citizen's words. Registered with the privacy room's
holders port, which calls it inside its own transaction when cases are anonymised (retention)
or a citizen is erased.

Kept: which body, the statuses and their times, who answered, the deadlines: what the reports
and the audit count. The body's own copies (the e-mail it received) are the body's to erase."""

from __future__ import annotations

from datetime import datetime

from tanggap.audit import events
from tanggap.cases.models import Case
from tanggap.privacy.holders import Erased, Holder, Scope
from tanggap.referrals.models import Referral, ReferralUpdate


class ReferralsData(Holder):
    name = "referrals"

    def export(self, scope: Scope) -> dict[int, dict]:
        held: dict[int, dict] = {}
        referrals = (Referral.objects.filter(case_id__in=scope.case_ids)
                     .select_related("body").prefetch_related("updates").order_by("created_at"))
        for referral in referrals:
            held.setdefault(referral.case_id, {"referrals": []})["referrals"].append({
                "body": referral.body.name, "status": referral.status, "note": referral.note,
                "hand_over_note": referral.hand_over_note,
                "take_back_note": referral.take_back_note,
                "referred_at": referral.created_at.isoformat(),
                "updates": [{"status": update.status, "text": update.text,
                             "at": update.created_at.isoformat()}
                            for update in referral.updates.all()],
            })
        return held

    def erase(self, scope: Scope, now: datetime) -> Erased:
        # Not at start-up: the apps register holders without loading the desk's actions.
        from tanggap.cases.actions import anonymise_case_rows

        referrals = Referral.objects.filter(case_id__in=scope.case_ids)
        notes = referrals.exclude(note="").update(note="")
        notes += (referrals.exclude(hand_over_note="", take_back_note="")
                  .update(hand_over_note="", take_back_note=""))
        updates = ReferralUpdate.objects.filter(referral__case_id__in=scope.case_ids)
        texts = updates.exclude(text="", draft="").update(text="", draft="")
        # The case a body's own desk received holds the citizen's words: anonymised with it,
        # and recorded in that desk's trail (its contact is the referring desk, not a citizen).
        linked = list(Case.objects.select_for_update()
                      .filter(pk__in=referrals.exclude(linked_case=None)
                              .values_list("linked_case_id", flat=True),
                              anonymised_at__isnull=True).order_by("pk"))
        if linked:
            anonymise_case_rows(cases=linked, now=now)
            for case in linked:
                events.record(workspace_id=case.workspace_id, actor=None, now=now, case=case,
                              obj=case, action="privacy.case_anonymised",
                              after={"reason": "referring_case_anonymised"})
        return Erased(counts={"notes": notes, "answers": texts, "linked_cases": len(linked)})
