"""Alerts delivered: a Web Push encrypted for the browser and signed with the desk's VAPID key,
sent through the desk's HTTP client; an expired subscription (404/410) dropped at once and
audited, never retried; e-mail as the fallback; quiet hours respected unless on duty."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, time
from zoneinfo import ZoneInfo

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.templatetags.static import static

from tanggap.alerts import actions, vapid
from tanggap.alerts.delivery import deliver
from tanggap.alerts.models import (
    AlertPreference,
    Notification,
    NotificationState,
    PushSubscription,
)
from tanggap.alerts.notify import in_quiet_hours, notify
from tanggap.audit.models import AuditEvent
from tanggap.connectors.http import PlatformHTTP
from tanggap.errors import InvalidInput

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 12, 7, 10, tzinfo=WITA)
ENDPOINT = "https://fcm.googleapis.com/fcm/send/browser-1"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """A browser's push keys: what it sends when it subscribes, and what decrypts a push."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                           version="aes128gcm"))


@pytest.fixture
def zoned(desk):
    desk.bpn.time_zone = "Asia/Makassar"
    desk.bpn.save(update_fields=["time_zone"])
    return desk


def push_service(status: int, seen: list):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status)
    return PlatformHTTP(transport=httpx.MockTransport(handler))


def alert(desk, user, **kwargs):
    [made] = notify(workspace=desk.bpn, user_ids=[user.pk], kind="assigned", title="Kasus untukmu",
                    body="BPN-1 untukmu", url="/w/bpn/cases/1/", now=NOW, **kwargs)
    return made


def test_a_push_is_encrypted_for_the_browser_and_signed_by_the_desk(zoned):
    browser = Browser()
    actions.subscribe(user=zoned.ani.user, endpoint=ENDPOINT, p256dh=browser.p256dh,
                      auth=b64(browser.auth), now=NOW)
    made = alert(zoned, zoned.ani.user)
    seen = []
    assert deliver(notification_id=made.pk, now=NOW, http=push_service(201, seen)) == "pushed"
    [request] = seen
    assert str(request.url) == ENDPOINT
    assert browser.decrypt(request.content) == {
        "title": "Kasus untukmu", "body": "BPN-1 untukmu", "url": "/w/bpn/cases/1/",
        "tag": f"assigned-{made.pk}"}
    assert request.headers["content-encoding"] == "aes128gcm"
    scheme, _sep, params = request.headers["authorization"].partition(" ")
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert (scheme, fields["k"]) == ("vapid", vapid.public_key())
    # The signature verifies with the desk's public key and names the push service.
    header, claims, _sig = fields["t"].split(".")
    assert json.loads(base64.urlsafe_b64decode(claims + "==")) == {
        "aud": "https://fcm.googleapis.com", "exp": int(NOW.timestamp()) + 12 * 3600,
        "sub": "mailto:tanggap@localhost"}
    assert vapid.keys().verify_token(f"{header}.{claims}".encode(), _sig)
    # Run twice: nothing is sent again.
    assert deliver(notification_id=made.pk, now=NOW, http=push_service(201, seen)) is None
    assert len(seen) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_dropped_and_mail_stands_in(zoned, status):
    zoned.ani.user.email = "ani@example.go.id"
    zoned.ani.user.save(update_fields=["email"])
    browser = Browser()
    actions.subscribe(user=zoned.ani.user, endpoint=ENDPOINT, p256dh=browser.p256dh,
                      auth=b64(browser.auth), now=NOW)
    made = alert(zoned, zoned.ani.user)
    seen = []
    assert deliver(notification_id=made.pk, now=NOW, http=push_service(status, seen)) == "emailed"
    assert not PushSubscription.objects.exists()
    dropped = AuditEvent.objects.get(action="alerts.subscription_dropped")
    assert dropped.after["status"] == status
    assert [m.to for m in mail.outbox] == [["ani@example.go.id"]]
    assert "Kasus untukmu" in mail.outbox[0].subject
    # The next alert does not try the dead endpoint again.
    again = alert(zoned, zoned.ani.user)
    deliver(notification_id=again.pk, now=NOW, http=push_service(201, seen))
    assert len(seen) == 1


