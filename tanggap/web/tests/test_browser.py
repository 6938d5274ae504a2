"""Real-browser tests: Debian's Chromium, driven by Playwright, against a real `tanggap serve`.

Two operators (ani and budi) in two browser contexts work the same case: ani claims, budi sees the
claim without reloading and cannot send; ani replies, budi sees the reply. The inbox updates live,
presence reaches the other operator, and the pages fit a phone screen.

The server is set up only with the `tanggap` CLI and the REST API, like a real deployment; these
tests never touch the database directly. "Live" means the open page shows it without being
reloaded (a marker set on `window` must survive). How fast is not asserted here (a loaded machine
would make that flaky): bench/core/live.py measures it. WAIT_MS (tanggap/testing/browser.py) only
bounds how long a wait may hang before the test fails.
"""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from tanggap.testing.browser import WAIT_MS, chromium, needs_chromium, served
from tanggap.testing.liveserver import LiveServer, set_up_desk

pytestmark = needs_chromium

_counter = itertools.count(1)


class Desk:
    """The running server plus what the CLI set up on it."""

    def __init__(self, server: LiveServer, setup):
        self.server = server
        self.slug = setup.slug
        self.channel_id = setup.channel_id
        self.tokens = setup.tokens
        self.password = setup.password

    def api(self, method: str, path: str, user: str = "ani", **kwargs) -> httpx.Response:
        return httpx.request(method, self.server.url + "/api/v1" + path, timeout=10,
                             headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kwargs)

    def inbound(self, text: str, *, author: str | None = None) -> int:
        n = next(_counter)
        response = self.api("POST", "/inbound", user="gerbang", json={
            "channel_id": self.channel_id, "external_id": f"browser-{n}",
            "author": {"id": author or f"warga-{n}", "name": f"Warga {n}"}, "text": text,
        })
        assert response.status_code == 201, response.text
        return response.json()["case_id"]

    def case(self, case_id: int) -> dict:
        response = self.api("GET", f"/cases/{case_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def inbox_url(self) -> str:
        return f"{self.server.url}/w/{self.slug}/"

    def case_url(self, case_id: int) -> str:
        return f"{self.server.url}/w/{self.slug}/cases/{case_id}/"


@pytest.fixture(scope="module")
def desk(request):
    with served(request, prefix="tanggap-browser-",
                prepare=lambda server: set_up_desk(server, operators=["ani", "budi"])) as running:
        yield Desk(*running)


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _logged_in(browser, desk: Desk, username: str, **context_options):
    context = browser.new_context(locale="id-ID", **context_options)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(desk.server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", desk.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/w/{desk.slug}/")
    return context, page


class Live:
    """The events that came over an open page's websocket."""

    def __init__(self):
        self.sockets = []
        self.events: dict[object, list[dict]] = {}

    def on_socket(self, socket) -> None:
        # The page that login landed on may open its socket after this listener is on: the
        # socket of the page opened last is the newest one.
        self.sockets.append(socket)
        self.events[socket] = events = []
        socket.on("framereceived", lambda payload: events.append(json.loads(payload)))

    def wait_pushed(self, **fields) -> None:
        """Wait for an event with these fields on the page's socket (it may come after the page
        showed its effect: the page also refreshes once when its socket opens)."""
        def matches(event: dict) -> bool:
            return all(event.get(k) == v for k, v in fields.items())

        socket = self.sockets[-1]
        # Playwright delivers events only inside its own calls, so none slips in between the
        # look at what came and the wait for what has not.
        if not any(matches(event) for event in self.events[socket]):
            socket.wait_for_event(
                "framereceived", predicate=lambda payload: matches(json.loads(payload)),
                timeout=WAIT_MS)


def _open_live(page, url: str) -> Live:
    """Open a desk page, wait for its websocket, and mark the window to detect reloads."""
    live = Live()
    page.on("websocket", live.on_socket)
    page.goto(url)
    page.wait_for_selector("#live-state.live.on")
    page.evaluate("window.__noReload = true")
    return live


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__noReload === true")


def _string(page, name: str) -> str:
    """A UI string from the page's own #strings block, whatever the language."""
    return page.get_attribute("#strings", f"data-{name}")


@pytest.fixture
def two_operators(browser, desk):
    contexts = []

    def open_as(username: str, **options):
        context, page = _logged_in(browser, desk, username, **options)
        contexts.append(context)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_claim_reply_and_presence_reach_the_other_operator_live(desk, two_operators):
    case_id = desk.inbound("Jalan di depan SD 012 berlubang besar, mohon segera diperbaiki")
    page_b = two_operators("budi")
    page_a = two_operators("ani")
    live_b = _open_live(page_b, desk.case_url(case_id))
    _open_live(page_a, desk.case_url(case_id))

    # Presence: ani's page announces itself when its socket opens; budi is already listening.
    presence_b = page_b.locator(f'.case-head [data-presence-for="{case_id}"]')
    viewing = _string(page_b, "viewing")
    page_b.wait_for_function(
        "([sel, word]) => (document.querySelector(sel)?.textContent || '').includes('ani ' + word)",
        arg=[f'.case-head [data-presence-for="{case_id}"]', viewing]
    )

    # A claims; B sees who holds it without reloading.
    page_a.click("#claim")
    page_b.wait_for_selector('.case-head[data-holder="ani"]')
    assert _not_reloaded(page_b)
    live_b.wait_pushed(kind="case", reason="claim", case_id=case_id, claimed_by="ani")
    assert page_b.get_attribute(".case-head", "data-i-hold") == "0"
    assert page_b.text_content("#holder").strip().endswith("ani")
    page_a.wait_for_selector('.case-head[data-i-hold="1"]')
    assert desk.case(case_id)["claimed_by"] == "ani"

    # B's reply box is closed while ani holds the case, and says who does; no Claim button.
    page_b.wait_for_selector("#composer-locked:not([hidden])")
    assert "ani" in page_b.text_content("#composer-locked")
    assert page_b.is_disabled("#reply-text") and page_b.is_disabled("#send")
    assert page_b.locator("#claim").count() == 0
    # B tries anyway through the API: refused, naming the holder; nothing goes out.
    refused = desk.api("POST", f"/cases/{case_id}/replies", user="budi", json={
        "text": "Baik, akan kami teruskan ke Dinas PU.", "idempotency_key": "b-try",
        "base_version": desk.case(case_id)["version"]})
    assert refused.status_code == 409 and refused.json()["error"] == "not_holder"
    assert "ani" in refused.json()["message"]
    assert [m for m in desk.case(case_id)["messages"] if m["direction"] == "out"] == []

    # Presence while composing: A types, B is told.
    composing = _string(page_b, "composing")
    page_a.fill("#reply-text", "Terima kasih laporannya. ")
    page_a.type("#reply-text", "Tim")
    page_b.wait_for_function(
        "([sel, word]) => (document.querySelector(sel)?.textContent || '').includes('ani ' + word)",
        arg=[f'.case-head [data-presence-for="{case_id}"]', composing]
    )
    assert "ani" in presence_b.text_content()

    # A replies; the reply appears in B's thread.
    reply = "Terima kasih laporannya. Tim Dinas PU akan memeriksa lokasi besok pagi."
    page_a.fill("#reply-text", reply)
    page_a.click("#send")
    page_b.wait_for_selector(".thread .msg.out")
    assert page_b.text_content(".thread .msg.out p").strip() == reply
    assert _not_reloaded(page_b)
    live_b.wait_pushed(kind="case", reason="reply", case_id=case_id, actor="ani")
    page_a.wait_for_selector("#toast.show:not(.error)")
    assert page_a.input_value("#reply-text") == ""

    outbound = [m for m in desk.case(case_id)["messages"] if m["direction"] == "out"]
    assert [(m["text"], m["author"]) for m in outbound] == [(reply, "ani")]
    assert desk.case(case_id)["status"] == "dijawab"


def test_inbox_shows_a_new_citizen_message_live(desk, two_operators):
    page = two_operators("budi")
    live = _open_live(page, desk.inbox_url())

    case_id = desk.inbound("Sampah di TPS Gunung Samarinda belum diangkut tiga hari")
    page.wait_for_selector(f'.case-row[data-case-id="{case_id}"]')
    assert _not_reloaded(page)
    live.wait_pushed(kind="case", reason="inbound", case_id=case_id)
    # Newest waiting first.
    assert page.get_attribute(".case-row >> nth=0", "data-case-id") == str(case_id)


def _assert_fits_width(page) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url}: {scroll_width}px wide in {inner_width}px"


