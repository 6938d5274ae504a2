"""`overdue_exists`, the inbox page's overdue-referral flag inside its own statement, says what
`overdue_reason` says of each referral: every open status, acknowledged or not, each side of
both limits, closed referrals, a closed and an open one on one case, a case without one."""

from datetime import timedelta

from tanggap.cases.models import Case
from tanggap.referrals.models import Referral, ReferralStatus
from tanggap.referrals.queries import overdue_exists, overdue_reason

from .test_reminders import _referred


def _flags(now) -> dict[int, bool]:
    return dict(Case.objects.annotate(late=overdue_exists(now)).values_list("pk", "late"))


def test_the_flag_is_overdue_reasons_at_every_edge(desk, directory):
    referrals = _referred(desk, directory.pln, n=6)
    base = referrals[0].acknowledge_due_at
    states = [
        (ReferralStatus.TERKIRIM, None), (ReferralStatus.DITERIMA, base - timedelta(hours=1)),
        (ReferralStatus.DIPROSES, base - timedelta(hours=1)), (ReferralStatus.DIPROSES, None),
        (ReferralStatus.SELESAI, None), (ReferralStatus.DITARIK, None),
    ]
    for referral, (status, acknowledged_at) in zip(referrals, states, strict=True):
        Referral.objects.filter(pk=referral.pk).update(status=status,
                                                       acknowledged_at=acknowledged_at)
    # The resolved one's case referred again, to a body with other limits: a closed and an open
    # referral on one case.
    second = desk.ani.post(f"/api/v1/cases/{referrals[4].case_id}/referrals",
                           {"body_id": directory.pdam.pk})
    assert second.status_code == 201, second.content
    without = desk.inbound(text="Sampah menumpuk", external_id="none", author_id="none").case
    rows = list(Referral.objects.all())
    follow_ups = sorted({r.follow_up_due_at for r in rows})
    moments = {base - timedelta(days=1)}
    for edge in (*{r.acknowledge_due_at for r in rows}, *follow_ups):
        moments |= {edge - timedelta(microseconds=1), edge, edge + timedelta(microseconds=1)}
    seen = set()
    for now in sorted(moments):
        expected = {case_id: False for case_id in Case.objects.values_list("pk", flat=True)}
        for referral in Referral.objects.all():
            expected[referral.case_id] |= overdue_reason(referral, now) is not None
        assert _flags(now) == expected, now
        seen.add(tuple(sorted(expected.items())))
        assert expected[without.pk] is False
    assert len(seen) >= 3  # the edges move the flags: nothing late, some late, more late
