"""Logging in: Django's password validators, a lockout per (username, address) with an
Indonesian message, audited and liftable; a second factor for admins and supervisors (set up at
their first login, then asked every time), recovery codes, and an admin's reset."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tanggap.audit.models import AuditEvent
from tanggap.web.login import PENDING
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.tests.helpers import code_for, command

User = get_user_model()
PASSWORD = "kata-sandi-uji"


def _login(client, username, password=PASSWORD, address="198.51.100.7"):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


def _logged_in(client) -> bool:
    return client.get("/w/bpn/").status_code == 200


def test_an_operator_logs_in_with_a_password_alone(desk):
    client = Client()
    response = _login(client, "ani")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert _logged_in(client)


def test_five_wrong_passwords_lock_that_username_from_that_address(desk):
    client = Client()
    for _ in range(4):
        response = _login(client, "ani", "salah-sekali")
        assert response.status_code == 200
        assert "Nama pengguna atau kata sandi salah." in response.content.decode()
    fifth = _login(client, "ani", "salah-sekali")
    assert fifth.status_code == 429
    assert ("Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini dari alamat ini. "
            "Coba lagi dalam 15 menit") in fifth.content.decode()
    # Locked: the right password is refused too, from that address; another address may try.
    assert _login(client, "ani").status_code == 429
    assert not _logged_in(client)
    other = Client()
    assert _login(other, "ani", address="203.0.113.9").status_code == 302
    # The lockout is audited once, in ani's workspace, with the address.
    locked = AuditEvent.objects.filter(action="login.locked_out")
    assert [(e.workspace_id, e.actor, e.after) for e in locked] == [
        (desk.bpn.pk, None, {"username": "ani", "address": "198.51.100.7"})]
    # The server operator lifts it (audited), and the right password works again.
    assert command("user", "unlock", "ani") == "ani: 1 lockout record(s) cleared\n"
    assert AuditEvent.objects.filter(action="login.unlocked").count() == 1
    assert _login(client, "ani").status_code == 302


def test_an_admin_unlocks_a_member_on_the_members_page(desk):
    admin = _admin_client(desk)
    for _ in range(5):
        _login(Client(), "budi", "salah-sekali")
    page = admin.get("/w/bpn/members/").content.decode()
    assert re.search(r'data-username="budi".*?terkunci', page, re.S)
    response = admin.post("/w/bpn/members/budi/unlock")
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="login.unlocked")
    assert event.actor.username == "adi"
    assert _login(Client(), "budi").status_code == 302


def _admin_client(desk) -> Client:
    add_member(workspace=desk.bpn, username="adi", role="admin", password="kata-sandi-adi",
               now=timezone.now())
    client = Client()
    client.force_login(User.objects.get(username="adi"))
    return client


def _enrol_at_login(client, username, password=PASSWORD):
    response = _login(client, username, password)
    assert (response.status_code, response["Location"]) == (302, "/login/enrol/")
    page = client.get("/login/enrol/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    key = client.session[PENDING]["totp_key"]
    return key, page


def test_a_supervisor_sets_up_an_authenticator_at_first_login_then_is_asked_every_time(desk):
    client = Client()
    key, page = _enrol_at_login(client, "sari")
    assert not _logged_in(client)
    assert client.get("/api/v1/cases").status_code == 401  # the session is not logged in yet
    wrong = client.post("/login/enrol/", {"code": "000000"})
    assert wrong.status_code == 400 and not _logged_in(client)
    done = client.post("/login/enrol/", {"code": code_for(key)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert _logged_in(client)
    assert AuditEvent.objects.filter(action="second_factor.enrolled", actor=desk.sari.user).exists()

    # The next login asks for the code; the password alone is not enough.
    again = Client()
    response = _login(again, "sari")
    assert response["Location"] == "/login/code/"
    assert not _logged_in(again)
    assert again.post("/login/code/", {"code": "123456"}).status_code == 400
    assert not _logged_in(again)
    # After a wrong code django-otp makes the next try wait (1 s, doubling): even the right code
    # is refused until then.
    right = code_for(key, step_offset=1)
    assert again.post("/login/code/", {"code": right}).status_code == 400
    TOTPDevice.objects.filter(user=desk.sari.user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=10))
    assert again.post("/login/code/", {"code": right}).status_code == 302
    assert _logged_in(again)

    # A recovery code logs in once.
    lost = Client()
    _login(lost, "sari")
    assert lost.post("/login/code/", {"code": codes[0]}).status_code == 302
    assert _logged_in(lost)
    reused = Client()
    _login(reused, "sari")
    assert reused.post("/login/code/", {"code": codes[0]}).status_code == 400
    assert AuditEvent.objects.filter(action="second_factor.recovery_code_used").count() == 1


def test_the_api_token_of_a_supervisor_is_not_asked_for_a_code(desk):
    client = Client()
    key, _page = _enrol_at_login(client, "sari")
    client.post("/login/enrol/", {"code": code_for(key)})
    assert desk.sari.get("/api/v1/cases").status_code == 200


def test_an_admin_resets_a_lost_phone_and_the_member_sets_up_a_new_one(desk):
    sari = Client()
    key, _page = _enrol_at_login(sari, "sari")
    sari.post("/login/enrol/", {"code": code_for(key)})
    assert _logged_in(sari)
    admin = _admin_client(desk)
    assert admin.post("/w/bpn/members/sari/second-factor/reset").status_code == 302
    assert not _logged_in(sari)  # her logins ended
    event = AuditEvent.objects.get(action="second_factor.reset")
    assert (event.actor.username, event.after["username"]) == ("adi", "sari")
    new_key, _page = _enrol_at_login(Client(), "sari")
    assert new_key != key


def test_promotion_to_supervisor_ends_the_logins_made_with_a_password_alone(desk):
    client = Client()
    _login(client, "budi")
    assert _logged_in(client)
    command("user", "add", "budi", "--workspace", "bpn", "--role", "supervisor")
    assert not _logged_in(client)
    assert _login(Client(), "budi")["Location"] == "/login/enrol/"


def test_the_second_step_expires(desk, settings):
    settings.TANGGAP_LOGIN_STEP_SECONDS = 0
    client = Client()
    _login(client, "sari")
    response = client.get("/login/enrol/")
    assert (response.status_code, response["Location"]) == (302, "/login/")


@pytest.mark.parametrize("weak", ["password", "12345678"])
def test_the_account_page_refuses_weak_passwords(desk, weak):
    client = Client()
    client.force_login(desk.ani.user)
    before = User.objects.get(pk=desk.ani.user.pk).password
    response = client.post("/account/password", {"old_password": PASSWORD, "new_password": weak,
                                                 "new_password2": weak}, follow=True)
    assert "Kata sandi terlalu pendek" in response.content.decode() or \
        "terlalu umum" in response.content.decode()
    assert User.objects.get(pk=desk.ani.user.pk).password == before


def test_the_account_page_changes_the_password_and_ends_other_logins(desk):
    other = Client()
    other.force_login(desk.ani.user)
    client = Client()
    client.force_login(desk.ani.user)
    response = client.post("/account/password", {
        "old_password": PASSWORD, "new_password": "sungai-ampal-2026",
        "new_password2": "sungai-ampal-2026"})
    assert response.status_code == 302
    assert _logged_in(client) and not _logged_in(other)
    assert User.objects.get(pk=desk.ani.user.pk).check_password("sungai-ampal-2026")
    assert AuditEvent.objects.filter(action="user.password_changed").count() == 1


def test_an_operator_may_set_up_an_authenticator_on_the_account_page(desk):
    client = Client()
    client.force_login(desk.ani.user)
    assert "<svg" in client.get("/account/").content.decode()
    from tanggap.web.account import ACCOUNT_TOTP_KEY
    key = client.session[ACCOUNT_TOTP_KEY]
    done = client.post("/account/totp", {"code": code_for(key)})
    assert done.status_code == 200
    assert _login(Client(), "ani")["Location"] == "/login/code/"


def test_an_integration_account_cannot_log_in(desk):
    response = _login(Client(), "gerbang", "apa-saja-panjang")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah." in response.content.decode()
