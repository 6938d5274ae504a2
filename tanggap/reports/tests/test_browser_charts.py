"""The reports and transparency charts in Debian's Chromium, at a phone's width, under the
Content-Security-Policy: Chart.js comes from the desk's own static files, every chart is drawn,
nothing overflows the screen sideways, and the browser reports no policy violation."""

from __future__ import annotations

import httpx
import pytest

from tanggap.testing import WAIT_SECONDS
from tanggap.testing.browser import chromium, needs_chromium, served
from tanggap.testing.liveserver import set_up_desk

pytestmark = needs_chromium

WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
PHONE = {"width": 390, "height": 844}
COMPLAINTS = [
    "Lampu jalan di Jl. Sudirman mati sejak kemarin malam",
    "Sampah di TPS Klandasan belum diangkut tiga hari",
    "Jalan berlubang besar di depan pasar Pandansari, bahaya untuk motor",
    "Terima kasih pak, saluran sudah dibersihkan, mantap pelayanannya",
    "Air PDAM tidak mengalir dari pagi di Gunung Sari",
]


def _prepare(server):
    setup = set_up_desk(server, operators=["ani"])
    server.cli("user", "add", "audi", "--workspace", setup.slug, "--role", "auditor",
               "--password-stdin", stdin=setup.password + "\n")
    return setup


@pytest.fixture(scope="module")
def desk(request):
    with served(request, prefix="tanggap-charts-", prepare=_prepare) as (server, setup):
        gate = {"Authorization": f"Bearer {setup.tokens['gerbang']}"}
        operator = {"Authorization": f"Bearer {setup.tokens['ani']}"}
        with httpx.Client(base_url=server.url, timeout=WAIT_SECONDS) as http:
            for n, text in enumerate(COMPLAINTS):
                created = http.post("/api/v1/inbound", headers=gate, json={
                    "channel_id": setup.channel_id, "external_id": f"chart-{n}",
                    "author": {"id": f"warga-{n}", "name": f"Warga {n}"}, "text": text})
                assert created.status_code == 201, created.text
                case_id = created.json()["case_id"]
                if n % 2 == 0:
                    version = http.post(f"/api/v1/cases/{case_id}/claim", headers=operator,
                                        json={}).json()["version"]
                    replied = http.post(f"/api/v1/cases/{case_id}/replies", headers=operator,
                                        json={"text": "Terima kasih, laporan kami teruskan.",
                                              "idempotency_key": f"k{n}",
                                              "base_version": version})
                    assert replied.status_code == 201, replied.text
            for n in range(3):  # three reports in one area: enough to be on the public map
                posted = http.post("/open311/v2/requests.json", data={
                    "api_key": setup.tokens["gerbang"], "service_code": "jalan",
                    "lat": f"-1.26{n}5", "long": "116.8312",
                    "description": f"Jalan rusak di ruas nomor {n}"})
                assert posted.status_code == 200, posted.text
        server.cli("report", "catch-up")
        yield server, setup


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _phone(browser):
    context = browser.new_context(locale="id-ID", viewport=PHONE, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(WAIT_SECONDS * 1000)
    context.add_init_script(WATCH_VIOLATIONS)
    return context


def _charts(page) -> dict:
    page.wait_for_selector("html[data-charts-ready='1']")
    return page.evaluate("""() => ({
        canvases: [...document.querySelectorAll('canvas[data-chart]')].map(c => ({
            key: c.dataset.chart, drawn: c.dataset.drawn || '', width: c.width,
            height: c.height})),
        overflow: document.scrollingElement.scrollWidth - window.innerWidth,
        violations: window.__violations,
        chartjs: typeof Chart,
    })""")


def test_the_reports_draw_on_a_phone_without_policy_violations(desk, browser):
    server, setup = desk
    context = _phone(browser)
    console = []
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text))
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", "audi")
    page.fill("input[name=password]", setup.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/w/{setup.slug}/")
    page.click("a.nav[href$='/reports/']")
    page.wait_for_url(f"**/w/{setup.slug}/reports/")
    state = _charts(page)
    keys = {c["key"] for c in state["canvases"]}
    assert {"volume", "channel", "kind", "topic", "times", "operators", "kasar"} <= keys
    assert all(c["drawn"] and c["width"] > 0 and c["height"] > 0 for c in state["canvases"])
    assert state["chartjs"] == "function"
    assert state["overflow"] <= 1, "the page scrolls sideways on a phone"
    assert state["violations"] == []
    assert not [m for m in console if "Content Security Policy" in m]
    assert page.inner_text(".number[data-key=opened] .value") == "8"
    # A table under each chart, for reading the numbers (and for screen readers).
    page.click("#s-topic details.table summary")
    assert page.locator("#s-topic table tbody tr").count() >= 3
    # Another period and filter, submitted from the form.
    page.select_option("select[name=topic]", "jalan")
    page.click(".report-filters button[type=submit]")
    page.wait_for_url("**topic=jalan**")
    state = _charts(page)
    assert page.inner_text(".number[data-key=opened] .value") == "4"
    assert state["violations"] == []
    page.screenshot(path=str(server.data_dir / "reports-phone.png"), full_page=True)
    context.close()


def test_the_transparency_page_draws_its_map_for_anyone(desk, browser):
    server, setup = desk
    context = _phone(browser)
    page = context.new_page()
    page.goto(f"{server.url}/transparansi/{setup.slug}/")
    state = _charts(page)
    keys = {c["key"] for c in state["canvases"]}
    assert {"topics", "answered", "map"} <= keys
    assert all(c["drawn"] for c in state["canvases"])
    assert state["overflow"] <= 1
    assert state["violations"] == []
    page.screenshot(path=str(server.data_dir / "transparency-phone.png"), full_page=True)
    context.close()
