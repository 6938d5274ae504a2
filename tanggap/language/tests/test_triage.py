import json

import pytest

from tanggap.language import INTENTS, TOPICS, Model, classify, load_model, train


def test_cold_triage_of_a_long_mixed_complaint():
    result = classify(
        "Yth Bapak Wali Kota, lampu PJU di Jl. Melati sudah 2 minggu mati, gelap gulita, "
        "kemarin ada yang jatuh karena jalannya berlubang. Kapan diperbaiki??"
    )
    assert result.topic == "penerangan_jalan"
    assert result.intent == "aduan"
    assert result.kasar is False
    assert "topik:pju" in result.reasons
    assert 0.5 < result.confidence <= 1.0


def test_intent_and_kasar_are_independent():
    result = classify("Sampah di depan rumah belum diangkut seminggu, dasar petugas goblok")
    assert (result.intent, result.topic, result.kasar) == ("aduan", "sampah_kebersihan", True)


def test_each_intent_has_a_cold_cue():
    assert classify("Mau tanya syarat bikin KTP-el buat anak 17 tahun gimana ya min?").intent == (
        "pertanyaan")
    assert classify("Terima kasih pak, jalan depan rumah sudah diaspal, mantap!").intent == (
        "apresiasi")
    assert classify("Usul min, sebaiknya ada bank sampah di tiap RW").intent == "saran"
    assert classify("Slot gacor maxwin hari ini klik link di bio https://bit.ly/x").intent == "spam"
    assert classify("selamat pagi").intent == "lainnya"


def test_no_cue_means_lainnya_with_zero_confidence():
    result = classify("halo selamat pagi semuanya")
    assert (result.topic, result.confidence) == ("lainnya", 0.0)


def test_as_dict_has_the_cli_fields_in_order():
    assert list(classify("air pdam mati").as_dict()) == [
        "intent", "topic", "kasar", "confidence", "reasons"]
    assert set(TOPICS) >= {"air_bersih", "lainnya"} and "spam" in INTENTS


ROWS = [
    {"text": "sumur bor kampung kering", "topic": "air_bersih"},
    {"text": "sumur warga keruh dan kering", "topic": "air_bersih"},
    {"text": "kucing kampung masuk rumah", "topic": "lainnya"},
    {"text": "kucing tetangga berisik malam", "topic": "lainnya"},
]


ZORBAK_ROWS = [
    {"text": f"zorbak {what} di blok {block}", "topic": "air_bersih"}
    for what, block in zip(
        ["mati lagi", "keruh", "kecil sekali", "tidak keluar", "bau kaporit", "mampet",
         "berhenti", "netes", "kuning", "putus", "lemah", "macet total"], "ABCDEFGHIJKL",
        strict=True)
] + [{"text": f"lampu jalan mati di gang {n}", "topic": "penerangan_jalan"} for n in range(12)]


def test_training_learns_a_city_word_and_survives_a_file_round_trip(tmp_path):
    # "Zorbak" is this city's water utility; no lexicon knows it, so cold triage says lainnya.
    # (This test used to train on four rows and expect the model to be heard; since the
    # trained path is calibrated against the rules, four rows cannot show that it helps.)
    model = train(ZORBAK_ROWS, epochs=20)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, Model) and loaded.trained_rows == {"topic": 24}
    assert loaded.heads["topic"].alpha > 0
    assert classify("zorbak tidak keluar dari subuh").topic == "lainnya"
    assert classify("zorbak tidak keluar dari subuh", model=loaded).topic == "air_bersih"
    assert json.loads(path.read_text())["format"] == "tanggap-language-model"


def test_a_model_that_has_not_shown_it_helps_stays_silent():
    model = train(ROWS, epochs=20)
    assert model.heads["topic"].alpha == 0.0
    for text in ("sumur kering lagi", "kucing kampung masuk rumah", "lampu jalan mati"):
        assert classify(text, model=model) == classify(text)


def test_a_model_file_from_before_calibration_is_trusted_as_it_was(tmp_path):
    model = train(ZORBAK_ROWS, epochs=20)
    payload = json.loads(_saved(model, tmp_path))
    for head in payload["heads"].values():
        del head["alpha"], head["threshold"], head["calibration"]
    (tmp_path / "old.json").write_text(json.dumps(payload), encoding="utf-8")
    old = load_model(tmp_path / "old.json")
    assert (old.heads["topic"].alpha, old.heads["topic"].threshold) == (1.0, 0.0)
    assert classify("zorbak keruh", model=old).topic == "air_bersih"


def _saved(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    return path.read_text(encoding="utf-8")


def test_a_model_that_knows_none_of_the_words_leaves_cold_rules_in_charge():
    model = train(ROWS, epochs=20)
    text = "lampu jalan mati di gang mawar"
    assert classify(text, model=model) == classify(text)


def test_training_rejects_unknown_labels_with_the_row_number():
    import pytest

    with pytest.raises(ValueError, match="row 2: unknown topic 'jalan_tol'"):
        train([ROWS[0], {"text": "tol macet", "topic": "jalan_tol"}])
    with pytest.raises(ValueError, match="row 1: missing text"):
        train([{"topic": "jalan"}])


def test_kasar_and_intent_heads_are_trained_when_rows_carry_them():
    rows = [
        {"text": "kamu zorbak sekali", "kasar": True},
        {"text": "dasar zorbak", "kasar": True},
        {"text": "terima kasih banyak", "kasar": False},
        {"text": "jalan sudah bagus", "kasar": False},
    ] * 10
    model = train(rows, epochs=20)
    assert set(model.heads) == {"kasar"}
    assert classify("zorbak", model=model).kasar is True
    assert classify("zorbak").kasar is False


@pytest.mark.parametrize(("text", "intent"), [
    # A question that demands or reproaches is how citizens complain.
    ("Jalan berlubang di depan SD sudah sebulan. Kapan diperbaiki?", "aduan"),
    ("Sampah tidak pernah diangkut. Petugasnya digaji buat apa?", "aduan"),
    ("Kenapa air PDAM mati terus tiap sore?", "aduan"),
    # A question that asks for information is a pertanyaan, even beside a problem word.
    ("Kalau lampu jalan di depan rumah mati, lapornya ke mana ya?", "pertanyaan"),
    ("Syaratnya apa saja untuk bikin KTP-el anak?", "pertanyaan"),
    # No cue at all, but a public matter: a report.
    ("Tekanan air lemah, lantai 2 sama sekali tidak dapat air.", "aduan"),
    # The opening says what a letter is for; thanks at the end are a closing formula.
    ("Terima kasih Pak Wali, jalan sudah mulus diaspal. Lampu jalannya masih ada yang mati.",
     "apresiasi"),
    ("Air PDAM keruh sejak kemarin, mohon dicek. Terima kasih", "aduan"),
    ("Usul min, tolong dipasang lampu jalan di gang kami yang gelap", "saran"),
])
def test_intent_follows_what_each_sentence_does(text, intent):
    assert classify(text).intent == intent
