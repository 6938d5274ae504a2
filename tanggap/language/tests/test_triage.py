import json

import pytest

from tanggap.language import INTENTS, TOPICS, Model, classify, classify_many, load_model, train
from tanggap.language.triage import COLD_TOPIC_THRESHOLD, MIN_CONFIDENCE


def test_cold_triage_of_a_long_mixed_complaint():
    result = classify(
        "Yth Bapak Wali Kota, lampu PJU di Jl. Melati sudah 2 minggu mati, gelap gulita, "
        "kemarin ada yang jatuh karena jalannya berlubang. Kapan diperbaiki??"
    )
    assert result.topic == "penerangan_jalan"
    assert result.intent == "aduan"
    assert result.kasar is False
    assert "topik:lampu pju" in result.reasons
    assert 0.5 < result.confidence <= 1.0 and result.unsure is False


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
    result = classify("air pdam mati").as_dict()
    assert list(result) == [
        "intent", "topic", "kasar", "confidence", "unsure", "top_topics", "reasons"]
    assert result["top_topics"][0] == {"topic": "air_bersih", "confidence": result["confidence"]}
    assert set(TOPICS) >= {"air_bersih", "lainnya"} and "spam" in INTENTS


def test_cold_abstains_below_its_threshold_and_lists_only_real_suggestions():
    sure = classify("Lampu PJU di Jl. Melati mati, gelap gulita")
    assert (sure.topic, sure.unsure) == ("penerangan_jalan", False)
    assert sure.confidence >= max(COLD_TOPIC_THRESHOLD, MIN_CONFIDENCE)
    # One weak cue for each of four topics: the engine says it is unsure instead of guessing.
    torn = classify("pohon, hujan, tanah dan trotoar")
    assert torn.unsure is True and torn.confidence < MIN_CONFIDENCE
    assert "topik:perlu dicek 0.36" in torn.reasons
    assert torn.top_topics == (("jalan", 0.365), ("drainase_banjir", 0.111),
                               ("lingkungan_taman", 0.111))
    assert classify("halo selamat pagi").top_topics == ()


def test_cold_confidence_is_spread_by_how_decisive_the_rules_are():
    # The rules' shares through the fitted temperature: one decisive cue is sure, a second
    # matter lowers it, two matters of equal weight leave the engine unsure ("perlu dicek").
    one = classify("Lampu PJU di Jl. Melati mati, gelap gulita")
    second = classify("Jalan berlubang dan becek kalau hujan")
    tie = classify("air pdam mati sejak pagi, lampu jalan juga")
    assert (one.confidence, one.unsure) == (0.981, False)
    assert (second.confidence, second.unsure) == (0.887, False)
    assert second.top_topics == (("jalan", 0.887), ("drainase_banjir", 0.096))
    assert (tie.confidence, tie.unsure) == (0.494, True)
    assert tie.top_topics == (("air_bersih", 0.494), ("penerangan_jalan", 0.494))


def test_a_trained_head_never_gives_a_badge_below_even_chance():
    rows = [{"text": f"{word} nomor {n}", "topic": topic} for n in range(12)
            for word, topic in (("zorbak", "air_bersih"), ("quarxy", "ketenagakerjaan"),
                                ("plimpo", "kesehatan"))]
    model = train(rows)
    model.heads["topic"].threshold = 0.0  # as if every held-out answer had been right
    torn = classify("zorbak quarxy plimpo", model=model)
    assert torn.confidence < MIN_CONFIDENCE and torn.unsure is True
    assert f"topik:perlu dicek {torn.confidence:.2f}" in torn.reasons
    sure = classify("zorbak nomor 99", model=model)
    assert (sure.topic, sure.unsure) == ("air_bersih", False)


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
    model = train(ZORBAK_ROWS)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, Model) and loaded.trained_rows == {"topic": 24}
    assert classify("zorbak tidak keluar dari subuh").topic == "lainnya"
    warm = classify("zorbak tidak keluar dari subuh", model=loaded)
    assert (warm.topic, warm.unsure) == ("air_bersih", False)
    assert warm == classify("zorbak tidak keluar dari subuh", model=model)
    assert "model:zorbak" in warm.reasons
    report = loaded.heads["topic"].report
    assert report["rows"] == 24 and report["folds"] == 3 and report["accuracy"] == 1.0


