"""The language engine inside the desk: triage on arrival, corrections kept, tone at send time."""

import pytest
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, correct_triage, send_reply
from tanggap.cases.models import Case, Message, TriageLabel
from tanggap.errors import InvalidInput, ToneBlocked, ToneNeedsConfirmation
from tanggap.language import check_tone

PLN = "Listrik di Gunung Sari mati terus sejak kemarin, tolong min"


def test_inbound_is_triaged_on_arrival(desk):
    result = desk.inbound(text=PLN)
    message = Message.objects.get(pk=result.message.pk)
    assert (message.triage["topic"], message.triage["intent"], message.triage["kasar"]) == (
        "listrik", "aduan", False)
    assert message.triage["reasons"]
    case = Case.objects.get(pk=result.case.pk)
    assert (case.topic, case.intent, case.kind, case.kasar) == ("listrik", "aduan", "aduan", False)


def test_insulting_complaint_is_still_a_complaint_and_kasar(desk):
    case = desk.inbound(text="Pemkot goblok, jalan di Sepinggan rusak parah gak diurus!").case
    assert (case.intent, case.kasar, case.topic) == ("aduan", True, "jalan")


def test_explicit_kind_wins_over_triage(desk):
    from tanggap.cases.actions import ingest_inbound

    case = ingest_inbound(channel=desk.web, external_id="k", author_id="w", author_name="W",
                          text=PLN, kind="pertanyaan", now=timezone.now()).case
    assert (case.kind, case.topic) == ("pertanyaan", "listrik")


def test_follow_up_does_not_overwrite_known_topic_but_marks_kasar(desk):
    first = desk.inbound(text=PLN, external_id="a").case
    desk.inbound(text="anjing lama bgt", external_id="b")
    case = Case.objects.get(pk=first.pk)
    assert (case.topic, case.kasar) == ("listrik", True)


def test_correction_is_kept_as_training_data_and_audited(desk):
    case = desk.inbound(text=PLN).case
    corrected = correct_triage(case_id=case.pk, actor=desk.ani.user, topic="penerangan_jalan",
                               now=timezone.now())
    assert (corrected.topic, corrected.intent, corrected.triage_confirmed) == (
        "penerangan_jalan", "aduan", True)
    label = TriageLabel.objects.get(case=case)
    assert (label.text, label.topic, label.predicted_topic, label.labeled_by_id) == (
        PLN, "penerangan_jalan", "listrik", desk.ani.user.pk)
    event = AuditEvent.objects.get(case=case, action="case.triage_corrected")
    assert event.before["topic"] == "listrik" and event.after["topic"] == "penerangan_jalan"
    # Once confirmed, later messages do not move the topic.
    desk.inbound(text="Air PDAM juga mati", external_id="later")
    assert Case.objects.get(pk=case.pk).topic == "penerangan_jalan"


def test_correction_rejects_unknown_labels(desk):
    case = desk.inbound(text=PLN).case
    with pytest.raises(InvalidInput):
        correct_triage(case_id=case.pk, actor=desk.ani.user, topic="parkir", now=timezone.now())
    assert TriageLabel.objects.count() == 0


def _held(desk):
    case = desk.inbound(text=PLN).case
    return claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())


def test_block_reply_is_refused_with_findings(desk):
    case = _held(desk)
    with pytest.raises(ToneBlocked) as refused:
        send_reply(case_id=case.pk, actor=desk.ani.user, text="BACA DULU INFO DI WEBSITE!!!",
                   idempotency_key="k", base_version=case.version, now=timezone.now())
    codes = {f["code"] for f in refused.value.extra["findings"]}
    assert "huruf_kapital" in codes
    assert Message.objects.filter(case=case, direction="out").count() == 0


def test_block_cannot_be_confirmed_away(desk):
    case = _held(desk)
    with pytest.raises(ToneBlocked):
        send_reply(case_id=case.pk, actor=desk.ani.user, text="Dasar goblok, baca dong",
                   idempotency_key="k", base_version=case.version, confirm_tone=True,
                   now=timezone.now())
    assert Message.objects.filter(case=case, direction="out").count() == 0


def test_warn_reply_needs_confirmation_which_is_audited(desk):
    case = _held(desk)
    text = "Itu bukan urusan kami, silakan lapor ke PLN ya."
    with pytest.raises(ToneNeedsConfirmation):
        send_reply(case_id=case.pk, actor=desk.ani.user, text=text, idempotency_key="k",
                   base_version=case.version, now=timezone.now())
    sent = send_reply(case_id=case.pk, actor=desk.ani.user, text=text, idempotency_key="k",
                      base_version=case.version, confirm_tone=True, now=timezone.now())
    assert sent.created is True
    event = AuditEvent.objects.get(case=case, action="case.replied")
    assert (event.after["tone"], event.after["tone_confirmed"]) == ("warn", True)
    assert event.after["findings"] == sorted(
        {f.code for f in check_tone(text, inbound_kind="aduan").findings})


def test_polite_reply_naming_agencies_passes(desk):
    case = _held(desk)
    text = ("Selamat malam, Bapak. Mohon maaf atas ketidaknyamanannya. Gangguan listrik "
            "ditangani PLN; laporan Bapak sudah kami teruskan ke PLN UP3 Balikpapan dan DPUPR.")
    sent = send_reply(case_id=case.pk, actor=desk.ani.user, text=text, idempotency_key="k",
                      base_version=case.version, now=timezone.now())
    assert sent.message.triage == {"tone": "ok", "findings": []}


def test_case_keeps_the_reasons_behind_its_badges(desk):
    result = desk.inbound(text=PLN)
    case = Case.objects.get(pk=result.case.pk)
    assert case.triage_reasons == Message.objects.get(pk=result.message.pk).triage["reasons"]
    assert case.triage_reasons
    desk.ani.client.force_login(desk.ani.user)
    rows = desk.ani.client.get("/w/bpn/rows").content.decode()
    # Shown in the reader's language (cases.language.reason_label), the citizen's words as is.
    assert case.triage_reasons == ["topik:listrik", "intent:mati", "intent:tolong"]
    assert 'title="topik: listrik, maksud: mati, maksud: tolong"' in rows
