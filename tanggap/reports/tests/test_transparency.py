"""The public transparency page and its open data: no login, the numbers the issue lists, areas
instead of points, and the citizens' words only where the desk made a case public (audited)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, send_reply
from tanggap.portal.actions import submit_report
from tanggap.portal.forms import Report
from tanggap.reports import durations, rollup
from tanggap.reports.actions import set_case_public
from tanggap.reports.models import PublicMark

NOW = datetime.now(UTC)


def _form_report(desk, text, lat, lon, n):
    report = Report(text=text, kind="aduan", name="Siti Rahmawati", contact="+6281234567890",
                    anonymous=False, confidential=False, latitude=lat, longitude=lon,
                    address="Jl. Ahmad Yani No. 5, RT 12", photo=None, nonce=f"nonce-{n}")
    return submit_report(channel=desk.web, report=report, now=NOW - timedelta(days=n)).case


@pytest.fixture
def public_desk(desk):
    from decimal import Decimal

    for n in range(3):
        _form_report(desk, f"Jalan berlubang di Jl. Ahmad Yani dekat rumah saya nomor {n}",
                     Decimal("-1.241234"), Decimal("116.851234"), n + 1)
    lone = _form_report(desk, "Pohon tumbang di halaman rumah saya", Decimal("-1.201"),
                        Decimal("116.901"), 5)
    case = desk.inbound(text="Lampu jalan di Jl. Sudirman mati sejak kemarin", author_id="w1",
                        external_id="a", now=NOW - timedelta(days=2)).case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=NOW - timedelta(days=2))
    case.refresh_from_db()
    send_reply(case_id=case.pk, actor=desk.ani.user, idempotency_key="k",
               text="Terima kasih, lampu akan diperbaiki DPUPR minggu ini.",
               base_version=case.version, now=NOW - timedelta(days=2) + timedelta(hours=1))
    rollup.catch_up(now=NOW)
    desk.lone = lone
    desk.answered = case
    return desk


def test_the_page_is_public_and_shows_the_numbers(public_desk):
    response = Client().get("/transparansi/bpn/")
    assert response.status_code == 200
    numbers = {n.key: n.value for n in response.context["data"].numbers}
    # Times are read from histograms: within a bucket's width of the exact value.
    assert numbers["opened"] == 5
    assert numbers["first_response_median"] == pytest.approx(1.0, rel=durations.RATIO - 1)
    assert numbers["answered_share"] == 20.0
    keys = [s.key for s in response.context["data"].sections]
    assert keys == ["topics", "answered", "times", "referrals", "areas"]
    html = response.content.decode()
    assert "creativecommons.org/licenses/by/4.0" in html
    assert "<script>" not in html


def test_the_map_shows_areas_with_enough_reports_never_points(public_desk):
    response = Client().get("/transparansi/bpn/")
    points = response.context["data"].map_points
    assert points == [{"x": 116.855, "y": -1.245, "n": 3, "label": "Sekitar -1.245, 116.855",
                       "r": 5}]
    html = response.content.decode()
    assert "116.851234" not in html and "-1.241234" not in html
    assert "116.905" not in html  # the lone report's area has too few reports to be shown


def test_no_personal_data_until_the_desk_makes_a_case_public(public_desk):
    desk = public_desk
    pages = [Client().get(path) for path in (
        "/transparansi/bpn/", "/transparansi/bpn/data/stats.csv",
        "/transparansi/bpn/data/stats.json", "/transparansi/bpn/data/cases.csv",
        "/transparansi/bpn/data/cases.json")]
    text = "".join(_body(p) for p in pages)
    for secret in ("Siti Rahmawati", "6281234567890", "Ahmad Yani", "Warga Satu",
                   "Lampu jalan di Jl. Sudirman", "TG-", "ani", desk.answered.tracking_number):
        assert secret not in text, secret

    set_case_public(case_id=desk.answered.pk, actor=desk.sari.user, public=True, now=NOW)
    html = Client().get("/transparansi/bpn/").content.decode()
    assert "Lampu jalan di Jl. Sudirman mati sejak kemarin" in html
    assert "lampu akan diperbaiki DPUPR" in html
    assert "Warga Satu" not in html and desk.answered.tracking_number not in html
    rows = list(csv.reader(io.StringIO(_body(Client().get("/transparansi/bpn/data/cases.csv")))))
    public_row = next(r for r in rows[1:] if r[0] == str(desk.answered.pk))
    assert public_row[15:] == ["True", "Lampu jalan di Jl. Sudirman mati sejak kemarin"]


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


def test_open_data_is_licensed_json(public_desk):
    data = json.loads(_body(Client().get("/transparansi/bpn/data/stats.json")))
    assert data["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["fields"][:3] == ["month", "topic", "topic_name"]
    assert sum(r["reports"] for r in data["records"]) == 5
    cases = json.loads(_body(Client().get("/transparansi/bpn/data/cases.json")))
    assert len(cases["records"]) == 5
    assert {r["area"] for r in cases["records"]} == {"", "-1.25,116.85", "-1.21,116.90"}


def test_an_unknown_workspace_is_not_found(db):
    assert Client().get("/transparansi/nope/").status_code == 404


def test_making_a_case_public_is_for_supervisors_and_audited(public_desk):
    desk = public_desk
    case = desk.answered
    url = f"/w/bpn/reports/cases/{case.pk}/public"
    for persona, status in ((desk.ani, 403), (desk.audi, 403), (desk.luar, 404)):
        persona.client.force_login(persona.user)
        assert persona.client.post(url, {"public": "1"}).status_code == status
    assert not PublicMark.objects.exists()
    desk.sari.client.force_login(desk.sari.user)
    assert desk.sari.client.post(url, {"public": "1"}).status_code == 302
    assert PublicMark.objects.get().marked_by == desk.sari.user
    assert desk.sari.client.post(url, {"public": "0"}).status_code == 302
    assert not PublicMark.objects.exists()
    actions = list(AuditEvent.objects.filter(case=case, action__startswith="case.made_")
                   .order_by("pk").values_list("action", "actor__username"))
    assert actions == [("case.made_public", "sari"), ("case.made_private", "sari")]
