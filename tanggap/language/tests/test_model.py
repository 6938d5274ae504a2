"""The trained head's machinery: folds that keep copies together, the yes/no cut-off, the fast
feature path agreeing with the documented features, and reproducible files."""

import numpy as np

from tanggap.language import classify, normalize, train
from tanggap.language.model import best_f1_cutoff, features, group_folds, near_duplicates


def _shingles(texts):
    """The ``near_duplicates`` input for word sets given as texts (one id per word)."""
    vocab: dict[str, int] = {}
    rows = [[vocab.setdefault(word, len(vocab)) for word in dict.fromkeys(text.split())]
            for text in texts]
    starts = np.cumsum([0] + [len(row) for row in rows])
    return np.array([i for row in rows for i in row], dtype=np.int64), starts


def test_copies_of_a_letter_share_a_group_and_different_letters_do_not():
    texts = [
        "air pdam di blok c mati sudah tiga hari mohon segera diperbaiki",
        "air pdam di blok c mati sudah tiga hari mohon segera diperbaiki pak",  # resent
        "yth pak wali air pdam di blok c mati sudah tiga hari mohon segera diperbaiki",
        "lampu jalan di gang mawar mati sejak minggu lalu gelap sekali",
        "sampah di tps pasar baru belum diangkut seminggu bau sekali",
        "",
    ]
    groups = near_duplicates(*_shingles(texts))
    assert groups[0] == groups[1] == groups[2]
    assert len({groups[0], groups[3], groups[4], groups[5]}) == 4


def test_group_folds_keep_groups_whole_and_spread_labels():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1])
    groups = np.array([7, 7, 7, 1, 2, 3, 4, 4, 5, 6, 8, 9])
    folds = group_folds(y, groups, 2)
    for group in set(groups.tolist()):
        assert len(set(folds[groups == group].tolist())) == 1
    for fold in (0, 1):
        assert set(y[folds == fold].tolist()) == {0, 1}
    assert np.array_equal(folds, group_folds(y, groups, 2))  # seeded: the same every time


def test_the_yes_no_cutoff_is_the_best_f1_on_a_coarse_grid():
    p_true = np.array([0.95, 0.9, 0.45, 0.42, 0.41, 0.3, 0.1])
    gold = np.array([True, True, True, True, False, False, False])
    assert best_f1_cutoff(p_true, gold) == 0.42
    # Perfectly separated rows leave a flat F1: the cut-off stays nearest one half.
    assert best_f1_cutoff(np.array([0.99, 0.01]), np.array([True, False])) == 0.5
    assert best_f1_cutoff(np.array([0.3, 0.2]), np.array([False, False])) == 0.5


def test_a_kasar_head_says_yes_from_its_own_cutoff():
    rows = ([{"text": f"kamu zorbak {n}", "kasar": True} for n in range(15)]
            + [{"text": f"terima kasih pak {n}", "kasar": False} for n in range(15)])
    model = train(rows)
    head = model.heads["kasar"]
    assert head.report["cutoff"] == head.cutoff
    result = classify("dasar zorbak", model=model)
    assert result.kasar is True and any(r.startswith("model:kasar") for r in result.reasons)
    head.cutoff = 1.01  # the same message under a cut-off nothing reaches
    assert classify("dasar zorbak", model=model).kasar is False


def test_the_fast_path_sees_exactly_the_documented_features():
    rows = [{"text": text, "topic": topic} for text, topic in (
        ("air PDAM mati lagi 😡 https://x.id @pdam kapan?", "air_bersih"),
        ("lampu2 jalan mati, gelap bgt", "penerangan_jalan"),
        ("air keruh kayak teh", "air_bersih"),
        ("lampu taman mati", "penerangan_jalan"),
    )] * 3
    model = train(rows)
    for text in ("air PDAM mati lagi 😡 https://x.id @pdam kapan?", "lampu2 jalan gelap bgt",
                 "kata baru sekali"):
        tokens = normalize(text)
        extra = ["rule:topik=air_bersih"]
        expected = sorted(i for i in (model._index.get(f) for f in features(tokens, extra))
                          if i is not None)
        encoded = model.encode([(tokens, extra)])
        assert encoded.ids.tolist() == expected
        if expected:
            dense = model.weights[expected].sum(axis=0) / np.sqrt(model.idf_sq[expected].sum())
            assert np.allclose(encoded.sums[0], dense, atol=1e-5)
        else:
            assert not encoded.known[0] and not encoded.sums[0].any()


def test_one_worker_trains_the_same_file_twice(tmp_path):
    rows = [{"text": f"{w} {n} di blok {n % 3}", "topic": t, "intent": "aduan"}
            for n in range(20) for w, t in (("air mati", "air_bersih"),
                                            ("lampu mati", "penerangan_jalan"))]
    train(rows, workers=1).save(tmp_path / "a.npz")
    train(rows, workers=1).save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
