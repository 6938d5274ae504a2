"""Ownership is unmistakable: refusals name the holder by full name, a lapsed claim never reads
"claimed", a colleague's case shows who holds it instead of a Claim button, and a supervisor's
take-over carries a reason to the audit trail and to the operator who lost the case, live."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases import actions
from tanggap.cases.models import Case


@pytest.fixture
def named(desk):
    desk.ani.user.first_name, desk.ani.user.last_name = "Ani", "Lestari"
    desk.ani.user.save(update_fields=["first_name", "last_name"])
    desk.sari.user.first_name, desk.sari.user.last_name = "Sari", "Wulandari"
    desk.sari.user.save(update_fields=["first_name", "last_name"])
    case = desk.inbound().case
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/claim").status_code == 200
    return desk, case


def _flat(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_refused_claim_and_a_refused_send_name_the_holder(named):
    desk, case = named
    claim = desk.budi.post(f"/api/v1/cases/{case.pk}/claim", HTTP_ACCEPT_LANGUAGE="en")
    assert claim.status_code == 409
    assert claim.json() == {"error": "claimed", "message": "Ani Lestari is handling this case.",
                            "claimed_by": "ani"}
    send = desk.budi.post(f"/api/v1/cases/{case.pk}/replies", {
        "text": "Terima kasih, laporan Bapak kami teruskan.", "idempotency_key": "b1",
        "base_version": Case.objects.get(pk=case.pk).version}, HTTP_ACCEPT_LANGUAGE="en")
    assert send.status_code == 409 and send.json()["error"] == "not_holder"
    assert send.json()["message"] == ("Ani Lestari holds this case: only the holder can reply "
                                      "or release it.")
    indonesian = desk.budi.post(f"/api/v1/cases/{case.pk}/release")
    assert indonesian.json()["message"].startswith("Kasus ini dipegang Ani Lestari")


def test_a_colleague_sees_who_holds_it_and_no_claim_button(named):
    desk, case = named
    desk.budi.client.force_login(desk.budi.user)
    panel = _flat(desk.budi.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    assert 'class="holder held-by-other">Dipegang oleh Ani Lestari</span>' in panel
    assert 'data-holder-name="Ani Lestari"' in panel
    assert 'id="claim"' not in panel
    rows = _flat(desk.budi.client.get("/w/bpn/rows"))
    assert "Dipegang oleh Ani Lestari" in rows
    desk.ani.client.force_login(desk.ani.user)
    mine = _flat(desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    assert 'class="holder held-by-me">Anda memegang kasus ini</span>' in mine
    assert 'id="release"' in mine and 'id="claim"' not in mine


def test_a_lapsed_claim_does_not_read_claimed(named):
    desk, case = named
    Case.objects.filter(pk=case.pk).update(
        claim_expires_at=timezone.now() - timedelta(minutes=1))
    desk.budi.client.force_login(desk.budi.user)
    panel = _flat(desk.budi.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    assert '<span class="badge st-diklaim st-lapsed" id="case-status">Klaim berakhir</span>' in panel
    assert "Belum ada yang memegang kasus ini" in panel and 'id="claim"' in panel
    rows = _flat(desk.budi.client.get("/w/bpn/rows"))
    assert "Klaim berakhir" in rows and ">Diklaim<" not in rows


def test_a_take_over_records_its_reason_and_tells_the_operator_live(named, monkeypatch):
    desk, case = named
    pushed = []
    monkeypatch.setattr(actions, "publish_on_commit", lambda ws, event: pushed.append(event))
    taken = desk.sari.post(f"/api/v1/cases/{case.pk}/takeover", {"reason": "Ani sedang cuti"})
    assert taken.status_code == 200 and taken.json()["claimed_by"] == "sari"
    event = AuditEvent.objects.get(action="case.taken_over", case=case)
    assert event.actor == desk.sari.user and event.after["reason"] == "Ani sedang cuti"
    assert event.before["claimed_by"] == "ani"
    told = [e for e in pushed if e["kind"] == "takeover"]
    assert told == [{"kind": "takeover", "case_id": case.pk,
                     "tracking_number": case.tracking_number, "from": "ani", "by": "sari",
                     "by_name": "Sari Wulandari", "reason": "Ani sedang cuti"}]


def test_take_over_refusals_change_nothing(named):
    desk, case = named
    version = Case.objects.get(pk=case.pk).version
    too_long = desk.sari.post(f"/api/v1/cases/{case.pk}/takeover", {"reason": "x" * 501})
    assert too_long.status_code == 422 and too_long.json()["field"] == "reason"
    not_text = desk.sari.post(f"/api/v1/cases/{case.pk}/takeover", {"reason": 5})
    assert not_text.status_code == 422
    for persona, status in ((desk.budi, 403), (desk.audi, 403), (desk.luar, 404)):
        assert desk.sari is not persona
        answer = persona.post(f"/api/v1/cases/{case.pk}/takeover", {"reason": "saya"})
        assert answer.status_code == status, persona.user.username
    after = Case.objects.get(pk=case.pk)
    assert (after.claimed_by_id, after.version) == (desk.ani.user.pk, version)
    assert not AuditEvent.objects.filter(action="case.taken_over").exists()
    # Without a body (an older client) the take-over still works, with no reason.
    bare = desk.sari.client.post(f"/api/v1/cases/{case.pk}/takeover", data="",
                                 content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {desk.sari.token}")
    assert bare.status_code == 200
    assert AuditEvent.objects.get(action="case.taken_over").after["reason"] == ""


def test_the_audit_trail_reads_as_sentences_in_the_readers_language(named):
    desk, case = named
    desk.sari.post(f"/api/v1/cases/{case.pk}/takeover", {"reason": "Ani sedang cuti"})
    desk.sari.post(f"/api/v1/cases/{case.pk}/status", {"status": "selesai"})
    desk.sari.client.force_login(desk.sari.user)
    indonesian = _flat(desk.sari.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    trail = indonesian.split('<details class="audit">')[1]
    assert "Pesan warga membuka kasus ini." in trail
    assert "Ani Lestari mengklaim kasus." in trail
    assert ("Sari Wulandari mengambil alih kasus dari Ani Lestari. Alasan: Ani sedang cuti"
            in trail)
    assert "Sari Wulandari memindahkan kasus dari Diklaim ke Selesai." in trail
    desk.sari.client.cookies["django_language"] = "en"
    english = _flat(desk.sari.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    trail = english.split('<details class="audit">')[1]
    assert ("Sari Wulandari took the case over from Ani Lestari. Reason: Ani sedang cuti"
            in trail)
    assert "Sari Wulandari moved the case from Claimed to Done." in trail
    # No internal codes or dicts reach the reader (the codes stay in a data attribute).
    visible = re.sub(r'data-action="[^"]*"', "", trail.split("</details>")[0])
    for leak in ("case.claimed", "case.taken_over", "{&#x27;", "claimed_by", "version"):
        assert leak not in visible, leak
