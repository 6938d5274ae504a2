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
