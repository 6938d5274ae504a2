"""Real-browser tests (Debian's Chromium through Playwright, a real `tanggap serve`): the roster
on a phone, and an alert pushed to the desk's service worker shown as a notification.

The desk is set up with the `tanggap` CLI and REST v1 only. ani works two shifts that cover the
whole day (00-12 and 12-24), so she is on duty whenever the test runs.

The push test uses a local stand-in for the push service: the server may push only to the hosts
in TANGGAP_PUSH_HOSTS, set here to 127.0.0.1. Headless Chromium cannot reach a real push
service, so the page's `pushManager.subscribe` answers with a subscription whose endpoint is the
stand-in and whose keys the test holds; the server encrypts and signs the alert and posts it
there, the test decrypts it (proving the encryption) and hands the plain payload to the service
worker through the DevTools protocol's ServiceWorker.deliverPushMessage, as the push service
would; the worker shows it.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import queue
import threading
from datetime import date, timedelta

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tanggap.testing import WAIT_SECONDS
from tanggap.testing.browser import WAIT_MS, chromium, needs_chromium, served
from tanggap.testing.liveserver import set_up_desk

pytestmark = needs_chromium


class StandIn:
    """A push service on 127.0.0.1 that keeps what it is sent."""

    def __init__(self):
        self.received: queue.Queue = queue.Queue()
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.put((self.path, dict(self.headers), body))
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stand_in():
    service = StandIn()
    yield service
    service.close()


def _prepare(server, stand_in):
    server.extra_env["TANGGAP_PUSH_HOSTS"] = "127.0.0.1"
    setup = set_up_desk(server, operators=["ani", "budi"])
    server.cli("roster", "shift", "add", setup.slug, "--name", "Pagi", "--start", "00:00",
               "--end", "12:00")
    server.cli("roster", "shift", "add", setup.slug, "--name", "Malam", "--start", "12:00",
               "--end", "00:00")
    for shift in ("Pagi", "Malam"):
        server.cli("roster", "assign", setup.slug, "ani", "--shift", shift,
                   "--days", "mon,tue,wed,thu,fri,sat,sun")
    return setup


@pytest.fixture(scope="module")
def desk(request, stand_in):
    with served(request, prefix="tanggap-roster-browser-",
                prepare=lambda server: _prepare(server, stand_in)) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _login(browser, server, setup, username, **options):
    context = browser.new_context(locale="id-ID", **options)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", setup.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/w/{setup.slug}/")
    return context, page


def test_the_roster_on_a_phone(browser, desk):
    server, setup = desk
    context, page = _login(browser, server, setup, "ani",
                           viewport={"width": 375, "height": 740}, is_mobile=True,
                           has_touch=True)
    try:
        # The top bar says who is on duty; the roster page shows the week as one column.
        assert "ani" in page.text_content("#duty-bar")
        page.goto(f"{server.url}/w/{setup.slug}/roster/")
        days = page.locator("#week > li.day")
        assert days.count() == 7
        boxes = [days.nth(i).bounding_box() for i in range(7)]
        assert len({round(b["x"]) for b in boxes}) == 1  # stacked, not side by side
        assert all(b["width"] <= 375 for b in boxes)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        today = page.locator("#week > li.day.today")
        assert today.locator(".shift.running .who").first.text_content() == "ani"
        assert "ani" in page.text_content("#now-on")
        # Ask for time off on a phone: the form answers and the request waits for a supervisor.
        # The form's own earliest day is the desk's today.
        soon = date.fromisoformat(page.get_attribute("input[name=first_day]", "min")) + \
            timedelta(days=30)
        page.fill("input[name=first_day]", soon.isoformat())
        page.fill("input[name=last_day]", (soon + timedelta(days=1)).isoformat())
        page.fill("input[name=reason]", "Malam minggu")
        page.click("form[action$='/time-off/request'] button[type=submit]")
        page.wait_for_selector(".flash li.success")
        assert page.locator(".requests .req-menunggu").count() == 1
        # The calendar feed: made on the page, served as iCalendar without a login.
        page.click("#calendar-feed button[type=submit]")
        url = page.text_content("#feed-url").strip()
        feed = httpx.get(url, timeout=10)
        assert feed.headers["content-type"].startswith("text/calendar")
        assert "BEGIN:VEVENT" in feed.text and "Piket Pagi" in feed.text
    finally:
        context.close()


def _browser_keys():
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)

    def b64(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return key, auth, b64(public), b64(auth)


def test_a_pushed_alert_shows_as_a_notification(browser, desk, stand_in):
    server, setup = desk
    key, auth, p256dh, auth_b64 = _browser_keys()
    endpoint = f"http://127.0.0.1:{stand_in.port}/push/ani"
    context, page = _login(browser, server, setup, "ani")
    try:
        context.grant_permissions(["notifications"], origin=server.url)
        # Headless Chromium reaches no push service: the page's subscribe answers with the
        # stand-in's endpoint and keys this test holds.
        page.add_init_script(f"""
            PushManager.prototype.subscribe = async function () {{
              return {{endpoint: {json.dumps(endpoint)},
                       toJSON() {{ return {{endpoint: {json.dumps(endpoint)},
                                            keys: {{p256dh: {json.dumps(p256dh)},
                                                    auth: {json.dumps(auth_b64)}}}}}; }}}};
            }};""")
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda event: registrations.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.goto(f"{server.url}/alerts/")
        # The service worker registers from the root, so its scope is the whole desk.
        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == server.url + "/"
        with page.expect_response(lambda r: r.url.endswith("/alerts/subscription")) as answer:
            page.click("button[data-push=on]")
        assert answer.value.status == 201
        page.wait_for_function("document.getElementById('push-state').textContent.length > 0")

        # budi holds a case and hands it to ani: the desk alerts her.
        api = httpx.Client(base_url=server.url + "/api/v1", timeout=10)
        inbound = api.post("/inbound", headers={"Authorization": f"Bearer {setup.tokens['gerbang']}"},
                           json={"channel_id": setup.channel_id, "external_id": "push-1",
                                 "author": {"id": "w-push", "name": "Warga"},
                                 "text": "Air PDAM mati sejak pagi"})
        case_id = inbound.json()["case_id"]
        budi = {"Authorization": f"Bearer {setup.tokens['budi']}"}
        assert api.post(f"/cases/{case_id}/claim", headers=budi).status_code == 200
        handed = api.post(f"/cases/{case_id}/handover", headers=budi,
                          json={"to": "ani", "note": "Mohon ditelepon"})
        assert handed.status_code == 200, handed.text

        path, headers, body = stand_in.received.get(timeout=WAIT_SECONDS)
        assert path == "/push/ani"
        assert headers["Content-Encoding"] == "aes128gcm"
        assert headers["Authorization"].startswith("vapid t=")
        payload = json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth,
                                              version="aes128gcm"))
        assert payload["url"] == f"/w/{setup.slug}/cases/{case_id}/"

        # The push service's part: hand the message to the browser's service worker. The worker
        # reports what it showed through a promise this test plants in it first: an event to
        # await, where polling the page's list of notifications raced the worker's push handler.
        (worker,) = context.service_workers
        assert worker.url == server.url + "/sw.js"
        worker.evaluate("""() => {
          const show = ServiceWorkerRegistration.prototype.showNotification;
          self.shownForTest = new Promise(resolve => {
            ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
              return show.call(this, title, options).then(() => resolve(
                {title, body: options.body, url: options.data.url}));
            };
          });
        }""")
        registration = next(r for r in registrations if r["scopeURL"] == server.url + "/")
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": server.url, "registrationId": registration["registrationId"],
            "data": json.dumps(payload)})
        expected = {"title": payload["title"], "body": payload["body"], "url": payload["url"]}
        assert worker.evaluate("self.shownForTest") == expected
        shown = page.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(ns => ns.map(n => ({title: n.title, body: n.body, url: n.data.url})))")
        assert shown == [expected]
    finally:
        context.close()
