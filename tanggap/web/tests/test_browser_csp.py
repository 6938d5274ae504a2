"""The pages work under the Content-Security-Policy in a real browser, and a logout closes the
other tabs' live connection.

Every page of the desk and the portal is used as a person would (log in, switch the language,
open the inbox and a case, claim, get the tone check, reply, open the help and the channels page)
while the browser reports every policy violation, both to the console and as
`securitypolicyviolation` events: there must be none.
"""

from __future__ import annotations

import pytest

from tanggap.testing.browser import WAIT_MS, chromium, needs_chromium, served
from tanggap.testing.liveserver import set_up_desk

pytestmark = needs_chromium

# Runs before any page script (and is not subject to the page's policy): collects violations.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _prepare(server):
    setup = set_up_desk(server, operators=["ani"])
    server.cli("user", "add", "adi", "--workspace", setup.slug, "--role", "admin",
               "--password-stdin", stdin=setup.password + "\n")
    return setup


@pytest.fixture(scope="module")
def desk(request):
    with served(request, prefix="tanggap-csp-", prepare=_prepare) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


class Watched:
    """A browser context whose pages report every policy violation."""

    def __init__(self, browser):
        self.context = browser.new_context(locale="id-ID")
        self.context.set_default_timeout(WAIT_MS)
        self.context.add_init_script(WATCH_VIOLATIONS)
        self.console: list[str] = []
        self.pages = []

    def page(self):
        page = self.context.new_page()
        page.on("console", lambda m: self.console.append(m.text)
                if "Content Security Policy" in m.text else None)
        self.pages.append(page)
        return page

    def violations(self) -> list[str]:
        seen = list(self.console)
        for page in self.pages:
            if not page.is_closed():
                seen += page.evaluate("window.__violations || []")
        return seen


@pytest.fixture
def watched(browser):
    contexts = []

    def make():
        context = Watched(browser)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.context.close()


def _log_in(page, server, setup, username: str) -> None:
    response = page.goto(server.url + "/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", setup.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/w/{setup.slug}/")


def test_the_desk_and_the_portal_work_with_no_policy_violation(desk, watched):
    server, setup = desk
    case_id = _inbound(server, setup)
    browsing = watched()
    page = browsing.page()

    page.goto(f"{server.url}/lapor/{setup.slug}/")
    page.wait_for_selector("form.report-form")
    page.goto(f"{server.url}/lapor/status/")
    page.wait_for_selector("form.lookup")

    _log_in(page, server, setup, "ani")
    # The live connection opens under connect-src 'self'.
    page.wait_for_selector("#live-state.live.on")
    assert page.get_attribute("html", "lang") == "id"
    # The language switch (once an inline onchange) submits from page.js.
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("#live-state.live.on")
    page.keyboard.press("?")
    page.wait_for_selector("dialog#help[open]")
    page.keyboard.press("Escape")

    page.goto(f"{server.url}/w/{setup.slug}/cases/{case_id}/")
    page.wait_for_selector("#live-state.live.on")
    page.click("#claim")
    page.wait_for_selector('.case-head[data-i-hold="1"]')
    page.type("#reply-text", "Terima kasih atas laporannya, kami teruskan ke DLH hari ini.")
    page.wait_for_selector("#tone-verdict.v-ok")
    page.click("#send")
    page.wait_for_selector(".thread .msg.out")

    # An admin's first login sets up an authenticator (the QR code is inline SVG, no script).
    admin = watched()
    admin_page = admin.page()
    admin_page.goto(server.url + "/login/")
    admin_page.fill("input[name=username]", "adi")
    admin_page.fill("input[name=password]", setup.password)
    admin_page.click("button[type=submit]")
    admin_page.wait_for_url("**/login/enrol/")
    admin_page.wait_for_selector(".qr svg")
    key = admin_page.inner_text("code.secret").replace(" ", "")
    admin_page.fill("input[name=code]", _code(key))
    admin_page.click("button[type=submit]")
    admin_page.wait_for_selector("ol.recovery-codes li")
    admin_page.click("a.button.primary")
    admin_page.wait_for_url(f"**/w/{setup.slug}/")
    admin_page.goto(f"{server.url}/w/{setup.slug}/channels/")
    admin_page.wait_for_selector("form.channel-add")
    admin_page.goto(f"{server.url}/w/{setup.slug}/members/")
    admin_page.wait_for_selector("form.member-add")

    assert browsing.violations() == []
    assert admin.violations() == []


def test_logging_out_in_one_tab_ends_the_live_connection_of_the_others(desk, watched):
    server, setup = desk
    browsing = watched()
    first, second = browsing.page(), browsing.page()
    _log_in(first, server, setup, "ani")
    second.goto(f"{server.url}/w/{setup.slug}/")
    second.wait_for_selector("#live-state.live.on")
    first.wait_for_selector("#live-state.live.on")

    first.click("header form.inline button")  # Log out
    first.wait_for_url("**/login/**")

    # The other tab's socket is closed by the server (4401) and the page goes to the login form.
    second.wait_for_url("**/login/**")
    assert second.locator("input[name=username]").is_visible()
    assert browsing.violations() == []


def _code(base32_key: str) -> str:
    from base64 import b32decode

    from tanggap.workspaces.tests.helpers import code_for

    return code_for(b32decode(base32_key + "=" * (-len(base32_key) % 8)).hex())


def _inbound(server, setup) -> int:
    import httpx

    response = httpx.post(server.url + "/api/v1/inbound", timeout=10,
                          headers={"Authorization": f"Bearer {setup.tokens['gerbang']}"},
                          json={"channel_id": setup.channel_id, "external_id": "csp-1",
                                "author": {"id": "warga-csp", "name": "Warga"},
                                "text": "Sampah di TPS Klandasan belum diangkut"})
    assert response.status_code == 201, response.text
    return response.json()["case_id"]
