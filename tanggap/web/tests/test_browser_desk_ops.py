"""Real-browser tests (Debian's Chromium through Playwright, a real `tanggap serve`) of the
operator's screen: the inbox search, a template inserted with `/`, who holds a case, a reply held
for approval and approved by a supervisor on a phone, and a take-over that tells the operator.

The desk is set up with the `tanggap` CLI and REST v1 only (docs/testing.md); "live" means the
open page shows it without being reloaded. The supervisor logs in through the real second-factor
enrolment, computing the code from the key the page shows, as an authenticator app would.
"""

from __future__ import annotations

import itertools
from base64 import b32decode

import httpx
import pytest

from tanggap.testing.browser import WAIT_MS, chromium, needs_chromium, served
from tanggap.testing.liveserver import PASSWORD, set_up_desk
from tanggap.workspaces.tests.helpers import code_for

pytestmark = needs_chromium

WARN = "Terima kasih, laporan Anda SUDAH kami teruskan ke Dishub."
TEMPLATE = "Terima kasih, Bapak/Ibu {nama}. Laporan {nomor_laporan} sudah kami teruskan ke Dishub."
_counter = itertools.count(1)


class Desk:
    def __init__(self, server, setup):
        self.server, self.slug, self.tokens = server, setup.slug, setup.tokens
        self.channel_id = setup.channel_id
        self.keys: dict[str, str] = {}  # the authenticator keys of the supervisors

    def api(self, method: str, path: str, user: str = "ani", **kwargs) -> httpx.Response:
        return httpx.request(method, self.server.url + "/api/v1" + path, timeout=10,
                             headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kwargs)

    def inbound(self, text: str) -> tuple[int, str]:
        n = next(_counter)
        response = self.api("POST", "/inbound", user="gerbang", json={
            "channel_id": self.channel_id, "external_id": f"ops-{n}",
            "author": {"id": f"warga-ops-{n}", "name": f"Warga Ops {n}"}, "text": text})
        assert response.status_code == 201, response.text
        return response.json()["case_id"], f"Warga Ops {n}"

    def outbound(self, case_id: int) -> list[str]:
        case = self.api("GET", f"/cases/{case_id}").json()
        return [m["text"] for m in case["messages"] if m["direction"] == "out"]

    def url(self, path: str) -> str:
        return f"{self.server.url}/w/{self.slug}/{path}"


def _prepare(server):
    # Map tiles from this server (they 404; the test is about the map, not the pictures), so
    # the browser reaches nothing but 127.0.0.1.
    server.extra_env["TANGGAP_MAP_TILES"] = server.url + "/tiles/{z}/{x}/{y}.png"
    setup = set_up_desk(server, operators=["ani", "budi"])
    server.cli("user", "add", "sari", "--workspace", setup.slug, "--role", "supervisor",
               "--password-stdin", stdin=PASSWORD + "\n")
    setup.tokens["sari"] = server.last_word("token", "create", "sari")
    server.cli("workspace", "set", setup.slug, "--approve-warn", "on")
    return setup


