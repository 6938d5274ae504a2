"""`tanggap demo_setup`: the demo desk, exactly, once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, CaseStatus, Direction, Message
from tanggap.connectors.actions.channels import add_channel
from tanggap.connectors.models import ChannelAccount
from tanggap.demo.actions import DEMO_PASSWORD, DEMO_SLUG, SEED_MESSAGES
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.workspaces import create_workspace
from tanggap.workspaces.models import Membership, Workspace

EXPECTED_MEMBERS = {
    "dewi": "operator", "rina": "operator", "fajar": "operator", "yusuf": "operator",
    "hendra": "supervisor", "wahyu": "admin", "ratna": "auditor",
    # The liaison officers of PLN and the water company (tanggap.demo.directory).
    "penghubung-pln": "liaison", "penghubung-ptmb": "liaison",
}
EXPECTED_CHANNELS = {
    ("x", "demo-PemkotBPN", True),
    ("facebook", "demo-pemerintah-kota-balikpapan", True),
    ("instagram", "demo-pemkotbpn", True),
    ("web", "demo-web", False),
    ("whatsapp", "demo-628115550100", True),
}


def demo_setup(*args) -> str:
    out = StringIO()
    call_command("demo_setup", *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {
        "workspaces": Workspace.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "channels": ChannelAccount.objects.count(),
        "cases": Case.objects.count(),
        "messages": Message.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.django_db
def test_creates_the_demo_desk():
    before = timezone.now()
    output = demo_setup()

    workspace = Workspace.objects.get()
    assert (workspace.slug, workspace.name) == (DEMO_SLUG, "Pemkot Balikpapan (demo)")
    members = {m.user.username: m.role for m in Membership.objects.select_related("user")}
    assert members == EXPECTED_MEMBERS
    assert all(m.user.check_password(DEMO_PASSWORD) for m in Membership.objects.all())
    channels = set(ChannelAccount.objects.values_list("platform", "handle", "simulated"))
    assert channels == EXPECTED_CHANNELS
    assert set(ChannelAccount.objects.values_list("workspace_id", flat=True)) == {workspace.pk}

    # The logins block a newcomer reads: every user, role and the password.
    logins = output.split("Demo logins", 1)[1]
    for username, role in EXPECTED_MEMBERS.items():
        assert f"{username:<10} {role:<11} {DEMO_PASSWORD}" in logins
    assert "created" in output.splitlines()[0]
    assert before <= workspace.created_at <= timezone.now()


@pytest.mark.django_db
def test_seeds_a_lived_in_inbox_through_the_actions():
    demo_setup()
    now = timezone.now()
    inbound = Message.objects.filter(direction=Direction.IN)
    outbound = Message.objects.filter(direction=Direction.OUT)
    assert inbound.count() == SEED_MESSAGES
    cases = Case.objects.all()
    assert 20 <= cases.count() <= SEED_MESSAGES
    statuses = set(cases.values_list("status", flat=True))
    assert {CaseStatus.BARU, CaseStatus.DIKLAIM, CaseStatus.DIJAWAB} <= statuses
    # Every write went through an action, so every one left its audit row.
    actions = AuditEvent.objects.filter(case__isnull=False).values_list("action", flat=True)
    assert list(actions).count("case.opened") == cases.count()
    assert list(actions).count("case.replied") == outbound.count() > 0
    assert list(actions).count("case.claimed") >= outbound.count()
    assert "case.kind_changed" in actions
    operators = {u for u, r in EXPECTED_MEMBERS.items() if r == "operator"}
    assert set(outbound.values_list("sent_by__username", flat=True)) <= operators
    # Nothing dated in the future, and only the channels of the demo.
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not AuditEvent.objects.filter(created_at__gt=now).exists()


@pytest.mark.django_db
def test_second_run_creates_nothing_and_says_so():
    demo_setup()
    first = counts()
    output = demo_setup()
    assert counts() == first
    assert 'balikpapan-demo "Pemkot Balikpapan (demo)": exists, left alone' in output
    assert f"Inbox: {first['cases']} cases already there, nothing seeded" in output
    assert "(unchanged)" in output and DEMO_PASSWORD not in output


@pytest.mark.django_db
def test_no_seed_leaves_the_inbox_empty_and_a_later_run_fills_it():
    demo_setup("--no-seed")
    assert Case.objects.count() == 0
    assert "Inbox: 0 cases already there, nothing seeded" in demo_setup("--no-seed")
    demo_setup()
    assert Message.objects.filter(direction=Direction.IN).count() == SEED_MESSAGES


@pytest.mark.django_db
def test_lives_beside_other_workspaces(desk):
    before = counts()
    demo_setup("--no-seed")
    after = counts()
    assert after["workspaces"] == before["workspaces"] + 1
    assert after["channels"] == before["channels"] + len(EXPECTED_CHANNELS)
    assert not Membership.objects.filter(workspace=desk.bpn, user__username="dewi").exists()


@pytest.mark.django_db
def test_refuses_a_taken_username_before_writing_anything():
    now = timezone.now()
    other = create_workspace(slug="dlh", name="DLH", now=now)
    add_member(workspace=other, username="dewi", role="operator", password="punya-dewi-asli",
               now=now)
    before = counts()
    with pytest.raises(CommandError, match="user 'dewi' already exists outside the demo"):
        demo_setup()
    assert counts() == before


@pytest.mark.django_db
def test_refuses_a_demo_handle_owned_by_another_workspace():
    now = timezone.now()
    other = create_workspace(slug="dlh", name="DLH", now=now)
    add_channel(workspace=other, platform="x", handle="demo-PemkotBPN", now=now, simulated=True)
    before = counts()
    with pytest.raises(CommandError, match="'demo-PemkotBPN' belongs to another workspace"):
        demo_setup()
    assert counts() == before