def test_calibrated_confidence_matches_held_out_accuracy():
    # 60 rows where one word decides and 20 % of labels are flipped: a calibrated head is
    # right about as often as it says, not 100 % sure.
    rows = []
    for n in range(60):
        topic = "air_bersih" if n % 2 else "jalan"
        if n % 5 == 0:
            topic = "jalan" if topic == "air_bersih" else "air_bersih"
        rows.append({"text": f"{'zorbak' if n % 2 else 'quarx'} nomor {n}", "topic": topic})
    model = train(rows)
    report = model.heads["topic"].report
    assert 0.7 <= report["accuracy"] <= 0.9
    confidence = classify("zorbak nomor 999", model=model).confidence
    assert 0.6 <= confidence <= 0.95


def test_the_abstention_threshold_is_the_least_confidence_still_90_percent_right():
    import numpy as np

    from tanggap.language.model import abstention_threshold

    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    right = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    assert abstention_threshold(confidence, right) == (0.4, 0.8, 1.0)
    right = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], dtype=bool)
    threshold, coverage, precision = abstention_threshold(np.linspace(1, 0.05, 20), right)
    assert (round(threshold, 2), coverage, precision) == (0.55, 0.5, 0.9)
    assert abstention_threshold(np.array([0.9, 0.8]), np.array([False, True]))[0] > 1.0


def test_rules_stay_a_prior_for_topics_the_model_never_saw():
    # The model saw only water and street lights; a pothole letter keeps the rules' topic.
    model = train(ZORBAK_ROWS)
    result = classify("jalan berlubang besar di depan pasar, aspal rusak parah", model=model)
    assert result.topic == "jalan"


def test_a_model_that_knows_none_of_the_words_and_no_rule_leaves_lainnya():
    model = train(ROWS)
    assert classify("zzzz qqqq", model=model) == classify("zzzz qqqq")


def test_an_old_json_model_file_asks_to_train_again(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"format": "tanggap-language-model", "version": 1, "heads": {}}))
    with pytest.raises(ValueError, match="model version 1 is not 2; train it again"):
        load_model(old)
    with pytest.raises(ValueError, match="not a Tanggap language model"):
        (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04junk")
        load_model(tmp_path / "junk.npz")


def test_training_rejects_unknown_labels_with_the_row_number():
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
    model = train(rows)
    assert set(model.heads) == {"kasar"}
    assert classify("dasar zorbak", model=model).kasar is True
    assert classify("dasar zorbak").kasar is False
    assert classify("terima kasih", model=model).kasar is False


def test_classify_many_gives_the_same_answers_as_one_by_one():
    model = train(ZORBAK_ROWS + [{"text": "kucing hilang", "topic": "lainnya"}] * 3)
    texts = ["zorbak keruh", "halo", "lampu jalan mati", "jalan berlubang", "goblok zorbak"]
    assert classify_many(texts, model=model) == [classify(t, model=model) for t in texts]
    assert classify_many(texts) == [classify(t) for t in texts]


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
    # Thanks first, then a report: the city handles it as a complaint.
    ("Terima kasih Pak Wali, jalan sudah mulus diaspal. Lampu jalannya masih ada yang mati.",
     "aduan"),
    ("Terima kasih PDAM sudah memperbaiki pipa. Tapi sejak itu air tidak mengalir.", "aduan"),
    # Formal requests are complaints; a status question about a filed request is a question;
    # a rhetorical question that reproaches is a complaint.
    ("Permohonan percepatan penerbitan akta kelahiran anak kami.", "aduan"),
    ("Berkas KIA anak saya sudah dua bulan belum jadi, kapan selesainya ya?", "pertanyaan"),
    ("Kok urus surat pindah aja ribet banget sih?", "aduan"),
    # Thanks alone, at the opening, is praise.
    ("Terima kasih Pak Wali, jalan depan rumah sudah mulus diaspal.", "apresiasi"),
    ("Air PDAM keruh sejak kemarin, mohon dicek. Terima kasih", "aduan"),
    ("Usul min, tolong dipasang lampu jalan di gang kami yang gelap", "saran"),
])
def test_intent_follows_what_each_sentence_does(text, intent):
    assert classify(text).intent == intent
