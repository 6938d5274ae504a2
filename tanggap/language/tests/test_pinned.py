"""The engine's answers, pinned to the last digits that matter.

``data/pinned_model.npz`` is a model trained on 200 rows of the train side of
``bench/language/data/messages.tsv`` (12 of the 17 topics, 4 of the 6 intents, and kasar, so
that labels a head never saw are exercised too); ``data/pinned_predictions.jsonl`` holds, for
67 messages (test sides of the written sets and edge cases: empty, emoji only, links and
mentions, letters spelled out, words the model never saw), the distributions and the triage
that the engine gave **before** one message had its own hand-written path: one by one and as
one batch, with the model and cold. Both paths must still give them, the distributions within
1e-6 and the triage exactly, so that a speed-up can never change an answer unnoticed. (The heads
work in float32, whose exp and softmax NumPy computes with CPU-specific vector code: another
processor may round the last of float32's seven digits differently, so the bound is 1e-6, not
1e-9; a changed feature or weight moves a distribution by far more.)
"""

import json
from pathlib import Path

import pytest

from tanggap.language import classify, classify_many, load_model, triage

DATA = Path(__file__).with_name("data")
TOLERANCE = 1e-6
ROWS = [json.loads(line) for line in
        (DATA / "pinned_predictions.jsonl").read_text(encoding="utf-8").splitlines()]
TEXTS = [row["text"] for row in ROWS]


@pytest.fixture(scope="module")
def model():
    return load_model(DATA / "pinned_model.npz")


def _assert_scored(topics, threshold, intents, kasar, p_kasar, want):
    assert topics == pytest.approx(want["topics"], abs=TOLERANCE, rel=0)
    assert intents == pytest.approx(want["intents"], abs=TOLERANCE, rel=0)
    assert threshold == want["threshold"]
    assert kasar == want["kasar"]
    if want["p_kasar"] is None:
        assert p_kasar is None
    else:
        assert p_kasar == pytest.approx(want["p_kasar"], abs=TOLERANCE, rel=0)


@pytest.mark.parametrize("kind", ["model", "cold"])
def test_one_message_gives_the_pinned_distributions_and_triage(model, kind):
    used = model if kind == "model" else None
    for row in ROWS:
        want = row[f"{kind}_one"]
        scored = triage._score_one(triage._read(row["text"]), used)
        _assert_scored(scored.topics, scored.threshold, scored.intents, scored.kasar,
                       scored.p_kasar, want)
        assert classify(row["text"], used).as_dict() == want["triage"], row["text"]


@pytest.mark.parametrize("kind", ["model", "cold"])
def test_a_batch_gives_the_pinned_distributions_and_the_same_triage(model, kind):
    used = model if kind == "model" else None
    topics, thresholds, intents, kasar, p_kasar = triage._score_many(
        [triage._read(text) for text in TEXTS], used)
    for i, row in enumerate(ROWS):
        _assert_scored(topics[i].tolist(), thresholds[i], intents[i].tolist(), bool(kasar[i]),
                       None if p_kasar is None else float(p_kasar[i]), row[f"{kind}_batch"])
    assert ([t.as_dict() for t in classify_many(TEXTS, used)]
            == [row[f"{kind}_one"]["triage"] for row in ROWS])


def test_the_batch_path_for_one_message_agrees_with_the_single_path(model):
    # The previous engine's way of classifying one message (bench_speed.py times it).
    for text in TEXTS:
        assert (triage._classify_batch([text], model)[0].as_dict()
                == classify(text, model).as_dict())


def test_numpys_pairwise_sum_is_reproduced_to_the_last_bit():
    import numpy as np

    rng = np.random.default_rng(7)
    for n in (1, 2, 6, 7, 8, 9, 16, 17, 23, 128, 129, 300):
        for _ in range(20):
            values = rng.random(n) * rng.choice([1e-8, 1.0, 1e8], n)
            assert triage._sum(values.tolist()) == float(values.sum())
            # Mostly zeros, as the rules' scores are: none, one, two or three numbers.
            for kept in range(min(n, 3) + 1):
                sparse = np.zeros(n)
                sparse[rng.choice(n, kept, replace=False)] = values[:kept]
                assert triage._sum(sparse.tolist()) == float(sparse.sum())


SPACES = "jalan\u00a0rusak\x1cparah\u2028min\u3000tolong  \t\n lampu\u200bmati"


def test_chunks_are_the_spans_normalize_tokenises_one_by_one():
    from tanggap.language.normalize import _CHUNK, chunk_tokens, normalize, split_chunks

    for text in [SPACES, *TEXTS]:
        chunks = split_chunks(text)
        if chunks is None:  # a spelled-out run crosses a space: tokenised whole
            continue
        assert chunks == _CHUNK.findall(text)
        # The same tokens, with offsets into their chunk instead of into the text.
        assert ([(t.text, t.base, t.norm, t.kind) for t in chunk_tokens(chunks)]
                == [(t.text, t.base, t.norm, t.kind) for t in normalize(text)])
    assert split_chunks("a n j i n g kalian") is None


def test_kasar_hits_are_found_on_the_texts_own_spans():
    # Within their chunks both words stand at 0: the detector must still see two words, and
    # see that "Chi" stands inside the text (a name), not at its start.
    assert [r for r in classify("tai tai").reasons if r.startswith("kasar:")] == [
        "kasar:tai", "kasar:tai"]
    assert classify("Latihan Tai Chi setiap pagi").kasar is False
    assert classify("dasar tai, dasar tai!").kasar is True
    read = triage._read("tai tai")
    assert [t.start for t in read.tokens] == [0, 4]


def test_a_messages_rows_are_the_same_from_its_chunks_and_from_its_tokens(model):
    from tanggap.language.normalize import split_chunks

    model.clear_caches()
    for _ in range(2):  # first sight, then every chunk cached
        for text in [SPACES, *TEXTS]:
            read = triage._read(text)
            extra = triage._rule_features(read.topics, read.intents, read.kasar)
            ids, sums = model.encode_one(read.tokens, extra, split_chunks(text))
            want_ids, want_sums = model.encode_one(read.tokens, extra)
            assert ids.tolist() == want_ids.tolist()
            assert sums.tolist() == want_sums.tolist()


def test_a_chunks_words_survive_the_caches_being_cleared_between_lookups(model):
    # Another thread may clear the caches between a message's rows and its words.
    from tanggap.language.normalize import split_chunks

    text = "lampu jalan mati, tolong cepat diperbaiki"
    chunks = split_chunks(text)
    model.clear_caches()
    want = model.encode_one(triage._read(text).tokens, [], chunks)[0].tolist()
    model.clear_caches()
    list(map(model._chunk_ids.__getitem__, chunks))
    model._chunk_ids.words.clear()
    assert model.encode_one(triage._read(text).tokens, [], chunks)[0].tolist() == want
    assert model._chunk_ids.words["jalan"] == ("jalan",)