def test_a_failing_subscription_is_dropped_after_five_failures(zoned):
    browser = Browser()
    actions.subscribe(user=zoned.ani.user, endpoint=ENDPOINT, p256dh=browser.p256dh,
                      auth=b64(browser.auth), now=NOW)
    seen = []
    for _ in range(5):
        made = alert(zoned, zoned.ani.user)
        assert deliver(notification_id=made.pk, now=NOW, http=push_service(500, seen)) == \
            NotificationState.UNDELIVERED
    assert len(seen) == 5
    assert not PushSubscription.objects.exists()


def test_quiet_hours_hold_alerts_back_unless_the_member_is_reachable(zoned):
    actions.set_preferences(user=zoned.ani.user, quiet_start="09:00", quiet_end="12:00",
                            email_fallback=True, now=NOW)
    assert alert(zoned, zoned.ani.user).state == NotificationState.QUIET
    assert alert(zoned, zoned.ani.user, reachable=[zoned.ani.user.pk]).state == \
        NotificationState.PENDING
    assert in_quiet_hours(time(22), time(6),
                          time(2))
    assert not in_quiet_hours(time(22), time(6),
                              time(12))


@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/x",        # not HTTPS
    "https://127.0.0.1:5432/",                      # not a push service
    "https://fcm.googleapis.com.evil.example/x",    # a look-alike host
    "https://user:pw@fcm.googleapis.com/x",
    "",
])
def test_a_subscription_to_anything_but_a_push_service_is_refused(zoned, endpoint):
    browser = Browser()
    with pytest.raises(InvalidInput):
        actions.subscribe(user=zoned.ani.user, endpoint=endpoint, p256dh=browser.p256dh,
                          auth=b64(browser.auth), now=NOW)
    with pytest.raises(InvalidInput):
        actions.subscribe(user=zoned.ani.user, endpoint=ENDPOINT, p256dh="AAAA",
                          auth=b64(browser.auth), now=NOW)
    assert not PushSubscription.objects.exists()
    assert not Notification.objects.exists()


