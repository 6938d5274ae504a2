"""The compiled part (``_fast.pyx``) and its Python fallback (``rows.py``) give the same
answers to the last bit, on every text of the bench sets and the pinned messages."""

from __future__ import annotations

import functools
import itertools
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from tanggap.language import classify, load_model, rows, triage
from tanggap.language import model as model_module

from .test_pinned import DATA as PINNED
from .test_pinned import TEXTS as PINNED_TEXTS

BENCH = Path(__file__).resolve().parents[3] / "bench" / "language" / "data"


def _texts() -> list[str]:
    texts = list(PINNED_TEXTS)
    for name in ("messages.tsv", "letters.tsv", "hard.tsv"):
        for line in (BENCH / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                texts.append(line.split("\t")[-1])
    return texts


TEXTS = _texts()


def _compiled():
    try:
        from tanggap.language import _fast
    except ImportError:
        return None
    return _fast


@pytest.fixture(scope="module")
def model():
    return load_model(PINNED / "pinned_model.npz")


def test_the_compiled_part_is_built_where_a_compiler_is():
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the engine runs its Python fallback")
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.exists():  # e.g. Debian's python3.12 without python3.12-dev
        pytest.skip(f"no {headers}: the build cannot compile, the engine runs its Python fallback")
    assert _compiled() is not None, "uv sync did not build tanggap/language/_fast.pyx"
    assert model_module.message_rows is _compiled().message_rows
    assert model_module._WordRows.__missing__ is _compiled().new_word_rows
    assert model_module._ChunkRows.__missing__ is _compiled().new_chunk_rows


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_give_the_same_rows_and_sums_on_every_bench_text(model):
    assert len(TEXTS) > 1000
    compared = 0
    for text in TEXTS:
        read = triage._read(text)
        if read.chunks is None:
            continue
        extra = triage._rule_features(read.topics, read.intents, read.kasar)
        args = (model._chunk_ids, read.chunks, extra, model._index, model._table)
        want_ids, want_sums = rows.message_rows(*args)
        ids, sums = _compiled().message_rows(*args)
        assert ids.dtype == want_ids.dtype and sums.dtype == want_sums.dtype
        assert ids.tolist() == want_ids.tolist(), text
        assert sums.tobytes() == want_sums.tobytes(), text  # to the last bit
        compared += 1
    assert compared > 1000


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_give_the_same_triage_on_every_bench_text(model, monkeypatch):
    compiled = [classify(text, model).as_dict() for text in TEXTS]
    monkeypatch.setattr(model_module, "message_rows", rows.message_rows)
    monkeypatch.setattr(model_module, "strongest_rows", rows.strongest_rows)
    monkeypatch.setattr(triage, "shifted_logits", rows.shifted_logits)
    monkeypatch.setattr(triage, "normalized", rows.normalized)
    monkeypatch.setattr(model_module._WordRows, "__missing__", model_module._new_word_rows)
    monkeypatch.setattr(model_module._ChunkRows, "__missing__", model_module._new_chunk_rows)
    _use_python_first_sight(monkeypatch)
    model.clear_caches()
    try:
        assert [classify(text, model).as_dict() for text in TEXTS] == compiled
    finally:
        _clear_first_sight_caches()
        model.clear_caches()


def test_the_engine_runs_without_the_compiled_part():
    # As where no compiler was found at install: importing it fails, the fallback is used.
    code = ("import sys; sys.modules['tanggap.language._fast'] = None\n"
            "from tanggap.language import classify, model\n"
            "assert model.message_rows.__module__ == 'tanggap.language.rows'\n"
            "assert model.strongest_rows.__module__ == 'tanggap.language.rows'\n"
            "from tanggap.language import triage\n"
            "assert triage.normalized.__module__ == 'tanggap.language.rows'\n"
            "assert model._WordRows.__missing__ is model._new_word_rows\n"
            "assert model._ChunkRows.__missing__ is model._new_chunk_rows\n"
            "from tanggap.language import matching\n"
            "assert matching.kasar_cues is matching._kasar_cues\n"
            "assert matching.affixed_root.__wrapped__ is matching._affixed_root\n"
            "normalize = sys.modules['tanggap.language.normalize']\n"
            "assert normalize.plain_chunk_tokens is normalize._plain_chunk_tokens\n"
            "assert normalize.repair_word.__wrapped__ is normalize._repair_word\n"
            "print(classify('jalan rusak parah di depan sekolah').topic)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "jalan"


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_give_the_same_rows_of_new_chunks_and_words_on_every_bench_text(monkeypatch):
    compiled, twin = (load_model(PINNED / "pinned_model.npz") for _ in range(2))
    # The twin's words by the Python function too (the compiled one computes its own).
    monkeypatch.setattr(model_module._WordRows, "__missing__", model_module._new_word_rows)
    chunks = 0
    for text in TEXTS:
        for chunk in triage._read(text).chunks or ():
            want = model_module._new_chunk_rows(twin._chunk_ids, chunk)
            assert _compiled().new_chunk_rows(compiled._chunk_ids, chunk) == want, chunk
            assert compiled._chunk_ids[chunk] == want
            assert compiled._chunk_ids.words[chunk] == twin._chunk_ids.words[chunk], chunk
            chunks += 1
    assert chunks > 20_000 and len(twin._word_ids) > 3000
    assert dict(compiled._word_ids) == dict(twin._word_ids)
    assert dict(compiled._chunk_ids) == dict(twin._chunk_ids)


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_find_the_grams_of_odd_words():
    # Code points from 4095 up do not fit the compiled table's key and are looked up as
    # strings; 4094 still fits. Empty, one-letter and long words; repeated grams.
    wide, edge = "\u0fff", "\u0ffe"
    grams = ["<ab", "abc", "bc>", "<abc", "abc>", "<abc>", "aaa", "aaaa", "<日本", "日本語",
             "本語>", f"a{wide}b", f"<{wide}>", f"{wide}b>", f"a{edge}b", f"<{edge}>", "<😀>",
             "😀ab", "<a>", "a>"]
    index = {f"#{gram}": row for row, gram in enumerate(grams)}
    index |= {"abc": 40, "ab": 41, "#toolong": 42, "#": 43, "#ab": 44, "日本語": 45}
    words = [("", ""), ("a", "a"), ("abc", "abc"), ("abc", "ab"), ("ab", "abc"),
             ("日本語", "日本語"), (f"a{wide}b", f"a{wide}b"), (wide, wide), (edge, edge),
             (f"a{edge}b", "x"), ("😀ab", "😀ab"), ("😀", "😀"), ("a" * 70, "a"),
             ("b" * 63, "b"), ("c" * 62, "c"), ("x" * 200, "abc")]
    found: list[int] = []
    for key in words:
        want = model_module._new_word_rows(model_module._WordRows(index), key)
        got = _compiled().new_word_rows(model_module._WordRows(index), key)
        assert got == want and all(type(row) is int for row in got), key
        found += want
    assert len(found) == 166
    assert set(found) == set(range(len(grams))) - {19} | {40, 41, 45}


def test_an_empty_message_has_no_rows(model):
    for message_rows in {rows.message_rows, model_module.message_rows}:
        ids, sums = message_rows(model._chunk_ids, [], [], model._index, model._table)
        assert ids.tolist() == [] and ids.dtype == np.intp
        assert sums.tolist() == [0.0] * model.weights.shape[1]


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_find_the_same_phrases_on_every_bench_text():
    from tanggap.language import matching
    from tanggap.language.normalize import normalize

    indexes = [matching.phrase_index(name) for name in ("topics", "intents", "questions", "tone")]
    indexes.append(matching._kasar_index())
    found = 0
    for text in TEXTS:
        tokens = normalize(text)
        for words in (matching.content_words(tokens), [t.norm for t in tokens]):
            for index in indexes:
                want = matching._find_phrases(words, index)
                hits = _compiled().find_phrases(words, index)
                assert hits == want, text
                assert all(type(hit) is matching.Hit for hit in hits)
                found += len(hits)
    assert found > 10_000
    assert matching.find_phrases is _compiled().find_phrases


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_give_the_same_reasons_on_every_bench_text(model):
    compared = 0
    for text in TEXTS:
        read = triage._read(text)
        extra = triage._rule_features(read.topics, read.intents, read.kasar)
        ids, _sums = model.encode_one(read.tokens, extra, read.chunks)
        for head in model.heads.values():
            for column in range(head.start, head.start + len(head.labels)):
                for limit in (1, 3, 5):
                    args = (ids, model._word_flags, model._table, column, model.vocab, limit)
                    want = rows.strongest_rows(*args)
                    assert _compiled().strongest_rows(*args) == want, text
                    compared += len(want)
    assert compared > 10_000
    assert model_module.strongest_rows is _compiled().strongest_rows


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_give_the_same_softmax_steps_to_the_last_bit():
    # Every length NumPy's pairwise sum treats apart (under 8, blocks of 8, over 128), and
    # exponents from tiny to large, so that the order of adding shows in the last bit.
    rng = np.random.default_rng(7)
    for size in [*range(1, 40), 127, 128, 129, 200, 300]:
        for _ in range(20):
            scaled = (rng.normal(size=size + 5) * 4).astype(np.float32)
            add = (rng.normal(size=size) * 3).tolist()
            for source in (scaled, None):
                want = rows.shifted_logits(source, 2, add)
                got = _compiled().shifted_logits(source, 2, add)
                assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
            exps = np.exp(want)
            assert _compiled().normalized(exps) == rows.normalized(exps)
    assert triage.normalized is _compiled().normalized


def _use_python_first_sight(monkeypatch):
    """Make the engine tokenise, repair and judge new chunks with the Python twins, from
    empty caches."""
    from tanggap.language import matching

    normalize = sys.modules["tanggap.language.normalize"]
    python_repair = functools.lru_cache(maxsize=65536)(normalize._repair_word)
    monkeypatch.setattr(normalize, "plain_chunk_tokens", normalize._plain_chunk_tokens)
    monkeypatch.setattr(normalize, "repair_word", python_repair)
    monkeypatch.setattr(matching, "kasar_cues", matching._kasar_cues)
    monkeypatch.setattr(matching, "affixed_root", functools.cache(matching._affixed_root))
    _clear_first_sight_caches()


def _clear_first_sight_caches():
    from tanggap.language import matching
    from tanggap.language.normalize import _chunk_tokens

    for cached in (_chunk_tokens, matching._chunk_kasar_cues, matching._suspicious):
        cached.cache_clear()


def _chunks_and_words() -> tuple[list[str], list[str]]:
    """Every chunk of the bench and pinned texts, every chunk of up to three characters over
    letters, digits and marks, and every word written in them, in the lexicons and in
    spellings the repair undoes (elongated, leet, starred, clitics, a 2, a curly quote)."""
    from tanggap.language import lexicon
    from tanggap.language.normalize import _chunk_tokens

    chunks = {chunk for text in TEXTS for chunk in text.split()}
    chunks.update("".join(p) for n in range(1, 4)
                  for p in itertools.product("aAw1é-.,!?*'@_:#)’2", repeat=n))
    words = {token.text for chunk in chunks for token in _chunk_tokens(chunk)}
    known = sorted(lexicon.vocabulary())[::7] + sorted(lexicon.slang().lower)[::3]
    words.update(known + list(lexicon.slang().exact))
    for word in known[::5]:
        words.update({word + word[-1] * 2, word[:2] + word[1] * 3 + word[2:], word + "nya",
                      word + "ku", word.upper(), word.replace("a", "4").replace("o", "0"),
                      word[:1] + "*" + word[2:], word + "2", word.replace("a", "’"),
                      word + "-" + word})
    return sorted(chunks), sorted(words)


@pytest.mark.skipif(_compiled() is None, reason="the compiled part is not built")
def test_both_tokenise_repair_and_judge_new_chunks_alike():
    from tanggap.language import matching

    normalize = sys.modules["tanggap.language.normalize"]
    chunks, words = _chunks_and_words()
    assert len(chunks) > 10_000 and len(words) > 5_000
    plain = 0
    for chunk in chunks:
        want = normalize._plain_chunk_tokens(chunk)
        assert _compiled().plain_chunk_tokens(chunk) == want, chunk
        plain += want is not None
    assert 5_000 < plain < len(chunks) - 1_000  # both answers are exercised
    for word in words:
        assert _compiled().repair_word(word) == normalize._repair_word(word), word
    affixed = [prefix + sep + root + suffix + clitic
               for root in sorted(matching._kasar_words())
               for prefix in matching._PREFIXES_AND_NONE for sep in ("", "-")
               for suffix in ("", *matching._SUFFIXES, "-" + root) for clitic in ("", "nya")]
    roots = 0
    for word in words + [word.lower() for word in words] + affixed:
        want = matching._affixed_root(word)
        assert _compiled().affixed_root(word) == want, word
        roots += want is not None
    assert 10_000 < roots < len(affixed)
    by_norm, by_spelling = matching._kasar_cue_bits()
    cues = set()
    for chunk in chunks:
        tokens = normalize._chunk_tokens(chunk)
        want = matching._kasar_cues(tokens, by_norm, by_spelling)
        assert _compiled().kasar_cues(tokens, by_norm, by_spelling) == want, chunk
        cues.add(want)
    assert cues == {0, 1, 2, 4, 8, 9, 10}  # every bit is exercised
    assert normalize.plain_chunk_tokens is _compiled().plain_chunk_tokens
    assert normalize.repair_word.__wrapped__ is _compiled().repair_word
    assert matching.kasar_cues is _compiled().kasar_cues
    assert matching.affixed_root.__wrapped__ is _compiled().affixed_root
