"""One citizen's data on request: `tanggap citizen export` writes everything held about them,
`tanggap citizen erase` leaves none of their personal text in any table of the database, and
both are audited with the admin who handled the request."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tanggap.approvals.actions import reject_reply
from tanggap.approvals.models import ReplyApproval
from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import add_note, claim_case, correct_triage, send_reply
from tanggap.cases.models import Case, Contact, Message, TriageModel
from tanggap.connectors.actions.webhooks import process_webhook_delivery, receive_webhook
from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.testing.fakes import FakeAPI, add_proven_channel, fixture_bytes
from tanggap.portal.tests.conftest import PNG_BYTES, form_data
from tanggap.privacy.tests.helpers import admin_of, tables_holding
from tanggap.referrals.actions import hand_over_conversation, refer_case
from tanggap.referrals.tests.conftest import make_directory
from tanggap.reports.models import Open311Request
from tanggap.reports.tests.test_open311 import EXAMPLE as OPEN311_EXAMPLE
from tanggap.roster.actions.assignment import hand_over
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token
from tanggap.workspaces.models import Membership

PHONE_ID = "106540352242922"
WA_ID = "6281234567890"
# Everything of Agus Salim's that the desk stores: his name, number, words, his message's id
# and the id of the reply sent to him (a WhatsApp id encodes the number), the reply that names
# him, the note about him.
AGUS = ["Agus Salim", WA_ID, "Air PDAM di Perumnas", "HBgNNjI4MTIzNDU2Nzg5", "wamid.OUT-AGUS-1",
        "Pak Agus, petugas PDAM", "Agus minta ditelepon sore"]
# Another citizen of the same desk, whom the erasure must not touch.
OTHER = ["Sumarni", "Jalan rusak di Gunung Samarinda"]


@pytest.fixture
def agus(desk):
    """Agus Salim wrote on WhatsApp (a signed webhook, stored raw and processed); an operator
    answered (delivered to the platform), noted and labelled it, and closed the case."""
    now = timezone.now()
    channel = add_proven_channel(workspace=desk.bpn, platform="whatsapp", handle=PHONE_ID,
                                 now=now, token="EAAG-wa-token")
    receipt = receive_webhook(source="meta", body=fixture_bytes("whatsapp", "text_message"),
                              now=now)
    process_webhook_delivery(delivery_id=receipt.delivery_id, now=now)
    case = Case.objects.get(channel=channel)
    # The recorded payload is from 2025: bring its time inside WhatsApp's 24-hour window.
    Message.objects.filter(case=case).update(platform_created_at=now)
    case = claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    reply = send_reply(case_id=case.pk, actor=desk.ani.user,
                       text="Pak Agus, petugas PDAM sudah kami hubungi.", idempotency_key="r1",
                       base_version=case.version, now=now).message
    api = FakeAPI().on("POST", f"/{PHONE_ID}/messages", {
        "messaging_product": "whatsapp", "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
        "messages": [{"id": "wamid.OUT-AGUS-1"}]})
    assert deliver_message_now(message_id=reply.pk, now=now, http=api.http()).status == "sent"
    add_note(case_id=case.pk, actor=desk.ani.user, text="Agus minta ditelepon sore", now=now)
    correct_triage(case_id=case.pk, actor=desk.ani.user, topic="air_bersih", now=now)
    from tanggap.cases.actions import set_case_status

    set_case_status(case_id=case.pk, actor=desk.ani.user, status="selesai", now=now)
    desk.inbound(text="Jalan rusak di Gunung Samarinda", external_id="s1", author_id="sumarni")
    Contact.objects.filter(external_id="sumarni").update(display_name="Sumarni")
    return Case.objects.get(pk=case.pk)


def _strings(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_strings, value)) if value else set()
    return {value} if isinstance(value, str) else set()


def _erase(*args, stdout=None):
    call_command("citizen", "erase", "bpn", *args, stdout=stdout or io.StringIO())


def test_after_erasure_no_personal_text_of_the_citizen_remains_in_any_table(desk, agus):
    adi = admin_of(desk.bpn)
    before = tables_holding(AGUS + OTHER)
    # The scan finds what it looks for: each of Agus's details sits in the tables expected.
    assert {"cases_contact", "connectors_outbound", "connectors_webhookdelivery"} <= before[WA_ID]
    assert "cases_message" in before["HBgNNjI4MTIzNDU2Nzg5"]
    assert "connectors_outbound" in before["Pak Agus, petugas PDAM"]
    assert "cases_note" in before["Agus minta ditelepon sore"]
    assert "cases_triagelabel" in before["Air PDAM di Perumnas"]
    assert before["Sumarni"] and before["Jalan rusak di Gunung Samarinda"]

    out = io.StringIO()
    _erase("--platform", "whatsapp", "--handle", WA_ID, "--by", "adi", "--confirm",
           "--reference", "PDP-2027-014", stdout=out)

    after = tables_holding(AGUS + OTHER)
    # The workspace's model learned word weights from his label: it is trained again without.
    model = TriageModel.objects.get(workspace=desk.bpn)
    assert (model.label_mark, model.queued_at is not None) == (0, True)
    assert {needle: tables for needle, tables in after.items() if needle in AGUS} == {
        needle: set() for needle in AGUS}
    assert after["Sumarni"] == before["Sumarni"]
    assert after["Jalan rusak di Gunung Samarinda"] == before["Jalan rusak di Gunung Samarinda"]
    assert out.getvalue().startswith(f"anonymised contact {agus.contact_id} (whatsapp) of "
                                     "workspace bpn: 1 cases (")
    # What reports count is still there.
    case = Case.objects.get(pk=agus.pk)
    assert (case.status, case.topic, case.channel.platform, case.messages.count()) == (
        "selesai", "air_bersih", "whatsapp", 2)
    [erased] = AuditEvent.objects.filter(action="privacy.citizen_erased")
    assert (erased.actor_id, erased.object_type, erased.object_id) == (
        adi.pk, "contact", str(agus.contact_id))
    assert erased.after["reference"] == "PDP-2027-014" and erased.after["cases"] == 1
    assert erased.after["counts"]["connectors.raw_webhooks"] == 1
    assert erased.after["counts"]["connectors.sends"] == 1
    assert list(AuditEvent.objects.filter(action="privacy.case_anonymised")
                .values_list("case_id", "actor_id", "after")) == [
        (agus.pk, adi.pk, {"reason": "erasure"})]


def test_open_cases_are_refused_unless_included(desk, agus):
    admin_of(desk.bpn)
    desk.inbound(text="Air mati lagi", external_id="again", author_id=WA_ID,
                 channel=agus.channel)
    open_case = Case.objects.exclude(pk=agus.pk).get(channel=agus.channel)
    texts = sorted(Message.objects.values_list("text", flat=True))
    with pytest.raises(CommandError, match=f"open cases \\({open_case.tracking_number}\\)"):
        _erase("--platform", "whatsapp", "--handle", WA_ID, "--by", "adi", "--confirm")
    assert sorted(Message.objects.values_list("text", flat=True)) == texts
    assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()
    _erase("--platform", "whatsapp", "--handle", WA_ID, "--by", "adi", "--confirm",
           "--include-open")
    assert tables_holding(["Air mati lagi", WA_ID]) == {"Air mati lagi": set(), WA_ID: set()}
    assert Case.objects.get(pk=open_case.pk).status == "baru"


def test_without_confirm_it_only_says_what_would_go(desk, agus):
    admin_of(desk.bpn)
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was erased: run again with --confirm"):
        _erase("--case", agus.tracking_number, "--by", "adi", stdout=out)
    assert out.getvalue() == (f"would anonymise contact {agus.contact_id} (whatsapp) of "
                              "workspace bpn: 1 cases\n")
    assert all(tables for tables in tables_holding(AGUS).values())


@pytest.mark.parametrize(("who", "message"), [
    (["--by", "ani"], "ani is not an active admin of workspace bpn"),
    (["--by", "audi"], "audi is not an active admin"),
    (["--by", "luar"], "luar is not an active admin"),
    (["--by", "adi", "--contact", "999999"], "no such citizen in workspace bpn"),
    (["--by", "adi", "--platform", "whatsapp"], "name the citizen by one of"),
    (["--by", "adi", "--contact", "1", "--case", "TG-X"], "name the citizen by one of"),
])
def test_refusals_change_nothing(desk, agus, who, message):
    admin_of(desk.bpn)
    if "--contact" not in who and "--case" not in who and "--platform" not in who:
        who = [*who, "--handle", WA_ID, "--platform", "whatsapp"]
    with pytest.raises(CommandError, match=message):
        _erase(*who, "--confirm")
    assert all(tables for tables in tables_holding(AGUS).values())


def test_a_citizen_of_another_workspace_is_not_found(desk, agus):
    admin_of(desk.bpn)
    outsider = desk.inbound(text="Sampah", external_id="d1", author_id="dlh-warga",
                            channel=desk.dlh_web).case
    with pytest.raises(CommandError, match="no such citizen in workspace bpn"):
        _erase("--contact", str(outsider.contact_id), "--by", "adi", "--confirm")
    with pytest.raises(CommandError, match="no such citizen in workspace bpn"):
        _erase("--case", outsider.tracking_number, "--by", "adi", "--confirm")
    assert Message.objects.get(case=outsider).text == "Sampah"


def test_an_export_holds_everything_about_the_citizen_and_is_audited(desk, settings, tmp_path):
    settings.TANGGAP_UPLOAD_DIR = str(tmp_path / "uploads")
    adi = admin_of(desk.bpn)
    sent = Client().post("/lapor/bpn/", {
        **form_data(text="Pohon tumbang di depan rumah saya", name="Rina Wulandari",
                    contact="0812 3456 7891", address="Jl. Kenanga 3", latitude="-1.2650",
                    longitude="116.8310"),
        "photo": SimpleUploadedFile("pohon.png", PNG_BYTES)})
    assert sent.status_code == 200
    case = Case.objects.get(contact__display_name="Rina Wulandari")
    now = timezone.now()
    case = claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    send_reply(case_id=case.pk, actor=desk.ani.user, text="Petugas menuju lokasi.",
               idempotency_key="r-rina", base_version=case.version, now=now)
    add_note(case_id=case.pk, actor=desk.ani.user, text="Rina minta kabar", now=now)
    desk.inbound(text="Urusan orang lain", external_id="o1", author_id="orang-lain")

    call_command("citizen", "export", "bpn", "--case", case.tracking_number, "--by", "adi",
                 "--output", str(tmp_path / "rina.json"), "--photos", str(tmp_path / "rina.zip"),
                 "--reference", "PDP-7", stderr=io.StringIO())

    data = json.loads((tmp_path / "rina.json").read_text())
    assert data["format"] == "tanggap-citizen-export"
    assert data["workspace"] == {"slug": "bpn", "name": "Pemkot Balikpapan"}
    assert data["citizen"]["name"] == "Rina Wulandari"
    [exported] = data["cases"]
    assert exported["tracking_number"] == case.tracking_number
    assert [(m["from"], m["author"], m["text"]) for m in exported["messages"]] == [
        ("citizen", "Rina Wulandari", "Pohon tumbang di depan rumah saya"),
        ("desk", "desk", "Petugas menuju lokasi.")]
    photo = exported["messages"][0]["attachments"][0]
    assert photo["name"] == "pohon.png" and photo["file"].startswith(
        f"photos/{case.tracking_number}/")
    assert [n["text"] for n in exported["internal_notes"]] == ["Rina minta kabar"]
    [form] = exported["portal"]["form"]
    assert (form["contact_typed"], form["address"], form["latitude"], form["longitude"]) == (
        "+6281234567891", "Jl. Kenanga 3", "-1.265000", "116.831000")
    text = (tmp_path / "rina.json").read_text()
    assert "Urusan orang lain" not in text
    assert "ani" not in _strings(data)  # staff appear as "desk"
    with zipfile.ZipFile(tmp_path / "rina.zip") as archive:
        assert archive.namelist() == [photo["file"]]
        assert len(archive.read(photo["file"])) == photo["size"]
    [event] = AuditEvent.objects.filter(action="privacy.citizen_exported")
    assert (event.actor_id, event.object_id, event.after) == (
        adi.pk, str(case.contact_id),
        {"contact_id": case.contact_id, "cases": 1, "files": 1, "reference": "PDP-7"})
    with pytest.raises(CommandError, match="exists; an export never overwrites a file"):
        call_command("citizen", "export", "bpn", "--case", case.tracking_number, "--by", "adi",
                     "--output", str(tmp_path / "rina.json"))
    assert AuditEvent.objects.filter(action="privacy.citizen_exported").count() == 1


def test_an_erasure_waits_until_a_reply_has_left(desk, agus):
    # The delivery reads the reply's words and the send record's recipient, and reconciliation
    # looks for the earlier post by them: an erasure in between would break the one-answer rule.
    admin_of(desk.bpn)
    now = timezone.now()
    again = desk.inbound(text="Air mati lagi", external_id="again", author_id=WA_ID,
                         channel=agus.channel).case
    Message.objects.filter(case=again).update(platform_created_at=now)
    again = claim_case(case_id=again.pk, actor=desk.ani.user, now=now)
    reply = send_reply(case_id=again.pk, actor=desk.ani.user, text="Pak Agus, kami cek lagi.",
                       idempotency_key="r2", base_version=again.version, now=now).message
    rows = list(Message.objects.order_by("pk").values())
    with pytest.raises(CommandError) as refused:
        _erase("--platform", "whatsapp", "--handle", WA_ID, "--by", "adi", "--confirm",
               "--include-open")
    assert str(refused.value) == (
        f"not yet ({again.tracking_number}: a reply is still being delivered to the platform): "
        "erase once that is settled (the case page shows it)")
    assert list(Message.objects.order_by("pk").values()) == rows
    assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()
    api = FakeAPI().on("POST", f"/{PHONE_ID}/messages", {
        "messaging_product": "whatsapp", "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
        "messages": [{"id": "wamid.OUT-AGUS-2"}]})
    assert deliver_message_now(message_id=reply.pk, now=now, http=api.http()).status == "sent"
    assert api.bodies("POST", f"/{PHONE_ID}/messages")[-1]["text"]["body"] == (
        "Pak Agus, kami cek lagi.")
    _erase("--platform", "whatsapp", "--handle", WA_ID, "--by", "adi", "--confirm",
           "--include-open")
    assert tables_holding(["Pak Agus, kami cek lagi", "wamid.OUT-AGUS-2"]) == {
        "Pak Agus, kami cek lagi": set(), "wamid.OUT-AGUS-2": set()}


# Budi Santoso's details, as the rooms above the desk keep them: the words of his report (also in
# the case a body's own desk received), the desk's note to the body, the hand-over note, a reply
# held for approval and the supervisor's note on it.
BUDI = ["Budi Santoso", "Gunung Pasir", "petugas datang pagi", "menelepon lagi",
        "nomor rumah 17"]


def test_an_erasure_reaches_referrals_hand_overs_and_held_replies(desk):
    admin_of(desk.bpn)
    now = timezone.now()
    directory = make_directory(desk)
    case = desk.inbound(text="Sampah menumpuk di Gunung Pasir, kata Budi Santoso",
                        external_id="b1", author_id="budi-santoso").case
    ani = Membership.objects.get(workspace=desk.bpn, user=desk.ani.user)
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    referred = refer_case(case_id=case.pk, body_id=directory.dlh.pk, actor=desk.ani.user,
                          membership=ani, note="Pak Budi Santoso minta petugas datang pagi",
                          now=now).referral
    linked = referred.linked_case
    assert linked.workspace == desk.dlh
    hand_over(case_id=case.pk, actor=desk.ani.user, membership=ani, to_username="budi",
              note="Budi Santoso menelepon lagi", now=now)
    call_command("workspace", "set", "bpn", "--approve-warn", "on", stdout=io.StringIO())
    case = claim_case(case_id=case.pk, actor=desk.budi.user, now=now)
    held = desk.budi.post(f"/api/v1/cases/{case.pk}/replies", {
        "text": "Pak Budi Santoso, laporan nomor rumah 17 SUDAH kami teruskan.",
        "idempotency_key": "k-budi", "base_version": case.version, "confirm_tone": True})
    assert held.status_code == 202, held.content
    approval = ReplyApproval.objects.get(case=case)
    # The conversation handed over to DLH's desk, with a note that quotes the citizen.
    hand_over_conversation(
        case_id=case.pk, actor=desk.sari.user, now=now,
        membership=Membership.objects.get(workspace=desk.bpn, user=desk.sari.user),
        note="Pak Budi Santoso minta DLH yang menjawab",
        base_version=Case.objects.get(pk=case.pk).version)
    before = tables_holding(BUDI)
    assert {"referrals_referral", "roster_offer", "alerts_notification",
            "approvals_replyapproval"} <= set().union(*before.values())
    assert Message.objects.filter(case=linked, text__contains="Budi Santoso").exists()

    # A reply waiting for a supervisor would be sent with the anonymised words: not yet.
    with pytest.raises(CommandError) as refused:
        _erase("--case", case.tracking_number, "--by", "adi", "--confirm", "--include-open")
    assert str(refused.value) == (
        f"not yet ({case.tracking_number}: a reply waits for a supervisor's approval): erase "
        "once that is settled (the case page shows it)")
    assert tables_holding(BUDI) == before
    reject_reply(approval_id=approval.pk, actor=desk.sari.user, now=now,
                 membership=Membership.objects.get(workspace=desk.bpn, user=desk.sari.user),
                 note="Jangan tulis nomor rumah 17")

    out = io.StringIO()
    _erase("--case", case.tracking_number, "--by", "adi", "--confirm", "--include-open",
           stdout=out)
    assert tables_holding(BUDI) == {needle: set() for needle in BUDI}
    assert "referrals.linked_cases 1" in out.getvalue()
    # What the trails and reports count stays: the referral, its status, the hand-over.
    referred.refresh_from_db()
    assert (referred.status, referred.body_id, referred.linked_case_id) == (
        "terkirim", directory.dlh.pk, linked.pk)
    assert sorted(AuditEvent.objects.filter(action="privacy.case_anonymised")
                  .values_list("workspace_id", "case_id", "after")) == [
        (desk.bpn.pk, case.pk, {"reason": "erasure"}),
        (desk.dlh.pk, linked.pk, {"reason": "referring_case_anonymised"})]


def test_an_erasure_reaches_what_an_open311_client_sent(desk):
    admin_of(desk.bpn)
    token = create_token(user=add_member(workspace=desk.bpn, username="portal-kota",
                                         role="integration", password="",
                                         now=timezone.now()).user, now=timezone.now())
    sent = {**OPEN311_EXAMPLE, "api_key": token}
    [body] = Client().post("/open311/v2/requests.json", sent).json()
    case = Case.objects.get(pk=body["service_request_id"])
    details = ["smit333@example.org", "tt222111", "Jl. Jenderal Sudirman No. 12", "COISL001",
               "2212426634_5ed477a060", "A large sinkhole is destroying", "john smith"]
    assert all(tables_holding(details).values())
    exported = io.StringIO()
    call_command("citizen", "export", "bpn", "--case", case.tracking_number, "--by", "adi",
                 stdout=exported)
    [request] = [c["reports"]["open311"] for c in json.loads(exported.getvalue())["cases"]]
    assert (request["email"], request["phone"], request["latitude"]) == (
        "smit333@example.org", "111111111", "-1.265386")
    _erase("--case", case.tracking_number, "--by", "adi", "--confirm", "--include-open")
    assert tables_holding(details) == {detail: set() for detail in details}
    assert Open311Request.objects.get(case=case).service_code == "jalan"
