"""Referrals and the desk's one template engine (cases.templating): canned replies may name the
body ({instansi}) and its date ({tenggat}); a referral's reply held for approval refuses the
whole step, so nothing is referred or closed behind the supervisor's back."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.management import call_command

from tanggap.approvals.models import ReplyApproval
from tanggap.cases.models import Case, Message
from tanggap.referrals.models import Referral

LATER = ("Laporan {nomor_laporan} sudah kami teruskan ke {instansi}; jawabannya paling lambat "
         "{tenggat}.")
WARN = "Terima kasih, laporan Anda SUDAH kami teruskan ke {instansi}."


def _claimed(desk):
    case = desk.inbound(text="Listrik padam sejak pagi di Gunung Samarinda",
                        external_id="t1", author_id="w-t1").case
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/claim").status_code == 200
    return case


def _offer(desk, case, name):
    rows = desk.ani.get(f"/api/v1/cases/{case.pk}/templates").json()["results"]
    return next(row for row in rows if row["name"] == name)


def test_a_canned_reply_names_the_body_once_the_case_is_referred(desk, directory):
    saved = desk.sari.post("/api/v1/templates", {"name": "Diteruskan", "text": LATER})
    assert saved.status_code == 201, saved.content
    case = _claimed(desk)
    before = _offer(desk, case, "Diteruskan")
    assert (before["text"], before["missing"]) == (None, ["instansi", "tenggat"])
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/referrals",
                         {"body_id": directory.pln.pk}).status_code == 201
    referral = Referral.objects.get(case=case)
    due = referral.follow_up_due_at.astimezone(ZoneInfo(desk.bpn.time_zone)).strftime("%d-%m-%Y")
    after = _offer(desk, case, "Diteruskan")
    assert after["missing"] == []
    assert after["text"] == (f"Laporan {case.tracking_number} sudah kami teruskan ke PLN UP3 "
                             f"Balikpapan; jawabannya paling lambat {due}.")


def test_the_citizen_reply_of_a_referral_uses_the_desk_fields_too(desk, directory):
    case = _claimed(desk)
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals", {
        "body_id": directory.pln.pk, "idempotency_key": "r1",
        "citizen_reply": "Laporan {nomor_laporan} lewat {kanal} kami teruskan ke {instansi}."})
    assert response.status_code == 201, response.content
    assert Message.objects.get(case=case, direction="out").text == (
        f"Laporan {case.tracking_number} lewat {case.channel} kami teruskan ke PLN UP3 "
        "Balikpapan.")


def test_a_referral_whose_reply_would_wait_for_approval_refers_nothing(desk, directory):
    call_command("workspace", "set", "bpn", "--approve-warn", "on")
    case = _claimed(desk)
    version = Case.objects.get(pk=case.pk).version
    refused = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals", {
        "body_id": directory.pln.pk, "idempotency_key": "r2", "citizen_reply": WARN,
        "confirm_tone": True})
    assert (refused.status_code, refused.json()["error"]) == (409, "approval_needed")
    assert not Referral.objects.exists() and not ReplyApproval.objects.exists()
    assert not Message.objects.filter(case=case, direction="out").exists()
    assert Case.objects.get(pk=case.pk).version == version
    # Without the reply it is referred; the reply goes through the composer and waits there.
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/referrals",
                         {"body_id": directory.pln.pk}).status_code == 201


def test_a_closing_reply_that_would_wait_for_approval_closes_nothing(desk, directory):
    case = _claimed(desk)
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/referrals",
                         {"body_id": directory.pln.pk}).status_code == 201
    call_command("workspace", "training", "bpn", "ani", "on")
    refused = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals/close", {
        "text": "PLN sudah memperbaiki jaringan di Gunung Samarinda. Terima kasih.",
        "idempotency_key": "c1", "base_version": Case.objects.get(pk=case.pk).version})
    assert (refused.status_code, refused.json()["error"]) == (409, "approval_needed")
    assert Case.objects.get(pk=case.pk).status == "diteruskan"
    assert not ReplyApproval.objects.exists()
    assert not Message.objects.filter(case=case, direction="out").exists()
