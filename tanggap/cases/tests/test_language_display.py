"""The language engine's reasons in the reader's language: the citizen's own words stay as they
were written, the engine's phrases and the kinds are translated, confidences become percents."""

from __future__ import annotations

import pytest
from django.utils import translation

from tanggap.cases.language import reason_label


@pytest.mark.parametrize(("reason", "english", "indonesian"), [
    ("topik:lampu pju", "topic: lampu pju", "topik: lampu pju"),
    ("intent:tanda tanya", "intent: a question mark", "maksud: tanda tanya"),
    ("intent:laporan tanpa isyarat", "intent: a report without other signs",
     "maksud: laporan tanpa isyarat"),
    ("kasar:goblok", "abusive: goblok", "kasar: goblok"),
    ("topik:perlu dicek 0.45", "unsure (45%)", "perlu dicek (45%)"),
    ("model:topik listrik 0.83", "the desk's model: Electricity (83%)",
     "model meja layanan: Listrik (83%)"),
    ("model:kasar 0.91", "the desk's model: abusive (91%)", "model meja layanan: kasar (91%)"),
    ("model:padam", "the desk's model: padam", "model meja layanan: padam"),
    ("something new", "something new", "something new"),
])
def test_reasons_read_in_the_readers_language(reason, english, indonesian):
    with translation.override("en"):
        assert reason_label(reason) == english
    with translation.override("id"):
        assert reason_label(reason) == indonesian


def test_the_case_page_shows_the_reasons_translated(desk):
    case = desk.inbound("Min, lampu PJU di Jl. Sudirman gak nyala, goblok").case
    desk.ani.client.force_login(desk.ani.user)
    desk.ani.client.cookies["django_language"] = "en"
    panel = " ".join(desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel").content.decode()
                     .split())
    assert "<span>topic: lampu pju</span>" in panel and "<span>abusive: goblok</span>" in panel
    assert "topik:" not in panel.split('class="reasons"')[1].split("</p>")[0]


def test_every_finding_of_the_tone_guard_has_its_english_and_indonesian_words():
    from tanggap.cases.language import FINDING_MESSAGES
    from tanggap.language.tone import MESSAGES

    assert set(FINDING_MESSAGES) == set(MESSAGES)
    for code, message in FINDING_MESSAGES.items():
        with translation.override("en"):
            english = str(message)
        with translation.override("id"):
            indonesian = str(message)
        assert english != indonesian and indonesian.strip(), code


def test_the_tone_guards_findings_read_in_english_on_every_path(desk):
    from tanggap.cases.language import FINDING_MESSAGES

    with translation.override("en"):
        shouting = str(FINDING_MESSAGES["huruf_kapital"])
    with translation.override("id"):
        teriak = str(FINDING_MESSAGES["huruf_kapital"])
    text = "SUDAH KAMI TERUSKAN KE PLN."
    checked = desk.ani.post("/api/v1/tone", {"text": text}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert shouting in [f["message"] for f in checked["findings"]]
    default = desk.ani.post("/api/v1/tone", {"text": text}).json()
    assert teriak in [f["message"] for f in default["findings"]]
    case = desk.inbound().case
    version = desk.ani.post(f"/api/v1/cases/{case.pk}/claim").json()["version"]
    refused = desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                            {"text": text, "idempotency_key": "k", "base_version": version},
                            HTTP_ACCEPT_LANGUAGE="en").json()
    with translation.override("en"):
        greet = str(FINDING_MESSAGES["tanpa_salam"])  # a reply to a complaint
    assert (refused["error"], [f["message"] for f in refused["findings"]]) == (
        "tone_blocked", [shouting, greet])
    template = desk.sari.post("/api/v1/templates", {"name": "x", "text": text},
                              HTTP_ACCEPT_LANGUAGE="en").json()
    assert [f["message"] for f in template["findings"]] == [shouting]
