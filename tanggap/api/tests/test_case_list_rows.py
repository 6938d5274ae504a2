"""The case list prints each case as its own page does: the list reads plain values
(`SummaryRow`), the case's page a whole `Case`, and both go through `case_summary`."""

from datetime import timedelta

from django.utils import timezone

from tanggap.cases.actions import claim_case
from tanggap.cases.models import Case
from tanggap.roster.models import Offer, OfferKind
from tanggap.roster.tests.conftest import membership
from tanggap.sla.actions import set_policy


def test_each_listed_case_reads_as_its_own_page(desk):
    now = timezone.now()
    set_policy(membership=membership(desk, desk.sari), actor=desk.sari.user, now=now,
               name="Standar", first_response=60, resolution=24 * 60)
    cases = [desk.inbound(external_id=f"m{i}", author_id=f"w{i}", now=now - timedelta(
        minutes=i)).case for i in range(4)]
    claim_case(case_id=cases[0].pk, actor=desk.budi.user, now=now)
    Case.objects.filter(pk=cases[1].pk).update(
        triage_unsure=True, triage_confidence=0.45,
        triage_suggestions=[{"topic": "air_bersih", "confidence": 0.45}])
    Offer.objects.create(workspace=desk.bpn, case=cases[2], user=desk.ani.user,
                         kind=OfferKind.HANDOVER, offered_by=desk.sari.user, offered_at=now)
    Case.objects.filter(pk=cases[3].pk).update(status="menunggu")
    listed = desk.ani.get("/api/v1/cases?status=all").json()["results"]
    assert [c["id"] for c in listed] == [c.pk for c in cases]
    for entry in listed:
        page = desk.ani.get(f"/api/v1/cases/{entry['id']}").json()
        assert entry == {key: page[key] for key in entry}
    first, unsure, offered, waiting = listed
    assert first["claimed_by"] == "budi" and first["claim_active"] is True
    assert first["contact"] == {"id": cases[0].contact_id, "name": "Warga Satu"}
    assert unsure["needs_check"] is True and unsure["topic_suggestions"] == [
        {"topic": "air_bersih", "confidence": 0.45}]
    assert offered["assigned_to"] == "ani" and offered["claimed_by"] is None
    assert waiting["status"] == "menunggu" and all(c["sla"] is not None for c in listed)
    assert {c["workspace"] for c in listed} == {"bpn"}