def test_the_pwa_is_served_from_the_root(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    worker = client.get("/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/"
    assert b'addEventListener("push"' in worker.content
    # Under the desk's CSP: no inline script on the page that registers it.
    assert "script-src 'self'" in worker["Content-Security-Policy"]
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon["Location"]) == (302, static("alerts/icon-192.png"))


def test_the_subscription_endpoint_needs_a_login_and_csrf(zoned, client):
    browser = Browser()
    body = json.dumps({"endpoint": ENDPOINT, "keys": {"p256dh": browser.p256dh,
                                                      "auth": b64(browser.auth)}})
    assert client.post("/alerts/subscription", body, content_type="application/json").status_code == 302
    client.force_login(zoned.ani.user)
    created = client.post("/alerts/subscription", body, content_type="application/json")
    assert (created.status_code, created.json()) == (201, {"subscribed": True})
    refused = client.post("/alerts/subscription", json.dumps({"endpoint": "https://evil.example/"}),
                          content_type="application/json")
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid")
    assert PushSubscription.objects.get().user == zoned.ani.user


def test_quiet_hours_are_set_on_the_alerts_page_and_bad_ones_refused(zoned, client):
    assert client.get("/alerts/").status_code == 302  # a login first
    client.force_login(zoned.ani.user)
    page = client.get("/alerts/")
    assert (page.status_code, page.context["public_key"]) == (200, vapid.public_key())
    saved = client.post("/alerts/preferences", {"quiet_start": "22:00", "quiet_end": "06:00",
                                                "email_fallback": "on"}, follow=True)
    assert [str(m) for m in saved.context["messages"]] == ["Tersimpan."]
    stored = AlertPreference.objects.get(user=zoned.ani.user)
    assert (stored.quiet_start, stored.quiet_end, stored.email_fallback) == (
        time(22), time(6), True)
    for bad in ({"quiet_start": "22:00", "quiet_end": ""},
                {"quiet_start": "22:00", "quiet_end": "22:00"},
                {"quiet_start": "jam sepuluh", "quiet_end": "06:00"}):
        refused = client.post("/alerts/preferences", bad, follow=True)
        assert len(refused.context["messages"]) == 1
        assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    stored.refresh_from_db()
    assert (stored.quiet_start, stored.quiet_end, stored.email_fallback) == (
        time(22), time(6), True)
    assert AuditEvent.objects.filter(action="alerts.preferences_changed").count() == 1


def _with_address_and_browser(desk):
    ani = desk.ani.user
    ani.email = "ani@example.go.id"
    ani.save(update_fields=["email"])
    browser = Browser()
    actions.subscribe(user=ani, endpoint=ENDPOINT, p256dh=browser.p256dh,
                      auth=b64(browser.auth), now=NOW)
    return ani


def test_mail_stands_in_only_when_no_browser_took_the_alert_and_the_member_wants_it(zoned):
    ani, seen = _with_address_and_browser(zoned), []
    # A browser took it: no mail besides.
    assert deliver(notification_id=alert(zoned, ani).pk, now=NOW,
                   http=push_service(201, seen)) == NotificationState.PUSHED
    assert (len(seen), mail.outbox) == (1, [])
    PushSubscription.objects.all().delete()
    # No browser: the mail, with the link to the case.
    assert deliver(notification_id=alert(zoned, ani).pk, now=NOW) == NotificationState.EMAILED
    [sent] = mail.outbox
    assert (sent.to, sent.subject) == (["ani@example.go.id"], "[Tanggap] Kasus untukmu")
    assert sent.body.startswith("BPN-1 untukmu\n\n") and sent.body.endswith("/w/bpn/cases/1/")
    # The fallback turned off: nothing, and the alert says it was not delivered.
    actions.set_preferences(user=ani, quiet_start=None, quiet_end=None, email_fallback=False,
                            now=NOW)
    off = alert(zoned, ani)
    assert deliver(notification_id=off.pk, now=NOW) == NotificationState.UNDELIVERED
    assert len(mail.outbox) == 1
    # Fallback on but no address: nothing either.
    actions.set_preferences(user=ani, quiet_start=None, quiet_end=None, email_fallback=True,
                            now=NOW)
    ani.email = ""
    ani.save(update_fields=["email"])
    assert deliver(notification_id=alert(zoned, ani).pk, now=NOW) == \
        NotificationState.UNDELIVERED
    assert len(mail.outbox) == 1


def test_an_alert_in_quiet_hours_is_neither_pushed_nor_mailed(
        zoned, django_capture_on_commit_callbacks):
    ani, seen = _with_address_and_browser(zoned), []
    actions.set_preferences(user=ani, quiet_start="22:00", quiet_end="11:00",
                            email_fallback=True, now=NOW)  # 10:00 WITA is inside, across midnight
    with django_capture_on_commit_callbacks() as queued:
        held = alert(zoned, ani)
    assert (held.state, queued) == (NotificationState.QUIET, [])
    assert deliver(notification_id=held.pk, now=NOW, http=push_service(201, seen)) is None
    assert (seen, mail.outbox) == ([], [])
    assert Notification.objects.get(pk=held.pk).state == NotificationState.QUIET


def test_the_vapid_key_is_made_once_in_the_keys_directory_and_kept(tmp_path, settings):
    settings.KEYS_DIR = tmp_path / "keys"
    vapid._keys.cache_clear()
    try:
        first = vapid.public_key()
        path = tmp_path / "keys" / "vapid_private.pem"
        assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
        assert b"PRIVATE KEY" in path.read_bytes()
        assert not (settings.DATA_DIR / "vapid_private.pem").exists()
        vapid._keys.cache_clear()  # a restart reads the same file
        assert vapid.public_key() == first
    finally:
        vapid._keys.cache_clear()
