"""A referral in a real browser: Debian's Chromium, driven by Playwright, against a real
`tanggap serve` set up with the CLI only.

An operator sees the suggested body on the case, refers the case with the citizen told in the
same step, and hands the liaison link on; a liaison officer opens it on a phone-sized screen
(no account), acknowledges and then resolves; the operator's open case page shows each answer
without being reloaded, with the ready closing reply, and "send and close" closes the loop.
A liaison officer with an account logs in on a phone and lands on the referrals to answer.
"""

from __future__ import annotations

import httpx
import pytest

from tanggap.testing.browser import WAIT_MS, chromium, needs_chromium, served
from tanggap.testing.liveserver import LiveServer, set_up_desk

pytestmark = needs_chromium

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
OFFICER_PASSWORD = "kata-sandi-petugas-pln"


def _prepare(server: LiveServer):
    # The liaison links the desk shows and e-mails point at this server.
    server.extra_env["TANGGAP_PUBLIC_URL"] = server.url
    setup = set_up_desk(server, operators=["ani"])
    body_id = server.last_word("body", "add", setup.slug, "--name", "PLN UP3 Balikpapan",
                               "--kind", "external", "--topics", "listrik",
                               "--email", "pengaduan@pln.example")
    server.cli("body", "liaison", "add", setup.slug, body_id, "rina", "--name", "Rina PLN",
               "--password-stdin", stdin=OFFICER_PASSWORD + "\n")
    return setup, int(body_id)


@pytest.fixture(scope="module")
def desk(request):
    with served(request, prefix="tanggap-browser-referrals-", prepare=_prepare) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def contexts(browser):
    opened = []

    def new(**options):
        context = browser.new_context(locale="id-ID", **options)
        context.set_default_timeout(WAIT_MS)
        opened.append(context)
        return context.new_page()

    yield new
    for context in opened:
        context.close()


def _api(server: LiveServer, setup, method: str, path: str, user: str = "ani", **kwargs):
    return httpx.request(method, server.url + "/api/v1" + path, timeout=10,
                         headers={"Authorization": f"Bearer {setup.tokens[user]}"}, **kwargs)


def _log_in(page, server: LiveServer, username: str, password: str) -> None:
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _fits_the_phone(page) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url}: {scroll_width}px wide in {inner_width}px"


def _reachable(page, selector: str) -> None:
    """The control can be scrolled to and lies inside the phone's screen."""
    control = page.locator(selector)
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 375, selector
    assert 0 <= box["y"] and box["y"] + box["height"] <= 740, selector


