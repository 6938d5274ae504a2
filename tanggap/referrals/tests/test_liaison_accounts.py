"""A body's liaison officers' accounts, from the directory page and `tanggap body liaison`:
supervisors and admins add and remove them (audited), nobody else; a desk member never becomes
one; an officer who answers for no body any more leaves the workspace."""

from __future__ import annotations

import html
import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from tanggap.audit.models import AuditEvent
from tanggap.referrals.models import Referral
from tanggap.workspaces.models import Membership

User = get_user_model()


def _client(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def _add(client, body, **fields):
    return client.post(f"/w/bpn/bodies/{body.pk}/liaisons/add", fields)


def _state(body):
    return (sorted(body.liaisons.values_list("username", flat=True)),
            sorted(Membership.objects.values_list("user__username", "workspace__slug", "role")),
            User.objects.count(), AuditEvent.objects.count())


def test_a_supervisor_adds_a_liaison_officer_who_then_answers_only_their_bodys_referrals(
        desk, directory):
    sari = _client(desk.sari)
    response = _add(sari, directory.pln, username="rina", full_name="Rina Wulandari",
                    password="kata-sandi-rina-pln")
    assert response.status_code == 302
    rina = User.objects.get(username="rina")
    assert list(directory.pln.liaisons.all()) == [rina]
    assert Membership.objects.get(user=rina).role == "liaison"
    assert list(AuditEvent.objects.filter(actor=desk.sari.user).order_by("id")
                .values_list("action", "after__username")) == [
        ("member.added", "rina"), ("body.liaison_added", "rina")]
    page = sari.get("/w/bpn/bodies/").content.decode()
    assert 'data-username="rina"' in page and "Rina Wulandari" in page
    # Rina logs in: the PLN referral is hers to answer, the desk is closed to her.
    case = desk.inbound(text="Listrik padam di Jl. Sudirman").case
    desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    referral = Referral.objects.get(pk=desk.ani.post(
        f"/api/v1/cases/{case.pk}/referrals", {"body_id": directory.pln.pk}).json()["id"])
    assert rina.check_password("kata-sandi-rina-pln")
    officer = Client()
    officer.force_login(rina)
    home = officer.get("/")
    assert (home.status_code, home["Location"]) == (302, "/penghubung/")
    assert f"/penghubung/rujukan/{referral.pk}/" in officer.get("/penghubung/").content.decode()
    assert officer.get("/w/bpn/").status_code == 404
    assert officer.get("/w/bpn/bodies/").status_code == 404


@pytest.mark.parametrize(("who", "status"), [("ani", 403), ("audi", 403), ("luar", 404)])
def test_only_those_who_edit_the_directory_manage_liaison_accounts(desk, directory, who, status):
    add_member_of_record = _add(_client(desk.sari), directory.pln, username="rina",
                                password="kata-sandi-rina-pln")
    assert add_member_of_record.status_code == 302
    before = _state(directory.pln)
    client = _client(getattr(desk, who))
    assert _add(client, directory.pln, username="joko",
                password="kata-sandi-joko-pln").status_code == status
    assert client.post(f"/w/bpn/bodies/{directory.pln.pk}/liaisons/rina/remove").status_code \
        == status
    assert _state(directory.pln) == before


def test_refusals_say_why_and_change_nothing(desk, directory):
    sari = _client(desk.sari)
    sari.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    before = _state(directory.pln)
    for fields, reason in (
        ({"username": "budi"}, "budi is a member of this desk (Operator); a liaison officer "
                               "needs an account of their own."),
        ({"username": "rina", "password": "rina"}, "This password is too short."),
        ({"username": "rina"}, "A new user needs a password."),
        ({"username": "luar", "password": "kata-sandi-baru-luar"}, "User luar exists; their "
                                                                    "password is not changed"),
    ):
        page = _add(sari, directory.pln, **fields)
        assert page.status_code == 302
        flash = sari.get("/w/bpn/bodies/").content.decode()
        assert reason in html.unescape(flash), fields
        assert _state(directory.pln) == before, fields
    assert Membership.objects.get(user=desk.budi.user).role == "operator"
    # A body of another workspace, or none: 404.
    assert _add(sari, directory.dlh_bodies, username="rina",
                password="kata-sandi-rina-pln").status_code == 404
    assert sari.post(f"/w/bpn/bodies/{directory.pln.pk}/liaisons/nobody/remove").status_code \
        == 404


def test_an_officer_of_two_bodies_stays_until_the_last_is_removed(desk, directory):
    sari = _client(desk.sari)
    _add(sari, directory.pln, username="rina", password="kata-sandi-rina-pln")
    # The same account, linked to a second body: no password asked again.
    _add(sari, directory.pdam, username="rina")
    rina = User.objects.get(username="rina")
    assert list(rina.memberships.values_list("workspace__slug", "role")) == [("bpn", "liaison")]
    sari.post(f"/w/bpn/bodies/{directory.pln.pk}/liaisons/rina/remove")
    assert Membership.objects.filter(user=rina).exists()
    sari.post(f"/w/bpn/bodies/{directory.pdam.pk}/liaisons/rina/remove")
    assert not Membership.objects.filter(user=rina).exists()
    assert list(AuditEvent.objects.filter(action__in=("body.liaison_removed", "member.removed"))
                .order_by("id").values_list("action", flat=True)) == [
        "body.liaison_removed", "body.liaison_removed", "member.removed"]
    # An officer of another desk's body (dlh's own operator) answers for bpn's DLH entry too.
    _add(sari, directory.dlh, username="luar")
    assert sorted(desk.luar.user.memberships.values_list("workspace__slug", "role")) == [
        ("bpn", "liaison"), ("dlh", "operator")]


def test_the_command_adds_lists_and_removes(desk, directory, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-joko-pdam\n"))
    call_command("body", "liaison", "add", "bpn", str(directory.pdam.pk), "joko",
                 "--name", "Joko Santoso", "--password-stdin", stdout=out)
    call_command("body", "liaison", "list", "bpn", str(directory.pdam.pk), stdout=out)
    call_command("body", "liaison", "remove", "bpn", str(directory.pdam.pk), "joko", stdout=out)
    assert out.getvalue().splitlines() == [
        "joko answers the referrals of Perumda Tirta Manuntung Balikpapan",
        "joko\tJoko Santoso",
        "joko no longer answers for Perumda Tirta Manuntung Balikpapan; removed from bpn"]
    assert AuditEvent.objects.filter(action="body.liaison_added", actor=None).count() == 1
    with pytest.raises(CommandError, match="no body"):
        call_command("body", "liaison", "list", "bpn", str(directory.dlh_bodies.pk))
    with pytest.raises(CommandError, match="adalah anggota meja layanan ini"):
        call_command("body", "liaison", "add", "bpn", str(directory.pdam.pk), "ani")
