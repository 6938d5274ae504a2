"""Helpers shared by the language benchmarks: fixed splits and metric tables.

Splits are decided by a hash of the text, never by chance or by looking at results, so every
run and every machine puts each item on the same side.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def clear_caches(model=None) -> None:
    """Forget every word and chunk the engine has seen, as a freshly started process would
    (the lexicons stay loaded). Imports the engine when called, so that a callgrind child
    clears the caches of the checkout it loaded."""
    from tanggap.language.matching import _chunk_kasar_cues, _suspicious, affixed_root
    from tanggap.language.model import _word_features
    from tanggap.language.normalize import _chunk_tokens, repair_word

    for cached in (repair_word, _chunk_tokens, _suspicious, _word_features, affixed_root,
                   _chunk_kasar_cues):
        cached.cache_clear()
    if model is not None:
        model.clear_caches()


def is_test(text: str, percent: int = 25) -> bool:
    """True for the fixed test share of items (by SHA-1 of the text)."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 100 < percent


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def accuracy_macro_f1(gold: list[str], predicted: list[str]) -> tuple[float, float]:
    labels = sorted(set(gold))
    f1s = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        f1s.append(prf(tp, fp, fn)[2])
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return accuracy, sum(f1s) / len(f1s)
