from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, release_case, set_case_status, take_over_case
from tanggap.cases.models import Case
from tanggap.errors import CaseClaimed, CaseClosed, Forbidden, NotHolder
from tanggap.workspaces.models import Membership


def test_claim_sets_holder_status_version_and_audits(desk):
    case = desk.inbound().case
    now = timezone.now()
    claimed = claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    assert (claimed.claimed_by_id, claimed.status, claimed.version) == (desk.ani.user.pk, "diklaim", 2)
    assert claimed.claim_expires_at == now + timedelta(minutes=15)
    event = AuditEvent.objects.get(case=case, action="case.claimed")
    assert event.actor == desk.ani.user
    assert event.before == {"status": "baru", "claimed_by": None, "version": 1}
    assert event.after == {"status": "diklaim", "claimed_by": "ani", "version": 2}


def test_second_claimer_is_refused_with_holder(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    with pytest.raises(CaseClaimed) as refused:
        claim_case(case_id=case.pk, actor=desk.budi.user, now=now)
    assert refused.value.extra == {"claimed_by": "ani"}
    assert Case.objects.get(pk=case.pk).claimed_by_id == desk.ani.user.pk


def test_holder_claiming_again_renews_without_new_version(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    later = now + timedelta(minutes=10)
    renewed = claim_case(case_id=case.pk, actor=desk.ani.user, now=later)
    assert renewed.version == 2
    assert renewed.claim_expires_at == later + timedelta(minutes=15)
    assert AuditEvent.objects.filter(case=case, action="case.claimed").count() == 1


def test_expired_lease_can_be_claimed_by_another(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    after_lease = now + timedelta(minutes=15, seconds=1)
    taken = claim_case(case_id=case.pk, actor=desk.budi.user, now=after_lease)
    assert taken.claimed_by_id == desk.budi.user.pk
    event = AuditEvent.objects.filter(case=case, action="case.claimed").last()
    assert event.before["claimed_by"] == "ani"
    assert event.after["claimed_by"] == "budi"


def test_workspace_lease_length_is_used(desk):
    desk.bpn.claim_lease_minutes = 3
    desk.bpn.save(update_fields=["claim_lease_minutes"])
    case = desk.inbound().case
    now = timezone.now()
    claimed = claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    assert claimed.claim_expires_at == now + timedelta(minutes=3)


def test_release_by_holder_returns_case_to_queue(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    released = release_case(case_id=case.pk, actor=desk.ani.user, now=now)
    assert (released.claimed_by_id, released.status, released.version) == (None, "baru", 3)
    assert AuditEvent.objects.filter(case=case, action="case.released").count() == 1


def test_release_by_someone_else_is_refused(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    with pytest.raises(NotHolder):
        release_case(case_id=case.pk, actor=desk.budi.user, now=now)
    assert Case.objects.get(pk=case.pk).claimed_by_id == desk.ani.user.pk


def test_supervisor_takes_over_and_it_is_audited(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    membership = Membership.objects.get(user=desk.sari.user)
    taken = take_over_case(case_id=case.pk, actor=desk.sari.user, membership=membership, now=now)
    assert taken.claimed_by_id == desk.sari.user.pk
    event = AuditEvent.objects.get(case=case, action="case.taken_over")
    assert (event.before["claimed_by"], event.after["claimed_by"]) == ("ani", "sari")


def test_operator_cannot_take_over(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    membership = Membership.objects.get(user=desk.budi.user)
    with pytest.raises(Forbidden):
        take_over_case(case_id=case.pk, actor=desk.budi.user, membership=membership, now=now)
    assert Case.objects.get(pk=case.pk).claimed_by_id == desk.ani.user.pk


def test_closed_case_cannot_be_claimed(desk):
    case = desk.inbound().case
    now = timezone.now()
    set_case_status(case_id=case.pk, actor=desk.sari.user, status="ditutup", now=now)
    with pytest.raises(CaseClosed):
        claim_case(case_id=case.pk, actor=desk.ani.user, now=now)


def test_a_claim_through_the_api_takes_the_lease_its_access_check_read(desk):
    desk.bpn.claim_lease_minutes = 3
    desk.bpn.save(update_fields=["claim_lease_minutes"])
    case = desk.inbound().case
    answer = desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    assert answer.status_code == 200
    case.refresh_from_db()
    assert case.claim_expires_at - case.updated_at == timedelta(minutes=3)


def test_a_workspace_that_is_not_the_cases_gives_no_lease(desk):
    desk.dlh.claim_lease_minutes = 600
    case = desk.inbound().case
    now = timezone.now()
    claimed = claim_case(case_id=case.pk, actor=desk.ani.user, now=now, workspace=desk.dlh)
    assert claimed.claim_expires_at == now + timedelta(minutes=desk.bpn.claim_lease_minutes)