def test_phone_screen_has_no_horizontal_overflow(desk, two_operators):
    case_id = desk.inbound(
        "Assalamualaikum, air PDAM di Perumahan Balikpapan Baru blok AB-12 sudah mati sejak "
        "Senin malam, kami sudah lapor lewat telepon tapi belum ada petugas yang datang. "
        "https://contoh.balikpapan.go.id/sangat/panjang/tanpa/spasi/" + "x" * 80
    )
    page = two_operators("ani", viewport={"width": 375, "height": 740}, is_mobile=True,
                         has_touch=True, device_scale_factor=2)
    _open_live(page, desk.inbox_url())
    page.wait_for_selector(f'.case-row[data-case-id="{case_id}"]')
    _assert_fits_width(page)

    _open_live(page, desk.case_url(case_id))
    _assert_fits_width(page)
    send = page.locator("#send")
    send.scroll_into_view_if_needed()
    assert send.is_visible()
    box = send.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert box["y"] >= 0 and box["y"] + box["height"] <= 740


def test_tone_guard_highlights_as_the_operator_types_and_blocks_the_send(desk, two_operators):
    case_id = desk.inbound("Sampah di TPS Klandasan sudah seminggu tidak diangkut, bau sekali")
    page = two_operators("ani")
    _open_live(page, desk.case_url(case_id))
    page.click("#claim")
    page.wait_for_selector('.case-head[data-holder="ani"]')
    page.fill("#reply-text", "")
    page.type("#reply-text", "BACA DULU PENGUMUMANNYA!!! dasar goblok")
    # The verdict and the highlighted spans appear without sending anything.
    page.wait_for_selector("#tone-verdict.v-block")
    marks = page.locator("#tone-preview mark.block")
    assert marks.count() >= 1
    assert "goblok" in " ".join(marks.all_inner_texts()).lower()
    page.click("#send")
    page.wait_for_selector("#toast.show.error")
    assert [m for m in desk.case(case_id)["messages"] if m["direction"] == "out"] == []
    # Rewritten politely, the same draft goes out and the verdict turns ok.
    page.fill("#reply-text", "")
    page.type("#reply-text", "Terima kasih atas laporannya, Bapak/Ibu. Kami teruskan ke DLH hari ini.")
    page.wait_for_selector("#tone-verdict.v-ok")
    page.click("#send")
    page.wait_for_selector(".msg.out")
    outbound = [m for m in desk.case(case_id)["messages"] if m["direction"] == "out"]
    assert [m["text"] for m in outbound] == [
        "Terima kasih atas laporannya, Bapak/Ibu. Kami teruskan ke DLH hari ini."]