def test_an_operator_refers_and_sees_the_liaison_answer_live_from_a_phone(desk, contexts):
    server, (setup, body_id) = desk
    created = _api(server, setup, "POST", "/inbound", user="gerbang", json={
        "channel_id": setup.channel_id, "external_id": "browser-ref-1",
        "author": {"id": "warga-ref-1", "name": "Budi Santoso"},
        "text": "Listrik padam di Jl. Sudirman sejak subuh, PLN belum datang juga"})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    # The operator, at a desk: the suggestion, then one click refers and tells the citizen.
    operator = contexts()
    _log_in(operator, server, "ani", setup.password)
    operator.wait_for_url(f"**/w/{setup.slug}/")
    operator.goto(f"{server.url}/w/{setup.slug}/cases/{case_id}/")
    operator.wait_for_selector("#live-state.live.on")
    operator.click("#claim")
    operator.wait_for_selector('.case-head[data-holder="ani"]')
    assert operator.get_attribute("#suggested-body", "data-body-id") == str(body_id)
    assert operator.input_value("#refer-body") == str(body_id)
    operator.fill("#refer-note", "Mohon dicek gardu di Jl. Sudirman.")
    # The citizen writes again meanwhile: the live update renders the panel anew, and what the
    # operator typed for the body stays.
    again = _api(server, setup, "POST", "/inbound", user="gerbang", json={
        "channel_id": setup.channel_id, "external_id": "browser-ref-1b",
        "author": {"id": "warga-ref-1", "name": "Budi Santoso"},
        "text": "Sudah jam sembilan, masih padam"})
    assert again.status_code == 201 and again.json()["case_id"] == case_id, again.text
    operator.wait_for_selector("#panel :text('Sudah jam sembilan, masih padam')")
    assert operator.input_value("#refer-note") == "Mohon dicek gardu di Jl. Sudirman."
    with operator.expect_response(lambda r: r.url.endswith(f"/cases/{case_id}/referrals")) as sent:
        operator.click("#refer")
    assert sent.value.status == 201
    operator.wait_for_selector('.case-head[data-status="diteruskan"]')
    operator.wait_for_selector('.referral[data-status="terkirim"]')
    link = operator.input_value(".liaison-link input")
    assert link.startswith(server.url + "/penghubung/")
    told = [m for m in _api(server, setup, "GET", f"/cases/{case_id}").json()["messages"]
            if m["direction"] == "out"]
    assert len(told) == 1 and "PLN UP3 Balikpapan" in told[0]["text"]
    assert "Budi Santoso" in told[0]["text"]
    operator.evaluate("window.__noReload = true")

    # The liaison officer, on a phone, from the link pasted into WhatsApp: no account needed.
    phone = contexts(**PHONE)
    phone.goto(link)
    phone.wait_for_selector("#answer")
    assert "Listrik padam di Jl. Sudirman" in phone.text_content("blockquote")
    assert "Mohon dicek gardu" in phone.text_content("#liaison")
    _fits_the_phone(phone)
    phone.check('input[name=status][value="diterima"]')
    phone.fill("input[name=name]", "Rina")
    _reachable(phone, "#answer button[type=submit]")
    phone.click("#answer button[type=submit]")
    phone.wait_for_selector('#liaison[data-status="diterima"]')
    _fits_the_phone(phone)

    # The operator's page shows it without a reload.
    operator.wait_for_selector('.referral[data-status="diterima"]')
    assert operator.evaluate("window.__noReload === true")

    # Resolved, with what was done: the operator gets the closing reply, ready to send.
    phone.check('input[name=status][value="selesai"]')
    phone.fill("textarea[name=message]", "Gardu di Jl. Sudirman sudah diperbaiki, listrik menyala.")
    phone.click("#answer button[type=submit]")
    phone.wait_for_selector("#settled")
    assert phone.locator("#answer").count() == 0
    operator.wait_for_selector('.referral[data-status="selesai"]')
    operator.wait_for_selector("#close-referred")
    assert "Gardu di Jl. Sudirman sudah diperbaiki" in operator.text_content("#referral-draft")
    assert operator.evaluate("window.__noReload === true")

    # Send and close: the citizen hears the result on their channel and the case is done.
    operator.click("#close-referred")
    operator.wait_for_selector('.case-head[data-status="selesai"]')
    case = _api(server, setup, "GET", f"/cases/{case_id}").json()
    assert case["status"] == "selesai"
    replies = [m["text"] for m in case["messages"] if m["direction"] == "out"]
    assert len(replies) == 2 and "sudah diperbaiki" in replies[1]
    assert [(r["status"], [u["status"] for u in r["updates"]]) for r in case["referrals"]] == [
        ("selesai", ["terkirim", "diterima", "selesai"])]


def test_a_liaison_account_logs_in_on_a_phone_to_its_referrals(desk, contexts):
    server, (setup, body_id) = desk
    created = _api(server, setup, "POST", "/inbound", user="gerbang", json={
        "channel_id": setup.channel_id, "external_id": "browser-ref-2",
        "author": {"id": "warga-ref-2", "name": "Sari"},
        "text": "Kabel listrik menjuntai di Jl. MT Haryono"}).json()
    case_id = created["case_id"]
    assert _api(server, setup, "POST", f"/cases/{case_id}/claim").status_code == 200
    referral = _api(server, setup, "POST", f"/cases/{case_id}/referrals",
                    json={"body_id": body_id}).json()
    phone = contexts(**PHONE)
    _log_in(phone, server, "rina", OFFICER_PASSWORD)
    phone.wait_for_url("**/penghubung/")
    _fits_the_phone(phone)
    phone.click(f'a[href="/penghubung/rujukan/{referral["id"]}/"]')
    phone.wait_for_selector("#answer")
    phone.check('input[name=status][value="diproses"]')
    phone.fill("textarea[name=message]", "Regu pemeliharaan menuju lokasi.")
    phone.click("#answer button[type=submit]")
    phone.wait_for_selector('#liaison[data-status="diproses"]')
    _fits_the_phone(phone)
    # The desk itself stays closed to the officer.
    assert phone.goto(f"{server.url}/w/{setup.slug}/").status == 404
