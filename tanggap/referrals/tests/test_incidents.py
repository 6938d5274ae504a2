"""Incidents: suggested clusters, confirming one, one announcement that reaches each member case
once (retries and two operators), resolution heard by every member."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.cases.models import Case, Message
from tanggap.referrals.incidents import place_words, suggest_clusters
from tanggap.referrals.models import Incident


def _burst(desk, n=4):
    texts = ["Air PDAM mati di Gang Mawar sejak subuh", "Pipa bocor, air mati di gang mawar",
             "Min air mati gang Mawar RT 5", "Air tidak mengalir di Gg. Mawar"]
    return [desk.inbound(text=texts[i % 4], external_id=f"b{i}", author_id=f"w{i}").case
            for i in range(n)]


def test_clusters_group_topic_place_and_time():
    now = timezone.now()
    rows = [(1, "air_bersih", "Air mati di Gang Mawar", now),
            (2, "air_bersih", "gang mawar air mati", now + timedelta(minutes=5)),
            (3, "air_bersih", "Air tidak mengalir di Gg. Mawar", now + timedelta(minutes=30)),
            (4, "air_bersih", "Air mati di Gang Melati", now + timedelta(minutes=40)),
            (5, "listrik", "Listrik padam di Gang Mawar", now),
            (6, "air_bersih", "Air mati di Gang Mawar", now + timedelta(hours=9))]
    clusters = suggest_clusters(rows)
    assert [(c.topic, c.case_ids, c.places) for c in clusters] == \
        [("air_bersih", [1, 2, 3], ["mawar"])]
    assert place_words("Jl. Sudirman dan Gang Mawar") == {"sudirman", "mawar"}


def test_an_incident_announces_to_each_member_once(desk):
    cases = _burst(desk)
    response = desk.sari.post("/api/v1/incidents", {"case_ids": [c.pk for c in cases],
                                                    "title": "Air mati Gang Mawar"})
    assert response.status_code == 201, response.content
    incident_id = response.json()["id"]
    # One member is held by budi: his to answer, skipped with the reason.
    desk.budi.post(f"/api/v1/cases/{cases[0].pk}/claim")
    body = {"text": "Terima kasih, Bapak/Ibu {nama}. Laporan {nomor} sedang ditangani PDAM.",
            "idempotency_key": "inc-1"}
    sent = desk.ani.post(f"/api/v1/incidents/{incident_id}/replies", body)
    assert sent.status_code == 201, sent.content
    assert sent.json() == {"sent": 3, "skipped": [{"case_id": cases[0].pk, "reason": "claimed"}]}
    for case in cases[1:]:
        message = Message.objects.get(case=case, direction="out")
        assert message.text == (f"Terima kasih, Bapak/Ibu Warga Satu. Laporan "
                                f"{case.tracking_number} sedang ditangani PDAM.")
    # Retried: the same answer, nothing sent twice.
    again = desk.ani.post(f"/api/v1/incidents/{incident_id}/replies", body)
    assert again.status_code == 200 and again.json() == sent.json()
    # Another operator presses send with a new key: already answered.
    other = desk.budi.post(f"/api/v1/incidents/{incident_id}/replies",
                          {**body, "idempotency_key": "inc-2"})
    assert other.status_code == 409 and other.json()["error"] == "already_announced"
    assert Message.objects.filter(direction="out").count() == 3
    # Isolation and roles.
    assert desk.luar.post(f"/api/v1/incidents/{incident_id}/replies", body).status_code == 404
    assert desk.audi.post(f"/api/v1/incidents/{incident_id}/replies", body).status_code == 403
    assert desk.luar.post("/api/v1/incidents", {"case_ids": [cases[1].pk],
                                                "title": "x"}).status_code == 404
    assert desk.ani.post("/api/v1/incidents", {"case_ids": [cases[1].pk],
                                               "title": ""}).status_code == 422
    # Resolved: every member hears it (the held one stays with its holder) and is done.
    desk.budi.post(f"/api/v1/cases/{cases[0].pk}/release")
    resolved = desk.sari.post(f"/api/v1/incidents/{incident_id}/resolve",
                              {"text": "Air sudah mengalir kembali, Bapak/Ibu {nama}.",
                               "idempotency_key": "inc-done"})
    assert resolved.status_code == 201 and resolved.json()["sent"] == 4
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True)) \
        == {"selesai"}
    assert Incident.objects.get(pk=incident_id).status == "resolved"


@pytest.mark.django_db(transaction=True)
def test_two_operators_pressing_send_at_once_send_once_per_case(tx_desk):
    cases = _burst(tx_desk, 3)
    incident_id = tx_desk.sari.post("/api/v1/incidents", {
        "case_ids": [c.pk for c in cases], "title": "Air mati"}).json()["id"]
    barrier = threading.Barrier(2)
    codes = []

    def press(persona, key):
        from django.db import connection
        from django.test import Client

        barrier.wait()
        try:
            response = Client().post(
                f"/api/v1/incidents/{incident_id}/replies",
                data={"text": "Sedang ditangani, Bapak/Ibu {nama}.", "idempotency_key": key},
                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {persona.token}")
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(p, k))
               for p, k in ((tx_desk.ani, "k-ani"), (tx_desk.budi, "k-budi"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 409]
    assert [Message.objects.filter(case=c, direction="out").count() for c in cases] == [1, 1, 1]
