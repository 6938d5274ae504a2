"""Which body a case should go to, and why: what the desk's operators chose before for cases of
the same topic (their choices win, less the bodies that declined), else the bodies whose listed
topics include it. Reads only; the reason is shown beside the suggestion."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from tanggap.cases.language import TOPIC_LABELS
from tanggap.referrals.models import Body, Referral, ReferralStatus


@dataclass(frozen=True)
class Suggestion:
    body: Body
    reason: str
    source: str  # "history" or "topics"

    def as_dict(self) -> dict:
        return {"body_id": self.body.pk, "name": self.body.name, "reason": self.reason,
                "source": self.source}


def suggest_body(case, *, exclude: set[int] | frozenset[int] = frozenset()) -> Suggestion | None:
    """The body to suggest for `case`, never one in `exclude` (bodies that declined it)."""
    declined = set(Referral.objects.filter(case=case, status=ReferralStatus.BUKAN_WEWENANG)
                   .values_list("body_id", flat=True))
    skip = declined | set(exclude)
    if not case.topic:
        return None
    bodies = {b.pk: b for b in Body.objects.filter(workspace_id=case.workspace_id, active=True)
              if b.pk not in skip}
    if not bodies:
        return None
    label = str(TOPIC_LABELS.get(case.topic, case.topic))
    earlier = (Referral.objects.filter(workspace_id=case.workspace_id, case__topic=case.topic,
                                       body_id__in=bodies).exclude(case=case)
               .values("body_id", "status").annotate(n=Count("id")))
    score: Counter[int] = Counter()
    for row in earlier:
        # A referral the body turned down says the desk chose wrongly: it counts against.
        weight = -1 if row["status"] == ReferralStatus.BUKAN_WEWENANG else 1
        score[row["body_id"]] += weight * row["n"]
    best = [(n, pk) for pk, n in score.items() if n > 0]
    if best:
        n, pk = max(best, key=lambda item: (item[0], -item[1]))
        return Suggestion(bodies[pk], _("The desk referred %(n)d earlier case(s) about "
                                        "%(topic)s to %(body)s.")
                          % {"n": n, "topic": label, "body": bodies[pk].name}, "history")
    for body in sorted(bodies.values(), key=lambda b: (b.kind != "external", b.name)):
        if case.topic in (body.topics or []):
            return Suggestion(body, _("%(body)s answers for %(topic)s.")
                              % {"body": body.name, "topic": label}, "topics")
    return None
