"""Deactivating a user, setting a password, removing a member, the last admin: from the command
line (audited as the system) with exact outcomes, and refusals that change nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case
from tanggap.cases.models import Case
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.models import ApiToken, Membership
from tanggap.workspaces.tests.helpers import command

User = get_user_model()


def _logged_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    assert client.get("/w/bpn/").status_code == 200
    return client


def _accounts_state():
    return (list(User.objects.order_by("pk").values_list("username", "is_active", "password")),
            list(Membership.objects.order_by("pk").values_list("user_id", "workspace_id", "role")),
            ApiToken.objects.count(), Session.objects.count(), AuditEvent.objects.count(),
            list(Case.objects.order_by("pk").values_list("claimed_by", "version")))


def test_deactivate_ends_logins_tokens_and_claims_in_every_workspace(desk):
    now = timezone.now()
    add_member(workspace=desk.dlh, username="ani", role="operator", password="", now=now)
    bpn_case = desk.inbound().case
    dlh_case = desk.inbound(channel=desk.dlh_web, external_id="d1").case
    other = desk.inbound(external_id="m2", author_id="w2").case
    for case in (bpn_case, dlh_case):
        claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    claim_case(case_id=other.pk, actor=desk.budi.user, now=now)
    browser = _logged_in(desk.ani)
    budi_browser = _logged_in(desk.budi)

    out = command("user", "deactivate", "ani")

    assert out == "ani deactivated: 1 token(s) revoked, 1 login(s) ended, 2 case(s) released\n"
    ani = User.objects.get(username="ani")
    assert not ani.is_active
    assert browser.get("/w/bpn/")["Location"].startswith("/login/")
    assert budi_browser.get("/w/bpn/").status_code == 200
    assert desk.ani.get("/api/v1/cases").status_code == 401
    assert list(Case.objects.filter(pk__in=[bpn_case.pk, dlh_case.pk])
                .values_list("claimed_by", "status")) == [(None, "baru"), (None, "baru")]
    assert Case.objects.get(pk=other.pk).claimed_by == desk.budi.user
    events = AuditEvent.objects.filter(action="user.deactivated").order_by("workspace_id")
    assert [(e.workspace_id, e.actor, e.after["username"]) for e in events] == [
        (desk.bpn.pk, None, "ani"), (desk.dlh.pk, None, "ani")]
    released = AuditEvent.objects.filter(action="case.released", actor=None)
    assert sorted(e.case_id for e in released) == sorted([bpn_case.pk, dlh_case.pk])
    # Reactivated, the user logs in again with the password; the old token stays revoked.
    assert command("user", "reactivate", "ani").startswith("ani may log in again")
    assert User.objects.get(username="ani").is_active
    assert desk.ani.get("/api/v1/cases").status_code == 401


def test_deactivate_refuses_the_last_admin_and_changes_nothing(desk):
    add_member(workspace=desk.dlh, username="kepala", role="admin", password="kata-sandi-kepala",
               now=timezone.now())
    before = _accounts_state()
    with pytest.raises(CommandError, match="kepala adalah admin terakhir dlh"):
        command("user", "deactivate", "kepala")
    with pytest.raises(CommandError, match="no user 'siapa'"):
        command("user", "deactivate", "siapa")
    assert _accounts_state() == before


@pytest.mark.parametrize("weak", ["password", "12345678", "123456789012", "sari", "kata"])
def test_user_password_refuses_weak_passwords_and_changes_nothing(desk, weak):
    before = _accounts_state()
    with pytest.raises(CommandError):
        command("user", "password", "sari", "--password-stdin", stdin=weak + "\n")
    assert _accounts_state() == before


def test_user_password_sets_it_and_ends_every_login(desk):
    browser = _logged_in(desk.ani)
    out = command("user", "password", "ani", "--password-stdin",
                  stdin="jembatan-mahakam-2026\n")
    assert out == "password of ani set; 1 login(s) ended\n"
    assert browser.get("/w/bpn/")["Location"].startswith("/login/")
    ani = User.objects.get(username="ani")
    assert ani.check_password("jembatan-mahakam-2026") and not ani.check_password("kata-sandi-uji")
    event = AuditEvent.objects.get(action="user.password_set")
    assert (event.actor, event.after) == (None, {"username": "ani", "ended_sessions": 1})


@pytest.mark.parametrize("weak", ["password", "12345678", "adminbaru1"])
def test_user_add_runs_every_validator(desk, weak):
    before = _accounts_state()
    with pytest.raises(CommandError):
        command("user", "add", "adminbaru", "--workspace", "bpn", "--role", "admin",
                "--password-stdin", stdin=weak + "\n")
    assert _accounts_state() == before


def test_remove_member_releases_their_claims_there_and_keeps_the_rest(desk):
    now = timezone.now()
    add_member(workspace=desk.dlh, username="ani", role="operator", password="", now=now)
    case = desk.inbound().case
    dlh_case = desk.inbound(channel=desk.dlh_web, external_id="d1").case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    claim_case(case_id=dlh_case.pk, actor=desk.ani.user, now=now)
    out = command("user", "remove", "ani", "--workspace", "bpn")
    assert out == "ani removed from bpn; 1 case(s) released\n"
    assert not Membership.objects.filter(user=desk.ani.user, workspace=desk.bpn).exists()
    assert Case.objects.get(pk=case.pk).claimed_by is None
    assert Case.objects.get(pk=dlh_case.pk).claimed_by == desk.ani.user
    assert desk.ani.get(f"/api/v1/cases/{case.pk}").status_code == 404
    removed = AuditEvent.objects.get(action="member.removed")
    assert (removed.workspace_id, removed.before, removed.after) == (
        desk.bpn.pk, {"role": "operator"}, {"username": "ani", "released_cases": 1})


def test_the_last_admin_can_be_neither_removed_nor_demoted(desk):
    add_member(workspace=desk.bpn, username="adi", role="admin", password="kata-sandi-adi",
               now=timezone.now())
    before = _accounts_state()
    with pytest.raises(CommandError, match="admin terakhir"):
        command("user", "remove", "adi", "--workspace", "bpn")
    with pytest.raises(CommandError, match="admin terakhir"):
        command("user", "add", "adi", "--workspace", "bpn", "--role", "operator")
    assert _accounts_state() == before
    # With a second admin, the first may go.
    add_member(workspace=desk.bpn, username="sari", role="admin", password="", now=timezone.now())
    command("user", "remove", "adi", "--workspace", "bpn")
    assert list(Membership.objects.filter(workspace=desk.bpn, role="admin")
                .values_list("user__username", flat=True)) == ["sari"]


def test_integration_account_is_added_without_a_password_and_told_how_to_get_a_token(desk):
    out = command("user", "add", "wa-gateway", "--workspace", "bpn", "--role", "integration")
    user = User.objects.get(username="wa-gateway")
    assert out.splitlines() == [
        "Integration account: it may only POST /api/v1/inbound. Create its API token with: "
        "tanggap token create wa-gateway",
        f"wa-gateway is integration of bpn {user.pk}",
    ]
    assert not user.has_usable_password()
    before = _accounts_state()
    with pytest.raises(CommandError, match="no password"):
        command("user", "add", "wa-2", "--workspace", "bpn", "--role", "integration",
                "--password-stdin", stdin="kata-sandi-panjang\n")
    with pytest.raises(CommandError, match="integrasi"):
        command("user", "password", "wa-gateway", "--password-stdin",
                stdin="kata-sandi-panjang\n")
    with pytest.raises(CommandError, match="integrasi"):
        command("user", "add", "wa-gateway", "--workspace", "bpn", "--role", "operator")
    with pytest.raises(CommandError):
        command("user", "add", "ani", "--workspace", "dlh", "--role", "integration")
    assert _accounts_state() == before
