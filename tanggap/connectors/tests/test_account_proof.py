"""No platform account is connected without proof of control (issue 7, finding 1): the platform
is asked, through the one HTTP client, which account the pasted token controls. A refusal reads
the same whether or not the account is connected elsewhere; a second workspace learns that it is
only after proving control too; an account connected before proofs existed goes to the one that
proves it. Real HTTP to the fake platform server on 127.0.0.1."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Message
from tanggap.connectors.actions.channels import add_channel, replace_channel_token
from tanggap.connectors.actions.webhooks import process_webhook_delivery, receive_webhook
from tanggap.connectors.crypto import decrypt_secret
from tanggap.connectors.models import ChannelAccount
from tanggap.connectors.testing.fakes import fixture_bytes, legacy_channel
from tanggap.errors import Conflict, InvalidInput
from tanggap.workspaces.actions.members import add_member

PAGE = "104512345678901"  # the Page of fixture feed_comment.json
IG = "17841400000000001"
PHONE = "106540352242922"
X_ID = "1500000000000000000"


@pytest.fixture
def accounts(fake_platform):
    fake_platform.grant("page-token-bpn", "facebook", PAGE, name="Pemkot Balikpapan")
    fake_platform.grant("page-token-dlh", "facebook", "209000000000001", name="DLH")
    # Another person with a role on the city's Page: a token that controls it too.
    fake_platform.grant("page-token-bpn-2", "facebook", PAGE, name="Pemkot Balikpapan")
    fake_platform.grant("ig-page-token", "instagram", IG, name="pemkotbpn")
    fake_platform.grant("ig-login-token", "instagram", IG, name="pemkotbpn",
                        instagram_login=True)
    fake_platform.grant("wa-token", "whatsapp", PHONE, name="Pemkot Balikpapan",
                        waba_id="102290129340398")
    fake_platform.grant("x-token", "x", X_ID, name="PemkotBPN")
    return fake_platform


def _everything():
    return (list(ChannelAccount.objects.order_by("pk").values_list(
        "workspace_id", "platform", "handle", "account_id", "credentials_encrypted",
        "is_active")), AuditEvent.objects.count())


def _refusal(workspace, platform, handle, token, now=None):
    before = _everything()
    with pytest.raises(InvalidInput) as refused:
        add_channel(workspace=workspace, platform=platform, handle=handle, token=token,
                    now=now or timezone.now())
    assert _everything() == before  # nothing stored, nothing audited
    return str(refused.value.message)


def test_a_workspace_cannot_take_another_citys_page_without_its_token(desk, accounts):
    # DLH's admin types the city's public Page id with DLH's own Page token.
    expected = ("Facebook tidak mengonfirmasi bahwa token ini mengendalikan akun "
                f"{PAGE} (the token is not a Page access token of this Page). Tidak ada yang "
                "disimpan.")
    assert _refusal(desk.dlh, "facebook", PAGE, "page-token-dlh") == expected
    # The city connects its Page with its own token.
    channel = add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE,
                          token="page-token-bpn", now=timezone.now())
    assert (channel.account_id, channel.name, decrypt_secret(channel.credentials_encrypted)) == (
        PAGE, "Pemkot Balikpapan", "page-token-bpn")
    assert channel.verified_at is not None
    # The same attempt now reads exactly as before: it tells nothing about the city's channel.
    assert _refusal(desk.dlh, "facebook", PAGE, "page-token-dlh") == expected
    # An unknown token, a missing one: refused the same way whether the id is connected or not.
    for handle in (PAGE, "999000000000001"):
        assert _refusal(desk.dlh, "facebook", handle, "made-up").startswith(
            f"Facebook tidak mengonfirmasi bahwa token ini mengendalikan akun {handle} (HTTP "
            "400 code 190: Invalid OAuth access token")
        assert _refusal(desk.dlh, "facebook", handle, "") == (
            "Tempelkan token akses akun: Facebook harus mengonfirmasi bahwa token itu "
            "mengendalikan akun ini sebelum dihubungkan.")


def test_only_a_proven_second_workspace_learns_the_account_is_taken(desk, accounts):
    add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, token="page-token-bpn",
                now=timezone.now())
    before = _everything()
    with pytest.raises(Conflict) as taken:
        add_channel(workspace=desk.dlh, platform="facebook", handle=PAGE,
                    token="page-token-bpn-2", now=timezone.now())
    assert str(taken.value.message).startswith(
        "Akun ini sudah terhubung ke ruang kerja lain di desk ini")
    assert _everything() == before
    with pytest.raises(Conflict) as here:
        add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE,
                    token="page-token-bpn-2", now=timezone.now())
    assert str(here.value.message) == (
        f"Akun ini sudah terhubung di ruang kerja ini (kanal {PAGE}).")


def test_each_platform_proves_with_its_own_call(desk, accounts):
    now = timezone.now()
    ig = add_channel(workspace=desk.bpn, platform="instagram", handle=IG, token="ig-page-token",
                     now=now)
    assert (ig.account_id, ig.name, ig.options) == (IG, "@pemkotbpn", {})
    wa = add_channel(workspace=desk.bpn, platform="whatsapp", handle=PHONE, token="wa-token",
                     now=now)
    assert (wa.account_id, wa.name) == (PHONE, "Pemkot Balikpapan")
    # X: the handle typed (with @, any case) must be the token's username; the id is stored.
    x = add_channel(workspace=desk.dlh, platform="x", handle="@pemkotbpn", token="x-token",
                    now=now)
    assert (x.handle, x.account_id, x.name, x.options) == (
        "PemkotBPN", X_ID, "@PemkotBPN", {"x_user_id": X_ID})
    assert _refusal(desk.bpn, "x", "KotaLain", "x-token") == (
        "X tidak mengonfirmasi bahwa token ini mengendalikan akun KotaLain (the token belongs "
        "to another X account). Tidak ada yang disimpan.")


def test_an_instagram_login_token_is_recognised_and_its_kind_saved(desk, accounts):
    channel = add_channel(workspace=desk.bpn, platform="instagram", handle=IG,
                          token="ig-login-token", now=timezone.now())
    assert (channel.account_id, channel.options) == (IG, {"api": "instagram"})


def test_a_whatsapp_token_must_be_allowed_to_send_for_the_number(desk, accounts):
    # Reads the number, but may send messages only for a business account without it.
    accounts.grant("wa-other-waba", "whatsapp", PHONE, waba_id="999",
                   waba_numbers=("106540350000000",))
    assert _refusal(desk.bpn, "whatsapp", PHONE, "wa-other-waba") == (
        f"WhatsApp tidak mengonfirmasi bahwa token ini mengendalikan akun {PHONE} (the token may "
        "not send WhatsApp messages (whatsapp_business_messaging) for the business account of "
        "this phone number). Tidak ada yang disimpan.")
    # A token without access to the number's business account cannot even read it.
    assert _refusal(desk.bpn, "whatsapp", PHONE, "page-token-bpn").startswith(
        f"WhatsApp tidak mengonfirmasi bahwa token ini mengendalikan akun {PHONE} (HTTP 400 "
        "code 100: Unsupported get request")


def test_a_platform_that_cannot_answer_saves_nothing(desk, accounts):
    accounts.fail_get("/me", status=503)
    assert _refusal(desk.bpn, "facebook", PAGE, "page-token-bpn") == (
        "Facebook tidak dapat ditanya untuk mengonfirmasi token (HTTP 503 code 1: injected). "
        "Tidak ada yang disimpan; coba lagi.")


def test_a_new_token_must_control_the_same_account(desk, accounts):
    now = timezone.now()
    channel = add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE,
                          token="page-token-bpn", now=now)
    adi = add_member(workspace=desk.bpn, username="adi", role="admin",
                     password="kata-sandi-uji", now=now).user
    before = _everything()
    with pytest.raises(InvalidInput):
        replace_channel_token(channel_id=channel.pk, actor=adi, token="page-token-dlh", now=now)
    assert _everything() == before
    replace_channel_token(channel_id=channel.pk, actor=adi, token="page-token-bpn-2", now=now)
    channel.refresh_from_db()
    assert decrypt_secret(channel.credentials_encrypted) == "page-token-bpn-2"


def _webhook_case_channel():
    receipt = receive_webhook(source="meta", body=fixture_bytes("facebook", "feed_comment"),
                              now=timezone.now())
    process_webhook_delivery(delivery_id=receipt.delivery_id, now=timezone.now())
    return Message.objects.get().channel


def test_an_unverified_holder_yields_to_the_workspace_that_proves_control(desk, accounts):
    now = timezone.now()
    # DLH connected the city's Page id before proofs existed (no token proved anything).
    squatter = legacy_channel(workspace=desk.dlh, platform="facebook", handle=PAGE, now=now,
                              token="whatever")
    # The city proves control: the Page is its, and the squatter's channel is released.
    city = add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE,
                       token="page-token-bpn", now=now)
    squatter.refresh_from_db()
    assert (squatter.is_active, squatter.account_id) == (False, "")
    released = AuditEvent.objects.get(action="channel.released")
    assert (released.workspace_id, released.object_id, released.before) == (
        desk.dlh.pk, str(squatter.pk), {"account_id": PAGE, "is_active": True})
    added = AuditEvent.objects.get(action="channel.added", object_id=str(city.pk))
    assert added.after["released_unverified_channel"] == squatter.pk
    # The city's citizens' comments now reach the city.
    assert _webhook_case_channel() == city


def test_webhooks_reach_only_the_proven_channel_never_a_demo_one(desk, accounts):
    now = timezone.now()
    demo = add_channel(workspace=desk.dlh, platform="facebook", handle=PAGE, now=now,
                       simulated=True)
    city = add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE,
                       token="page-token-bpn", now=now)
    assert _webhook_case_channel() == city
    assert demo.account_id == ""
    # Once a real channel holds the id, a demo channel may not take it.
    with pytest.raises(Conflict):
        add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now,
                    simulated=True)


def _cli(stdin, *args):
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        call_command("channel", "add", *args, stdout=out)
    return out.getvalue()


def test_the_cli_goes_through_the_proof(desk, accounts):
    with pytest.raises(CommandError) as refused:
        _cli("", "bpn", "--platform", "facebook", "--handle", PAGE)
    assert str(refused.value).startswith("Tempelkan token akses akun: Facebook harus")
    with pytest.raises(CommandError) as refused:
        _cli("page-token-dlh\n", "bpn", "--platform", "facebook", "--handle", PAGE,
             "--token-stdin")
    assert str(refused.value).startswith("Facebook tidak mengonfirmasi")
    assert not ChannelAccount.objects.filter(platform="facebook").exists()
    out = _cli("page-token-bpn\n", "bpn", "--platform", "facebook", "--handle", PAGE,
               "--token-stdin")
    channel = ChannelAccount.objects.get(platform="facebook")
    assert out == f"added facebook channel {PAGE} {channel.pk}\n"
    # A demo channel proves nothing (and never gets a platform's webhooks).
    out = _cli("", "dlh", "--platform", "x", "--handle", "demo-kota", "--simulated")
    assert ChannelAccount.objects.get(handle="demo-kota").account_id == ""


def test_the_admin_page_goes_through_the_proof(desk, accounts):
    admin = add_member(workspace=desk.dlh, username="dina", role="admin",
                       password="kata-sandi-uji", now=timezone.now()).user
    client = Client()
    client.force_login(admin)
    before = _everything()
    response = client.post("/w/dlh/channels/add", {
        "platform": "facebook", "handle": PAGE, "token": "page-token-dlh"}, follow=True)
    assert (f"Facebook tidak mengonfirmasi bahwa token ini mengendalikan akun {PAGE}"
            in response.content.decode())
    assert _everything() == before
    client.post("/w/dlh/channels/add", {"platform": "facebook", "handle": "209000000000001",
                                        "token": "page-token-dlh"})
    channel = ChannelAccount.objects.get(workspace=desk.dlh, platform="facebook")
    assert (channel.account_id, channel.name) == ("209000000000001", "DLH")
    assert json.dumps(AuditEvent.objects.filter(action="channel.added").latest("id").after
                      ).find("page-token") == -1


def _badges(client, slug):
    page = client.get(f"/w/{slug}/channels/").content.decode()
    return [line.split("<code>")[1].split("</td>")[0] for line in page.splitlines()
            if "<code>" in line]


def test_the_channel_page_shows_whether_each_account_is_proven(desk, accounts):
    now = timezone.now()
    legacy_channel(workspace=desk.dlh, platform="facebook", handle=PAGE, now=now)
    # An X channel connected before proofs, whose user id was never looked up: no account id.
    legacy_channel(workspace=desk.dlh, platform="x", handle="DLHBalikpapan", now=now)
    clients = {}
    for slug, workspace, username in (("bpn", desk.bpn, "adi"), ("dlh", desk.dlh, "dina")):
        clients[slug] = Client()
        clients[slug].force_login(add_member(workspace=workspace, username=username,
                                             role="admin", password="kata-sandi-uji",
                                             now=now).user)
    unproven = '<span class="badge unverified">belum terbukti: simpan tokennya sekali lagi</span>'
    assert _badges(clients["dlh"], "dlh") == [
        f"{PAGE}</code> {unproven}", "dlh-web</code>", f"DLHBalikpapan</code> {unproven}"]
    add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, token="page-token-bpn",
                now=now)
    assert _badges(clients["bpn"], "bpn") == [
        f'{PAGE}</code> <span class="badge verified" title="Platform sudah mengonfirmasi bahwa '
        'token tersimpan mengendalikan akun ini.">terbukti</span>',
        "bpn-web</code>", "PemkotBPN</code>"]  # web and demo channels prove nothing
    assert _badges(clients["dlh"], "dlh") == [
        f'{PAGE}</code> <span class="badge unverified">dilepas: ruang kerja lain membuktikan '
        'kendali atas akun ini</span>', "dlh-web</code>", f"DLHBalikpapan</code> {unproven}"]


def test_the_database_itself_holds_one_account_in_one_channel(desk, accounts):
    # Whatever path writes a channel (a race between two proofs, a future command), the
    # database refuses a second channel of the same platform account, in any workspace.
    add_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, token="page-token-bpn",
                now=timezone.now())
    for workspace, handle in ((desk.dlh, PAGE), (desk.bpn, "another-name")):
        with pytest.raises(IntegrityError), transaction.atomic():
            ChannelAccount.objects.create(workspace=workspace, platform="facebook",
                                          handle=handle, account_id=PAGE,
                                          created_at=timezone.now())
    assert list(ChannelAccount.objects.filter(account_id=PAGE).values_list(
        "workspace_id", flat=True)) == [desk.bpn.pk]
