"""GET /api/v1/cases?q=WORDS: search through the API, with the outsider and the auditor."""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone

from tanggap.cases import actions


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_q_finds_cases_of_every_status_and_a_tracking_number_finds_its_case(desk):
    now = timezone.now()
    open_case = desk.inbound("Lampu jalan di Jl. Sudirman mati", external_id="s1",
                             author_id="w1").case
    closed = desk.inbound("Lampu taman Bekapai mati", external_id="s2", author_id="w2").case
    actions.set_case_status(case_id=closed.pk, actor=desk.ani.user, status="ditutup", now=now)
    desk.inbound("Sampah menumpuk", external_id="s3", author_id="w3")
    assert sorted(_ids(desk.ani.get("/api/v1/cases?q=lampu"))) == sorted([open_case.pk, closed.pk])
    assert _ids(desk.ani.get("/api/v1/cases?q=lampu&status=open")) == [open_case.pk]
    assert _ids(desk.ani.get(f"/api/v1/cases?q={closed.tracking_number}")) == [closed.pk]
    assert _ids(desk.audi.get("/api/v1/cases?q=bekapai")) == [closed.pk]  # auditors read
    assert _ids(desk.luar.get("/api/v1/cases?q=lampu")) == []  # another workspace's desk


def test_q_pages_with_the_cursor_like_the_inbox(desk):
    for i in range(3):
        desk.inbound(f"Drainase tersumbat nomor {i}", external_id=f"d{i}", author_id=f"w{i}",
                     now=timezone.now())
    first = desk.ani.get("/api/v1/cases?q=drainase&limit=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = desk.ani.get(first["next"].split("testserver")[1]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_a_bad_query_is_422_naming_q(desk):
    for q in ["!!!", "x" * 201]:
        response = desk.ani.get("/api/v1/cases?" + urlencode({"q": q}))
        assert response.status_code == 422
        assert response.json()["error"] == "invalid" and response.json()["field"] == "q"
