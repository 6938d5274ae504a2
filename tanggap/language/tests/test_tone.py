"""One test per tone rule, with exact spans, plus the false friends the issue names."""

from tanggap.language import check_tone


def codes(result):
    return [(f.code, f.severity, f.start, f.end) for f in result.findings]


def test_a_polite_reply_is_ok_with_no_findings():
    result = check_tone(
        "Selamat siang Bapak, terima kasih atas laporannya. Petugas PJU akan memperbaiki lampu "
        "di Jl. Melati besok pagi.", inbound_kind="aduan")
    assert (result.verdict, result.findings, result.suggestion) == ("ok", [], None)


def test_an_all_caps_sentence_is_blocked_and_sentence_cased():
    text = "Mohon maaf. LAPORAN ANDA SUDAH KAMI TERUSKAN KE PDAM."
    result = check_tone(text)
    assert result.verdict == "block"
    assert codes(result) == [("huruf_kapital", "block", 12, 52)]
    assert result.suggestion == "Mohon maaf. Laporan anda sudah kami teruskan ke PDAM."


def test_acronyms_are_not_shouting():
    assert check_tone("Terima kasih, laporan sudah kami teruskan ke PDAM dan PLN.").verdict == "ok"


def test_one_word_in_capitals_is_a_warning():
    result = check_tone("Terima kasih, laporan Anda SUDAH kami teruskan.")
    assert codes(result) == [("penekanan_kapital", "warn", 27, 32)]
    assert result.suggestion == "Terima kasih, laporan Anda sudah kami teruskan."


def test_repeated_exclamation_marks_are_blocked():
    result = check_tone("Terima kasih, sudah kami proses!!!")
    assert codes(result) == [("tanda_seru", "block", 31, 34)]
    assert result.suggestion == "Terima kasih, sudah kami proses."


def test_abusive_words_in_any_disguise_are_blocked():
    result = check_tone("Maaf, dasar g0bl0kkk")
    assert result.verdict == "block"
    assert ("kata_kasar", "block", 12, 20) in codes(result)


def test_insults_aimed_at_the_citizen_are_blocked():
    result = check_tone("Terima kasih. Bapak tidak bisa baca pengumuman ya?")
    assert codes(result) == [("hinaan", "block", 20, 35)]


def test_rude_pronouns_warn_and_get_a_polite_form():
    result = check_tone("Terima kasih, lu tunggu info dari gue ya.")
    assert codes(result) == [("sapaan_kasar", "warn", 14, 16), ("sapaan_kasar", "warn", 34, 37)]
    assert result.suggestion == "Terima kasih, Bapak/Ibu tunggu info dari kami ya."


def test_dismissive_and_blaming_phrases_warn():
    result = check_tone("Mohon maaf, itu bukan urusan kami. Makanya baca dulu. Salah sendiri.")
    assert result.verdict == "warn"
    assert codes(result) == [
        ("meremehkan", "warn", 16, 33), ("meremehkan", "warn", 35, 42),
        ("meremehkan", "warn", 43, 52), ("meremehkan", "warn", 54, 67)]


def test_sarcasm_markers_warn():
    result = check_tone("Terima kasih wkwk 🙄")
    assert codes(result) == [("sindiran", "warn", 13, 17), ("sindiran", "warn", 18, 19)]


def test_impatience_warns():
    result = check_tone("Mohon maaf, sabar dong pak. Sudah kami proses kan?!")
    assert codes(result) == [("tidak_sabar", "warn", 12, 22), ("tidak_sabar", "warn", 49, 51)]
    assert result.suggestion == "Mohon maaf, sabar dong pak. Sudah kami proses kan?"


def test_no_greeting_thanks_or_apology_in_reply_to_a_complaint_is_info_only():
    result = check_tone("Laporan sudah diteruskan ke dinas terkait.", inbound_kind="aduan")
    assert (result.verdict, codes(result)) == ("ok", [("tanpa_salam", "info", 0, 42)])
    assert check_tone("Laporan sudah diteruskan ke dinas terkait.").findings == []


def test_false_friend_asu_inside_asuransi():
    assert check_tone("Terima kasih, klaim asuransi Bapak sudah kami teruskan.").verdict == "ok"


def test_false_friend_babi_in_a_pig_farm_reply():
    result = check_tone(
        "Terima kasih, laporan bau dari peternakan babi di RT 03 sudah kami teruskan ke DLH.")
    assert (result.verdict, result.findings) == ("ok", [])


def test_false_friend_bodoh_quoted_from_the_citizen_in_a_polite_apology():
    quoted = check_tone('Mohon maaf jika pelayanan kami dianggap "bodoh" oleh Bapak.')
    assert (quoted.verdict, codes(quoted)) == ("ok", [("kutipan", "info", 41, 46)])
    reported = check_tone("Kami mohon maaf bila Bapak menilai kami bodoh, kami akan berbenah.")
    assert (reported.verdict, codes(reported)) == ("ok", [("kutipan", "info", 40, 45)])


def test_bodoh_aimed_at_the_citizen_is_still_blocked():
    assert check_tone("Mohon maaf, Bapak memang bodoh.").verdict == "block"


def test_as_dict_matches_the_cli_shape():
    result = check_tone("Terima kasih!!").as_dict()
    assert result == {
        "verdict": "block",
        "findings": [{"code": "tanda_seru", "severity": "block", "start": 12, "end": 14,
                      "message": "Tanda seru berulang terkesan membentak. Gunakan satu titik."}],
        "suggestion": "Terima kasih.",
    }
