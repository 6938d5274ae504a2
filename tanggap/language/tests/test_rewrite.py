"""suggest_rewrite: "Use the suggestion" on a refused reply gives text the guard passes, or
nothing. Checked on every reply of the project's written sets (bench/language/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanggap.language import check_tone, suggest_rewrite

DATA = Path(__file__).resolve().parents[3] / "bench" / "language" / "data"


def _replies(name: str):
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            expected, kind, text = line.split("\t")
            yield kind, text


@pytest.mark.parametrize("name", ["replies.tsv", "replies_hard.tsv"])
def test_every_suggestion_passes_the_guard_and_polite_replies_get_none(name):
    offered = refused = 0
    for _kind, text in _replies(name):
        verdict = check_tone(text, inbound_kind="aduan").verdict
        suggestion = suggest_rewrite(text, inbound_kind="aduan")
        if verdict == "ok":
            assert suggestion is None, text
            continue
        if suggestion is None:
            refused += 1
            continue
        offered += 1
        assert check_tone(suggestion, inbound_kind="aduan").verdict == "ok", (text, suggestion)
        assert suggestion != text
    # Most refused replies get a usable rewrite; the rest are told there is none.
    assert offered > refused > 0


@pytest.mark.parametrize(("text", "expected"), [
    ("MOHON MAAF, LAPORAN ANDA SUDAH KAMI TERUSKAN KE PDAM.",
     "Mohon maaf, laporan anda sudah kami teruskan ke PDAM."),
    ("Sudah kami teruskan!!!", "Sudah kami teruskan."),
    ("Tolol, itu jalan provinsi bukan jalan kota.", "Itu jalan provinsi bukan jalan kota."),
    ("Mohon maaf, lo harus ke kantor kelurahan dulu.",
     "Mohon maaf, Bapak/Ibu harus ke kantor kelurahan dulu."),
    ("Gw udah lapor ke PLN, sabar ya.", "Kami udah lapor ke PLN, sabar ya."),
])
def test_mechanical_fixes_and_dropped_insults(text, expected):
    assert suggest_rewrite(text) == expected


def test_a_reply_that_is_mostly_insult_gets_no_suggestion():
    # Dropping the insults leaves too little of what was meant: the operator writes it again.
    assert check_tone("Dasar warga bego, baca dulu pengumumannya baru komplain.").verdict == "block"
    assert suggest_rewrite("Dasar warga bego, baca dulu pengumumannya baru komplain.") is None
    assert suggest_rewrite("Mikir dong pak, otaknya dipakai sedikit.") is None
