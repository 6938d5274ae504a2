"""/w/<slug>/members/: a workspace's admins manage its members. Outsiders get 404, other members
403, and a refused act changes nothing."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case
from tanggap.cases.models import Case
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.models import ApiToken, Membership

User = get_user_model()

ACTS = [
    ("add", {"username": "baru", "role": "operator", "password": "kata-sandi-baru-1"}),
    ("budi/role", {"role": "auditor"}),
    ("budi/remove", {}),
    ("budi/deactivate", {}),
    ("budi/reactivate", {}),
    ("budi/password", {"password": "kata-sandi-budi-2"}),
    ("budi/unlock", {}),
    ("budi/second-factor/reset", {}),
    ("budi/tokens/create", {}),
    ("budi/tokens/revoke", {}),
]


def _state():
    return (list(User.objects.order_by("pk").values_list("username", "is_active", "password")),
            list(Membership.objects.order_by("pk").values_list("user_id", "workspace_id", "role")),
            list(ApiToken.objects.order_by("pk").values_list("prefix", flat=True)),
            AuditEvent.objects.count(), Session.objects.count())


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def adi(desk):
    return add_member(workspace=desk.bpn, username="adi", role="admin",
                      password="kata-sandi-adi", now=timezone.now()).user


@pytest.fixture
def outsider_admin(desk):
    return add_member(workspace=desk.dlh, username="kadis", role="admin",
                      password="kata-sandi-kadis", now=timezone.now()).user


@pytest.mark.parametrize(("who", "status"), [("outsider_admin", 404), ("audi", 403),
                                              ("ani", 403), ("sari", 403)])
def test_only_the_workspaces_admins_see_and_act(desk, adi, outsider_admin, who, status):
    user = outsider_admin if who == "outsider_admin" else getattr(desk, who).user
    client = _client(user)
    assert client.get("/w/bpn/members/").status_code == status
    before = _state()
    for path, data in ACTS:
        assert client.post(f"/w/bpn/members/{path}", data).status_code == status, path
    assert _state() == before


def test_anonymous_is_sent_to_log_in(desk):
    assert Client().get("/w/bpn/members/")["Location"] == "/login/?next=/w/bpn/members/"


def test_the_page_lists_members_roles_and_tokens(desk, adi):
    desk.ani.get("/api/v1/cases")  # notes the token's last use
    page = _client(adi).get("/w/bpn/members/").content.decode()
    for username in ("adi", "ani", "audi", "budi", "gerbang", "sari"):
        assert f'data-username="{username}"' in page
    assert 'data-username="luar"' not in page
    assert desk.ani.token[:10] in page and desk.ani.token not in page
    assert re.search(r"terakhir dipakai \d\d", page)


def test_an_admin_adds_an_integration_account_and_creates_its_token_once(desk, adi):
    client = _client(adi)
    response = client.post("/w/bpn/members/add", {"username": "wa-gateway",
                                                  "role": "integration"}, follow=True)
    assert "wa-gateway ditambahkan sebagai akun integrasi" in response.content.decode()
    user = User.objects.get(username="wa-gateway")
    assert not user.has_usable_password()
    shown = client.post("/w/bpn/members/wa-gateway/tokens/create").content.decode()
    raw = re.search(r'<code class="secret">(tg_[^<]+)</code>', shown).group(1)
    assert ApiToken.objects.get(user=user).prefix == raw[:10]
    assert raw not in client.get("/w/bpn/members/").content.decode()
    assert Client().post("/api/v1/inbound", data={"channel_id": desk.web.pk, "external_id": "g1",
                                                   "author": {"id": "w"}, "text": "Halo min"},
                         content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 201
    created = AuditEvent.objects.get(action="token.created", after__username="wa-gateway")
    assert created.actor == adi


@pytest.mark.parametrize("weak", ["password", "12345678", "baru"])
def test_adding_with_a_weak_password_is_refused_and_creates_nobody(desk, adi, weak):
    client = _client(adi)
    before = _state()
    response = client.post("/w/bpn/members/add", {"username": "baru", "role": "admin",
                                                         "password": weak}, follow=True)
    assert 'class="error"' in response.content.decode()
    assert _state() == before


def test_remove_releases_claims_and_the_last_admin_stays(desk, adi):
    case = desk.inbound().case
    claim_case(case_id=case.pk, actor=desk.budi.user, now=timezone.now())
    client = _client(adi)
    assert client.post("/w/bpn/members/budi/remove").status_code == 302
    assert Case.objects.get(pk=case.pk).claimed_by is None
    assert AuditEvent.objects.get(action="member.removed").actor == adi
    before = _state()
    refused = client.post("/w/bpn/members/adi/remove", follow=True).content.decode()
    assert "adi adalah admin terakhir bpn" in refused
    client.post("/w/bpn/members/adi/role", {"role": "operator"})
    assert _state() == before


def test_deactivate_from_the_page(desk, adi):
    ani = _client(desk.ani.user)
    assert _client(adi).post("/w/bpn/members/ani/deactivate").status_code == 302
    assert not User.objects.get(username="ani").is_active
    assert ani.get("/w/bpn/")["Location"].startswith("/login/")
    assert desk.ani.get("/api/v1/cases").status_code == 401
    assert AuditEvent.objects.get(action="user.deactivated").actor == adi


def test_account_wide_acts_are_refused_for_a_member_of_another_desk(desk, adi):
    add_member(workspace=desk.dlh, username="budi", role="operator", password="",
               now=timezone.now())
    client = _client(adi)
    before = _state()
    for path, data in ACTS[3:6] + ACTS[7:]:
        assert client.post(f"/w/bpn/members/{path}", data).status_code == 403, path
    assert _state() == before
    # Acts on the membership in this workspace stay possible.
    assert client.post("/w/bpn/members/budi/role", {"role": "auditor"}).status_code == 302
    assert Membership.objects.get(user__username="budi", workspace=desk.bpn).role == "auditor"


def test_an_admin_sets_a_password_and_revokes_one_token(desk, adi):
    client = _client(adi)
    budi = _client(desk.budi.user)
    assert client.post("/w/bpn/members/budi/password",
                       {"password": "kata-sandi-budi-2"}).status_code == 302
    assert User.objects.get(username="budi").check_password("kata-sandi-budi-2")
    assert budi.get("/w/bpn/")["Location"].startswith("/login/")
    client.post("/w/bpn/members/budi/tokens/revoke", {"prefix": desk.budi.token[:10]})
    assert desk.budi.get("/api/v1/cases").status_code == 401
    assert desk.ani.get("/api/v1/cases").status_code == 200
