"""Handing the conversation over, in a real browser (Debian's Chromium, Playwright) against a real
`tanggap serve` set up with the CLI only: the city desk's operator hands the conversation over to
the DLH desk from the case page and their composer closes, saying who speaks; DLH's operator reads
the citizen's conversation on the linked case and replies; the city desk sees that reply arrive
live, takes the conversation back, and its composer opens again."""

from __future__ import annotations

import httpx
import pytest

from tanggap.testing.browser import WAIT_MS, chromium, needs_chromium, served
from tanggap.testing.liveserver import PASSWORD, LiveServer, set_up_desk

pytestmark = needs_chromium

CITIZEN = "Sampah menumpuk di Jl. Ahmad Yani sudah seminggu, bau sekali"
REPLY = "Terima kasih, Bapak. Truk DLH akan mengangkut sampah besok pagi."


def _prepare(server: LiveServer):
    setup = set_up_desk(server, slug="bpn", operators=["ani"])
    server.cli("workspace", "create", "dlh", "--name", "DLH Balikpapan")
    server.cli("channel", "add", "dlh", "--platform", "web", "--handle", "dlh-web")
    server.cli("user", "add", "luar", "--workspace", "dlh", "--role", "operator",
               "--password-stdin", stdin=PASSWORD + "\n")
    luar_token = server.last_word("token", "create", "luar")
    body_id = server.last_word("body", "add", "bpn", "--name", "Dinas Lingkungan Hidup",
                               "--kind", "internal", "--topics", "sampah_kebersihan",
                               "--workspace", "dlh")
    return setup, int(body_id), luar_token


@pytest.fixture(scope="module")
def desk(request):
    with served(request, prefix="tanggap-browser-hand-over-", prepare=_prepare) as running:
        yield running


def _api(server: LiveServer, token: str, method: str, path: str, **kwargs):
    return httpx.request(method, server.url + "/api/v1" + path, timeout=10,
                         headers={"Authorization": f"Bearer {token}"}, **kwargs)


def _log_in(page, server: LiveServer, username: str) -> None:
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_the_city_desk_hands_over_dlh_replies_and_the_city_desk_takes_it_back(desk):
    server, (setup, body_id, luar_token) = desk
    ani = setup.tokens["ani"]
    created = _api(server, setup.tokens["gerbang"], "POST", "/inbound", json={
        "channel_id": setup.channel_id, "external_id": "hand-over-1",
        "author": {"id": "warga-ho-1", "name": "Budi Santoso"}, "text": CITIZEN})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    assert _api(server, ani, "POST", f"/cases/{case_id}/claim").status_code == 200
    referred = _api(server, ani, "POST", f"/cases/{case_id}/referrals", json={"body_id": body_id})
    assert referred.status_code == 201, referred.text
    [linked] = _api(server, luar_token, "GET", "/cases").json()["results"]
    assert _api(server, luar_token, "POST", f"/cases/{linked['id']}/claim").status_code == 200

    with chromium() as browser:
        city = browser.new_context(locale="id-ID")
        city.set_default_timeout(WAIT_MS)
        operator = city.new_page()
        _log_in(operator, server, "ani")
        operator.wait_for_url("**/w/bpn/")
        operator.goto(f"{server.url}/w/bpn/cases/{case_id}/")
        operator.wait_for_selector("#live-state.live.on")
        operator.fill("#reply-text", "Draf yang belum terkirim")
        operator.fill("#hand-over-note", "Mohon DLH menjawab warga langsung")
        with operator.expect_response(lambda r: r.url.endswith("/conversation/hand-over")) as sent:
            operator.click("#hand-over")
        assert sent.value.status == 200
        operator.wait_for_selector('.case-head[data-speaking-desk="DLH Balikpapan"]')
        operator.wait_for_selector("#composer-locked:not([hidden])")
        assert "DLH Balikpapan" in operator.text_content("#composer-locked")
        assert operator.is_disabled("#send") and operator.is_disabled("#reply-text")
        assert operator.input_value("#reply-text") == "Draf yang belum terkirim"
        operator.evaluate("window.__noReload = true")

        dlh = browser.new_context(locale="id-ID")
        dlh.set_default_timeout(WAIT_MS)
        skpd = dlh.new_page()
        _log_in(skpd, server, "luar")
        skpd.wait_for_url("**/w/dlh/")
        skpd.goto(f"{server.url}/w/dlh/cases/{linked['id']}/")
        skpd.wait_for_selector("#linked-conversation")
        assert CITIZEN in skpd.text_content("#linked-conversation")
        assert "Mohon DLH menjawab warga langsung" in skpd.text_content("#linked-conversation")
        skpd.fill("#linked-reply-text", REPLY)
        with skpd.expect_response(lambda r: r.url.endswith("/linked-conversation")) as answered:
            skpd.click("#linked-reply")
        assert answered.value.status == 201

        # The city desk sees DLH's reply on its own case, live.
        operator.wait_for_selector(f"#panel .thread :text('{REPLY}')")
        assert operator.evaluate("window.__noReload === true")
        operator.click("#take-back")
        operator.wait_for_selector('.case-head[data-speaking-desk=""]')
        operator.wait_for_selector("#composer-locked[hidden]", state="attached")
        assert not operator.is_disabled("#send")
        # DLH's page no longer shows the conversation once it is taken back.
        skpd.reload()
        skpd.wait_for_selector(".from-referral")
        assert skpd.locator("#linked-conversation").count() == 0
        city.close()
        dlh.close()
    out = [m["text"] for m in _api(server, ani, "GET", f"/cases/{case_id}").json()["messages"]
           if m["direction"] == "out"]
    assert out == [REPLY]
