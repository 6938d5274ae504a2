"""What the roster keeps about a citizen: the note a holder leaves when handing a case to a
colleague ("Pak Agus minta ditelepon sore"), on the offer and in the colleague's notification.
Registered with the privacy room's holders port, which calls it inside its own transaction when
cases are anonymised (retention) or a citizen is erased."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from tanggap.alerts.models import Notification
from tanggap.cases.models import Case
from tanggap.privacy.holders import Erased, Holder, Scope
from tanggap.roster.models import Offer, OfferKind


class RosterData(Holder):
    name = "roster"

    def export(self, scope: Scope) -> dict[int, dict]:
        held: dict[int, dict] = {}
        for offer in (Offer.objects.filter(case_id__in=scope.case_ids, kind=OfferKind.HANDOVER)
                      .exclude(note="").order_by("offered_at", "pk")):
            held.setdefault(offer.case_id, {"handover_notes": []})["handover_notes"].append(
                {"text": offer.note, "at": offer.offered_at.isoformat()})
        return held

    def erase(self, scope: Scope, now: datetime) -> Erased:
        notes = (Offer.objects.filter(case_id__in=scope.case_ids).exclude(note="")
                 .update(note=""))
        # A hand-over's notification carries its note; notifications name a case by its page.
        pages = [reverse("case", args=[slug, pk]) for pk, slug in Case.objects.filter(
            pk__in=scope.case_ids).values_list("pk", "workspace__slug")]
        alerts = (Notification.objects.filter(workspace_id=scope.workspace_id, url__in=pages)
                  .exclude(body="").update(body=""))
        return Erased(counts={"handover_notes": notes, "notifications": alerts})
