"""REST v1 of the referrals room, as the OpenAPI document states it (every response here is also
checked against the document by the contract middleware): the directory, strict input to
referring and closing, incidents' conflicts that name the case at fault."""

from __future__ import annotations

from tanggap.cases.models import Case, Message
from tanggap.referrals.models import Incident, Referral

PLN_TEXT = "Listrik padam di Jl. Sudirman sejak pagi"


def _held(desk, persona=None, **inbound):
    case = desk.inbound(text=PLN_TEXT, **inbound).case
    assert (persona or desk.ani).post(f"/api/v1/cases/{case.pk}/claim").status_code == 200
    return case


def test_the_directory_lists_the_active_bodies_of_your_workspaces_only(desk, directory):
    expected = [
        {"id": directory.dlh.pk, "name": "Dinas Lingkungan Hidup", "kind": "internal",
         "topics": ["sampah_kebersihan"]},
        {"id": directory.pln.pk, "name": "PLN UP3 Balikpapan", "kind": "external",
         "topics": ["listrik"]},
        {"id": directory.pdam.pk, "name": "Perumda Tirta Manuntung Balikpapan",
         "kind": "external", "topics": ["air_bersih"]},
    ]
    assert desk.ani.get("/api/v1/bodies").json() == {"results": expected}
    # The auditor reads it; the other workspace sees its own list only.
    assert desk.audi.get("/api/v1/bodies").json() == {"results": expected}
    assert desk.luar.get("/api/v1/bodies").json() == {"results": [
        {"id": directory.dlh_bodies.pk, "name": "PLN (dlh's list)", "kind": "external",
         "topics": ["listrik"]}]}
    assert desk.ani.client.get("/api/v1/bodies").status_code == 401


def test_referring_refuses_bad_input_by_name_and_stores_nothing(desk, directory):
    case = _held(desk)
    path = f"/api/v1/cases/{case.pk}/referrals"
    for body, field in (
        ({"body_id": True}, "body_id"),
        ({"body_id": "1_0"}, "body_id"),
        ({"body_id": directory.pln.pk, "note": 5}, "note"),
        ({"body_id": directory.pln.pk, "note": "x" * 2001}, "note"),
        ({"body_id": directory.pln.pk, "idempotency_key": "k" * 101}, "idempotency_key"),
        ({"body_id": directory.pln.pk, "confirm_tone": "yes"}, "confirm_tone"),
        ({"body_id": directory.pln.pk, "citizen_reply": "\u200b"}, "citizen_reply"),
        ({"body_id": directory.pln.pk, "citizen_reply": "Bapak/Ibu {nama:>9999}"},
         "citizen_reply"),
        ({"body_id": directory.pln.pk, "citizen_reply": "Nomor {}"}, "citizen_reply"),
    ):
        response = desk.ani.post(path, body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["field"] == field, body
    assert Referral.objects.count() == 0
    assert not Message.objects.filter(direction="out").exists()
    assert Case.objects.get(pk=case.pk).status == "diklaim"


def test_a_body_id_as_digits_and_the_longest_key_refer_with_the_citizen_told(desk, directory):
    case = _held(desk)
    key = "k" * 100
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals", {
        "body_id": str(directory.pln.pk), "idempotency_key": key,
        "citizen_reply": "Laporan {nomor} kami teruskan ke {instansi}."})
    assert response.status_code == 201, response.content
    sent = Message.objects.get(case=case, direction="out")
    assert sent.text == f"Laporan {case.tracking_number} kami teruskan ke PLN UP3 Balikpapan."
    assert len(sent.idempotency_key) <= 100


def test_closing_a_referred_case_sends_and_closes_for_the_holder_only(desk, directory):
    case = _held(desk)
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/referrals",
                         {"body_id": directory.pln.pk}).status_code == 201
    version = Case.objects.get(pk=case.pk).version
    body = {"text": "PLN sudah memperbaiki jaringan di Jl. Sudirman. Terima kasih.",
            "idempotency_key": "close-1", "base_version": version}
    path = f"/api/v1/cases/{case.pk}/referrals/close"
    assert desk.luar.post(path, body).status_code == 404
    assert desk.audi.post(path, body).status_code == 403
    refused = desk.budi.post(path, body)
    assert (refused.status_code, refused.json()["error"]) == (409, "not_holder")
    assert desk.ani.post(path, {**body, "confirm_tone": 1}).status_code == 422
    assert not Message.objects.filter(case=case, direction="out").exists()
    closed = desk.ani.post(path, body)
    assert closed.status_code == 201, closed.content
    data = closed.json()
    assert (data["status"], data["message"]["text"]) == ("selesai", body["text"])
    again = desk.ani.post(path, body)
    assert again.status_code == 200 and again.json()["message"]["id"] == data["message"]["id"]
    assert Message.objects.filter(case=case, direction="out").count() == 1


def test_incident_conflicts_name_the_case_at_fault(desk):
    first = desk.inbound(text="Air mati di Gang Mawar", external_id="a", author_id="w1").case
    second = desk.inbound(text="Air mati di Gang Mawar juga", external_id="b",
                          author_id="w2").case
    bad = desk.ani.post("/api/v1/incidents", {"case_ids": [first.pk, "dua"], "title": "Air"})
    assert (bad.status_code, bad.json()["field"]) == (422, "case_ids[1]")
    assert desk.ani.post("/api/v1/incidents", {"case_ids": [], "title": "Air"}).status_code == 422
    desk.budi.post(f"/api/v1/cases/{second.pk}/claim")
    held = desk.ani.post("/api/v1/incidents", {"case_ids": [first.pk, second.pk],
                                               "title": "Air mati"})
    assert held.status_code == 409
    assert {k: held.json()[k] for k in ("error", "claimed_by", "case_id")} == \
        {"error": "claimed", "claimed_by": "budi", "case_id": second.pk}
    assert Incident.objects.count() == 0
    # Ids as digits are ids; a case already gathered cannot join a second incident.
    made = desk.sari.post("/api/v1/incidents", {"case_ids": [str(first.pk), second.pk],
                                                "title": "Air mati Gang Mawar"})
    assert made.status_code == 201, made.content
    again = desk.sari.post("/api/v1/incidents", {"case_ids": [first.pk], "title": "Lagi"})
    assert (again.status_code, again.json()["error"]) == (409, "in_incident")
    third = desk.inbound(text="Air mati", external_id="c", author_id="w3").case
    desk.sari.post(f"/api/v1/cases/{third.pk}/claim")
    desk.sari.post(f"/api/v1/cases/{third.pk}/status", {"status": "ditutup"})
    closed = desk.sari.post("/api/v1/incidents", {"case_ids": [third.pk], "title": "Air"})
    assert closed.status_code == 409
    assert (closed.json()["error"], closed.json()["case_id"]) == ("case_closed", third.pk)
    assert Incident.objects.count() == 1
