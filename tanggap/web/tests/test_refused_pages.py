"""Refused and failed pages look like the desk (its bar, its language), never a bare server page;
API paths keep answering JSON."""

from __future__ import annotations

import pytest
from django.test import Client


def _flat(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_missing_page_and_another_desks_case_are_the_desks_404(desk):
    case = desk.inbound(channel=desk.dlh_web).case
    desk.ani.client.force_login(desk.ani.user)
    for path in ("/w/bpn/tidak-ada/", f"/w/dlh/cases/{case.pk}/", "/w/tidak-ada/"):
        response = desk.ani.client.get(path)
        assert response.status_code == 404, path
        page = _flat(response)
        assert '<header class="bar">' in page and 'class="refused"' in page
        assert "<h1>Tidak ditemukan</h1>" in page and "Kembali ke kotak masuk" in page
    desk.ani.client.cookies["django_language"] = "en"
    page = _flat(desk.ani.client.get("/w/bpn/tidak-ada/"))
    assert "<h1>Not found</h1>" in page and "Back to the inbox" in page


def test_a_refused_role_gets_the_desks_403(desk):
    desk.ani.client.force_login(desk.ani.user)
    response = desk.ani.client.get("/w/bpn/members/")  # admins only
    assert response.status_code == 403
    page = _flat(response)
    assert '<header class="bar">' in page and "<h1>Tidak diizinkan</h1>" in page


def test_a_server_error_is_the_desks_500_page_and_json_on_the_api(desk, monkeypatch):
    from tanggap.web import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "_rows_context", broken)
    client = Client(raise_request_exception=False)
    client.force_login(desk.ani.user)
    response = client.get("/w/bpn/")
    assert response.status_code == 500
    page = _flat(response)
    assert '<header class="bar">' in page and "<h1>Terjadi kesalahan</h1>" in page
    assert "boom" not in page


@pytest.mark.parametrize("path", ["/api/v1/tidak-ada", "/api/v1/cases/999999"])
def test_api_paths_still_answer_json(desk, path):
    response = desk.ani.get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