@pytest.fixture(scope="module")
def desk(request):
    with served(request, prefix="tanggap-browser-ops-", prepare=_prepare) as (server, setup):
        yield Desk(server, setup)


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def people(browser, desk):
    contexts = []

    def open_as(username: str, **options):
        context = browser.new_context(locale="id-ID", **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(desk.server.url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        if username == "sari" and "sari" not in desk.keys:
            # A supervisor sets up the second factor at the first login, as with a phone app.
            page.wait_for_url("**/login/enrol/")
            secret = page.inner_text("code.secret").replace(" ", "")
            desk.keys["sari"] = b32decode(secret + "=" * (-len(secret) % 8)).hex()
            page.fill("input[name=code]", code_for(desk.keys["sari"]))
            page.click("button[type=submit]")
            page.wait_for_selector(".recovery-codes")
        elif username == "sari":
            # A code is taken once: a later login in the same 30 s uses the next step's.
            page.wait_for_url("**/login/code/")
            page.fill("input[name=code]", code_for(desk.keys["sari"], step_offset=1))
            page.click("button[type=submit]")
            page.wait_for_url(f"**/w/{desk.slug}/")
        else:
            page.wait_for_url(f"**/w/{desk.slug}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def _live(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#live-state.live.on")
    page.evaluate("window.__noReload = true")


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__noReload === true")


def _claimed(page, desk, case_id: int, who: str = "ani") -> None:
    _live(page, desk.url(f"cases/{case_id}/"))
    page.click("#claim")
    page.wait_for_selector(f'.case-head[data-holder="{who}"][data-i-hold="1"]')


def test_the_inbox_search_finds_by_words_slang_and_tracking_number(desk, people):
    wanted, _name = desk.inbound("Lampu PJU di Jl. Sudirman gak nyala sejak kemarin")
    other, _name = desk.inbound("Sampah menumpuk di pasar Klandasan")
    number = desk.api("GET", f"/cases/{wanted}").json()["tracking_number"]
    page = people("ani")
    for query in ("sudir tidak", number.lower().replace("-", " ")):
        page.goto(desk.url(""))
        page.fill("#search", query)
        page.press("#search", "Enter")
        page.wait_for_url("**q=*")
        ids = [int(i) for i in page.eval_on_selector_all(
            ".case-row", "rows => rows.map(r => r.dataset.caseId)")]
        assert ids == [wanted], (query, ids)
        assert page.input_value("#search") == query
    assert other != wanted


def test_a_template_is_inserted_with_a_slash_filled_in_for_the_case(desk, people):
    saved = desk.api("POST", "/templates", user="sari", json={
        "name": "Lampu diteruskan", "text": TEMPLATE, "topics": ["penerangan_jalan"],
        "workspace": desk.slug})
    assert saved.status_code == 201, saved.text
    case_id, name = desk.inbound("Lampu jalan di Gang Mawar mati sejak kemarin")
    number = desk.api("GET", f"/cases/{case_id}").json()["tracking_number"]
    page = people("ani")
    _claimed(page, desk, case_id)
    page.click("#reply-text")
    page.keyboard.type("/")
    page.wait_for_selector("#tpl-picker:not([hidden]) .tpl-item")
    page.keyboard.type("lampu")
    assert page.text_content("#tpl-list .tpl-group") == page.get_attribute(
        "#tpl-strings", "data-suggested")
    page.keyboard.press("Enter")
    expected = (f"Terima kasih, Bapak/Ibu {name}. Laporan {number} sudah kami teruskan ke "
                "Dishub.")
    page.wait_for_function("t => document.querySelector('#reply-text').value === t",
                           arg=expected)
    assert page.is_hidden("#tpl-picker")
    # The tone guard reads the inserted reply like a typed one, and it leaves as it is.
    page.wait_for_selector("#tone-verdict.v-ok")
    page.click("#send")
    page.wait_for_selector(".thread .msg.out")
    assert desk.outbound(case_id) == [expected]


def test_a_held_reply_is_approved_on_a_phone_and_its_author_told_live(desk, people):
    case_id, _name = desk.inbound("Lampu jalan di Jl. Ahmad Yani mati total")
    ani = people("ani")
    _claimed(ani, desk, case_id)
    ani.fill("#reply-text", WARN)
    ani.once("dialog", lambda dialog: dialog.accept())  # the tone guard's warning: send anyway
    with ani.expect_response(lambda r: r.url.endswith(f"/cases/{case_id}/replies")
                             and r.status == 202) as held:
        ani.click("#send")
    approval_id = held.value.json()["approval_id"]
    ani.wait_for_selector(".held-replies .held.ap-menunggu_persetujuan")
    assert ani.input_value("#reply-text") == "" and desk.outbound(case_id) == []

    sari = people("sari", viewport={"width": 390, "height": 844}, is_mobile=True,
                  has_touch=True)
    _live(sari, desk.url("approvals/"))
    card = sari.locator(f"#approval-{approval_id}")
    assert WARN in card.locator("textarea").input_value()
    assert sari.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card.locator(".approve").click()

    # ani's open case shows the reply sent, and ani is told who approved it, without a reload.
    ani.wait_for_selector(".thread .msg.out")
    ani.wait_for_selector(".held-replies .held.ap-disetujui")
    ani.wait_for_function("() => document.querySelector('#toast').textContent.includes('sari')")
    assert _not_reloaded(ani)
    assert desk.outbound(case_id) == [WARN]
    again = desk.api("POST", f"/approvals/{approval_id}/approve", user="sari")
    assert again.status_code == 409 and desk.outbound(case_id) == [WARN]


def test_a_colleague_sees_the_holder_and_a_take_over_tells_the_operator(desk, people):
    case_id, _name = desk.inbound("Drainase tersumbat di Jl. Pupuk, air meluap ke jalan")
    ani = people("ani")
    _claimed(ani, desk, case_id)
    budi = people("budi")
    _live(budi, desk.url(f"cases/{case_id}/"))
    assert budi.locator("#claim").count() == 0
    assert budi.inner_text("#holder").endswith("ani")
    assert budi.is_disabled("#reply-text")
    assert "ani" in budi.inner_text("#composer-locked")
    ani.fill("#reply-text", "Draf yang belum selesai")

    sari = people("sari")
    _live(sari, desk.url(f"cases/{case_id}/"))
    sari.once("dialog", lambda dialog: dialog.accept("Ani dipindah ke shift malam"))
    sari.click("#takeover")
    sari.wait_for_selector('.case-head[data-holder="sari"][data-i-hold="1"]')
    # The operator who lost the case is told, with the supervisor and the reason; their draft
    # stays, in a closed reply box.
    ani.wait_for_function(
        "() => document.querySelector('#toast').textContent.includes('Ani dipindah ke shift malam')")
    ani.wait_for_selector('.case-head[data-holder="sari"]')
    assert ani.is_disabled("#reply-text")
    assert ani.input_value("#reply-text") == "Draf yang belum selesai"
    assert _not_reloaded(ani)
    budi.wait_for_selector('.case-head[data-holder="sari"]')
    assert budi.inner_text("#holder").endswith("sari")


def test_bulk_actions_close_spam_and_assign_the_selected_rows(desk, people):
    spam = [desk.inbound(f"PROMO PINJAMAN ONLINE CAIR CEPAT hubungi wa.me/62{n}")[0]
            for n in (81, 82)]
    mine, _name = desk.inbound("Pohon tumbang menutup jalan di Gang Kenari")
    assert desk.api("POST", f"/cases/{mine}/claim").status_code == 200  # ani holds it
    page = people("ani")
    _live(page, desk.url("?status=open"))
    for case_id in spam:
        page.check(f'.pick[data-case-id="{case_id}"]')
    page.wait_for_selector("#bulk:not([hidden])")
    assert page.text_content("#bulk-count") == "2"
    page.click("#bulk-spam")
    page.wait_for_function("ids => ids.every(id => !document.querySelector("
                           "`.case-row[data-case-id=\"${id}\"]`))", arg=spam)
    for case_id in spam:
        case = desk.api("GET", f"/cases/{case_id}").json()
        assert (case["status"], case["intent"]) == ("ditutup", "spam")
    page.wait_for_selector("#bulk", state="hidden")  # the done ones leave the selection
    # Assign: the case ani holds is handed to budi (the roster's hand-over, audited).
    page.check(f'.pick[data-case-id="{mine}"]')
    page.select_option("#bulk-assign", "budi")
    page.click("#bulk-assign-go")
    # The spam step's toast ("2 selesai.") may still be showing: wait for this step's own.
    page.wait_for_function("() => { const t = document.querySelector('#toast');"
                           " return t.className === 'show' && t.textContent.startsWith('1 '); }")
    assert desk.api("GET", f"/cases/{mine}").json()["assigned_to"] == "budi"
    assert _not_reloaded(page)


def test_the_split_view_keeps_the_inbox_and_the_citizens_history_beside_the_case(desk,
                                                                                people):
    first, _name = desk.inbound("Jalan berlubang di depan SD 012 Gunung Samarinda")
    second, _name = desk.inbound("Kapan jalan di Gunung Samarinda diaspal?")
    page = people("ani", viewport={"width": 1440, "height": 900})
    page.goto(desk.url(""))  # the inbox this tab last used
    _live(page, desk.url(f"cases/{second}/"))
    page.wait_for_selector(f'#side-list .case-row.current[data-case-id="{second}"]')
    # Measured in one go: a live refresh may re-render the panel between two looks.
    side, thread, person = page.evaluate("""() => ["#side-list", "#panel .thread",
        "#panel .person"].map(sel => {
            const box = document.querySelector(sel).getBoundingClientRect();
            return {x: box.x, right: box.right, width: box.width};
        })""")
    assert side["right"] <= thread["x"] < person["x"], (side, thread, person)
    assert person["width"] > 0
    # The list stays live beside the case.
    third, _name = desk.inbound("Lampu taman Bekapai mati lagi malam ini")
    page.wait_for_selector(f'#side-list .case-row[data-case-id="{third}"]')
    assert _not_reloaded(page)
    # Clicking another row opens that case; on a phone there is no side list.
    page.click(f'#side-list .case-row[data-case-id="{first}"] a')
    page.wait_for_url(f"**/cases/{first}/")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_selector("#side-list", state="hidden")


WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_use_my_location_fills_the_form_and_a_location_is_drawn_under_the_csp(desk, browser):
    context = browser.new_context(locale="id-ID", permissions=["geolocation"],
                                  geolocation={"latitude": -1.2654, "longitude": 116.8312})
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(WATCH_VIOLATIONS)
    try:
        citizen = context.new_page()
        citizen.goto(f"{desk.server.url}/lapor/{desk.slug}/")
        citizen.click("#use-location")
        citizen.wait_for_function(
            "() => document.querySelector('#id_latitude').value === '-1.265400'")
        assert citizen.input_value("#id_longitude") == "116.831200"
        assert citizen.evaluate("window.__violations") == []

        # The case page draws a location (map.js picks up map elements as they are added):
        # Leaflet's tiles, marker and controls under the desk's strict policy. The element goes
        # outside the case panel, which a live event may render again (without it) meanwhile.
        case_id, _name = desk.inbound("Lampu taman Bekapai mati")
        page = context.new_page()
        page.goto(desk.server.url + "/login/")
        page.fill("input[name=username]", "ani")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/w/{desk.slug}/")
        _live(page, desk.url(f"cases/{case_id}/"))
        page.evaluate("""tiles => {
            const el = document.createElement("div");
            el.className = "case-map";
            Object.assign(el.dataset, {map: "", lat: "-1.2654", lng: "116.8312", tiles,
                                       attribution: "© OpenStreetMap contributors"});
            document.body.appendChild(el);
        }""", desk.server.url + "/tiles/{z}/{x}/{y}.png")
        page.wait_for_selector(".case-map .leaflet-marker-icon")
        page.wait_for_selector(".case-map img.leaflet-tile", state="attached")  # they 404
        assert "OpenStreetMap" in page.inner_text(".case-map .leaflet-control-attribution")
        assert page.evaluate("window.__violations") == []
    finally:
        context.close()



def test_t_opens_the_template_picker_on_the_case_page(desk, people):
    case_id, _name = desk.inbound("Lampu jalan di Gang Melati mati")
    page = people("ani")
    _claimed(page, desk, case_id)
    page.locator("body").click(position={"x": 5, "y": 5})  # focus outside the reply box
    page.keyboard.press("t")
    page.wait_for_selector("#tpl-picker:not([hidden])")
    # The picker focuses its search box once the templates have loaded.
    page.wait_for_function("() => document.activeElement.id === 'tpl-search'")
    page.keyboard.press("Escape")
    page.wait_for_selector("#tpl-picker", state="hidden")
    page.wait_for_function("() => document.activeElement.id === 'reply-text'")


def test_use_the_suggestion_gives_a_reply_the_guard_passes_or_says_there_is_none(desk, people):
    case_id, _name = desk.inbound("Lampu jalan di Gang Kenanga mati, tolong dicek")
    page = people("ani")
    _claimed(page, desk, case_id)
    page.fill("#reply-text", "MOHON MAAF, LAPORAN ANDA SUDAH KAMI TERUSKAN KE PLN!!!")
    page.wait_for_selector("#tone-verdict.v-block")
    page.wait_for_selector("#tone-apply:visible")
    assert page.is_hidden("#tone-no-suggestion")
    page.click("#tone-apply")
    page.wait_for_selector("#tone-verdict.v-ok")
    suggestion = page.input_value("#reply-text")
    assert suggestion == "Mohon maaf, laporan anda sudah kami teruskan ke PLN."
    assert page.is_hidden("#tone-apply") and page.is_hidden("#tone-no-suggestion")
    # Mostly an insult: nothing to offer, and the box says so instead of a missing button.
    page.fill("#reply-text", "Dasar warga bego, baca dulu pengumumannya baru komplain.")
    page.wait_for_selector("#tone-no-suggestion:visible")
    assert page.is_hidden("#tone-apply")
    assert page.inner_text("#tone-no-suggestion").startswith("Tidak ada saran")
    page.click("#send")
    page.wait_for_selector("#tone-verdict.v-block")
    assert desk.outbound(case_id) == []


# The page's visibility is what the browser reports; a headless browser always reports its pages
# visible, so the test stands in for it (document.hidden and the visibilitychange event) and
# records the app badge calls the installed app would show.
_VISIBILITY = """
  window.__hidden = false;
  Object.defineProperty(Document.prototype, "hidden", {configurable: true,
                        get() { return window.__hidden; }});
  window.__badges = [];
  Navigator.prototype.setAppBadge = function (n) { window.__badges.push(n); return Promise.resolve(); };
  Navigator.prototype.clearAppBadge = function () { window.__badges.push(0); return Promise.resolve(); };
  window.__look = (hidden) => { window.__hidden = hidden;
                                document.dispatchEvent(new Event("visibilitychange")); };
"""


def test_unread_messages_count_in_the_title_and_badge_and_sound_is_off_until_turned_on(
        desk, people):
    page = people("ani")
    page.context.add_init_script(_VISIBILITY)
    _live(page, desk.url(""))
    title = page.title()
    assert page.get_attribute("#sound-toggle", "aria-pressed") == "false"
    # Looked at: a new message adds nothing to the title; no sound (off by default).
    seen, _name = desk.inbound("Air PDAM keruh di Jl. Mulawarman")
    page.wait_for_selector(f'.case-row[data-case-id="{seen}"]')
    assert (page.title(), page.evaluate("window.__badges")) == (title, [])
    assert page.evaluate("document.documentElement.dataset.lastSound") is None
    # Hidden: each new message counts, in the title and on the badge.
    page.evaluate("window.__look(true)")
    desk.inbound("Jalan berlubang di Jl. Soekarno Hatta")
    page.wait_for_function("t => document.title === '(1) ' + t", arg=title)
    desk.inbound("Sampah menumpuk di Pasar Klandasan")
    page.wait_for_function("t => document.title === '(2) ' + t", arg=title)
    assert page.evaluate("window.__badges") == [1, 2]
    # Looked at again: both clear.
    page.evaluate("window.__look(false)")
    page.wait_for_function("t => document.title === t", arg=title)
    assert page.evaluate("window.__badges") == [1, 2, 0]
    # The operator turns the sound on (kept in this browser): the next message plays it.
    page.click("#sound-toggle")
    assert page.get_attribute("#sound-toggle", "aria-pressed") == "true"
    assert page.evaluate("localStorage.getItem('tanggap.sound')") == "on"
    desk.inbound("Lampu taman mati di Taman Bekapai")
    page.wait_for_function("() => document.documentElement.dataset.lastSound !== undefined")
    assert page.title() == title


def test_a_clock_about_to_run_out_turns_amber_then_red_live(desk, people):
    desk.server.cli("sla", "policy", desk.slug, "--name", "Dua menit", "--first-response", "2")
    case_id, _name = desk.inbound("Pohon tumbang menutup Jl. Jenderal Sudirman")
    page = people("ani")
    page.clock.install()  # the page's own clock, moved by the test; the server's is real
    _live(page, desk.url(f"cases/{case_id}/"))
    page.wait_for_selector('#case-sla[data-sla-state="ok"]')
    page.clock.fast_forward(100_000)  # past 80 % of the two minutes: the warning
    page.wait_for_selector('#case-sla.sla-warn[data-sla-state="warn"]')
    page.clock.fast_forward(30_000)  # past the due time
    page.wait_for_selector('#case-sla.sla-breached[data-sla-state="breached"]')
    assert _not_reloaded(page)
