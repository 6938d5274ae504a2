"""Kasar detection, shared by triage and the tone guard: whole words, literal uses excused."""

import pytest

from tanggap.language import classify


@pytest.mark.parametrize("text", [
    "dasar pemkot goblok",
    "g0bl0k bgt adminnya",
    "4nj1ng jalan rusak terus",
    "anjiiing macet parah",
    "b*ngsat kalian semua",
    "kalian memang sampah",
    "gila lu min",
    "otak udang semua pejabatnya",
    "🖕 pemkot",
])
def test_abusive_forms_are_kasar(text):
    assert classify(text).kasar is True


@pytest.mark.parametrize("text", [
    "Klaim asuransi kesehatan saya ditolak",
    "Peternakan babi di belakang rumah bau sekali, limbahnya ke kali",
    "Banyak anjing liar berkeliaran di taman, takut rabies",
    "Sampah menumpuk di TPS pasar sudah seminggu",
    "Lampu jalan di Jalan Monyet mati",
    "Macet gila di perempatan tiap pagi",
    "Ada tai lalat di wajah anak saya, perlu ke puskesmas?",
])
def test_false_friends_are_not_kasar(text):
    assert classify(text).kasar is False


def test_the_reason_names_the_word_as_the_citizen_spelled_it_after_repair():
    assert "kasar:goblok" in classify("dasar g0bl0kkk").reasons


@pytest.mark.parametrize("text", [
    "a n j i n g lu min",
    "dasar g.o.b.l.o.k",
    "t-o-l-o-l semua pegawainya",
    "ketololan pejabat kelurahan",
    "jangan tolol-tololin warga",
    "warga didungukan terus",
    "dasar tahi kucing",
    "tai lah PDAM, air mati lagi",
    "dasar maling kalian",
    "kalian plonga plongo saja",
])
def test_spaced_affixed_and_aimed_forms_are_kasar(text):
    assert classify(text).kasar is True


@pytest.mark.parametrize("text", [
    "Ada tahi kucing di taman bermain, mohon dibersihkan",
    "Trotoar penuh tai anjing, tolong petugas",
    "Mata anak saya banyak tahi mata, perlu ke puskesmas?",
    "Latihan Tai Chi di alun-alun tiap Minggu pagi",
    "Sarapan gratis untuk lansia di balai RW",
    "Harga petai naik di pasar",
    "Ada maling motor di gang kami semalam",
    "Anjing saya hilang di dekat taman kota",
    "bodo amat deh, yang penting lampunya nyala",
    "Su, air di rumahmu mati juga?",
    "Nasib apes, motor jatuh di jalan berlubang",
    "Blok C 2 A lampunya mati",
])
def test_literal_dung_names_and_innocent_lookalikes_are_not_kasar(text):
    assert classify(text).kasar is False


def test_the_spaced_out_word_is_one_token_over_the_whole_run():
    result = classify("dasar a n j i n g")
    assert result.kasar and "kasar:anjing" in result.reasons


def test_no_slang_entry_turns_an_innocent_word_into_a_swear_word():
    """Every slang key whose formal side is an always-abusive term is itself a rude spelling.

    This is the systematic check behind `apes → sial` and `dodol → bodoh`: a new slang list
    that maps an everyday word onto a swear word would make citizens' messages kasar.
    """
    from tanggap.language import lexicon

    always = {term[0] for term, kind in lexicon.kasar_terms().items()
              if kind == "kasar" and len(term) == 1}
    rude_spellings = {
        "bgsd", "bgst", "bngst", "blegug", "bolot", "cups", "devils", "fak", "fuck", "guoblok",
        "jingan", "katrok", "muna", "munfik", "shit", "tokai", "ee",
    }
    innocent = sorted(
        key for key, formal in lexicon.slang().lower.items()
        if key not in always and key not in rude_spellings and set(formal.split()) & always)
    assert innocent == []


def test_the_quick_check_never_rules_out_a_message_the_detector_flags():
    # may_be_kasar spares most messages the detector ("sampah", "tidak", "rumah" start or are
    # kasar terms): it must say yes wherever find_kasar finds a hit, and no on a plain
    # complaint about rubbish, or it spares nothing.
    from tanggap.language import lexicon
    from tanggap.language.matching import find_kasar, may_be_kasar
    from tanggap.language.normalize import chunk_tokens, split_chunks

    texts = []
    for term in lexicon.kasar_terms():
        words = " ".join(term)
        texts += [words, f"dasar {words}", f"{words} lu", f"kamu memang {words}!",
                  f"ke{words}an", f"di{words}in", words.upper(), f"jalan {words} rusak",
                  f"ini {words} kali"]
    flagged = 0
    for text in texts:
        chunks = split_chunks(text)
        if chunks is None:
            continue
        tokens = chunk_tokens(chunks)
        if find_kasar(tokens):
            flagged += 1
            assert may_be_kasar(chunks, tokens), text
    assert flagged > 1000
    for text in ("Sampah menumpuk di TPS pasar, tidak diangkut", "rumah anak saya banjir"):
        chunks = split_chunks(text)
        assert not may_be_kasar(chunks, chunk_tokens(chunks))
