"""A trainable text classifier: multinomial logistic regression in plain Python.

One model file holds up to three heads, each fitted only when the training rows carry that
label: ``topic``, ``intent`` and ``kasar``. The file is JSON so that it can be read, diffed and
loaded without numpy; weights near zero are dropped to keep it small. Training is
deterministic (fixed shuffle seed, no clock), so the same rows give the same file.

A head also carries how far to trust it against the cold rules (``alpha``, ``threshold``),
chosen by cross-validation on its own training rows (see ``triage.train``); a file without
them, from an older Tanggap, is trusted fully, as it was then.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .normalize import EMOJI, PUNCT, URL, Token

FORMAT = "tanggap-language-model"
VERSION = 1
HEADS = ("topic", "intent", "kasar")

Progress = Callable[[int, int], None]


def features(tokens: list[Token]) -> list[str]:
    """Binary features of a message: normalised words, rude spellings, word pairs, emoji."""
    words: list[str] = []
    feats: set[str] = set()
    for token in tokens:
        if token.kind in (PUNCT, URL):
            if token.kind == URL or token.norm == "?":
                feats.add(token.norm)
            continue
        words.append(token.norm)
        if token.kind != EMOJI and token.base != token.norm:
            feats.add(token.base)
    feats.update(words)
    feats.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    return list(feats)


@dataclass
class Head:
    """One softmax classifier: ``weights[feature]`` holds one weight per label.

    ``alpha`` is the power of the model's probabilities in the blend with the rules (0: the
    rules alone), ``threshold`` the least top probability at which the model is heard at all;
    ``calibration`` records the cross-validated accuracies they were chosen on.
    """

    labels: list[str]
    bias: list[float]
    weights: dict[str, list[float]]
    alpha: float = 1.0
    threshold: float = 0.0
    calibration: dict | None = None

    def predict(self, feats: list[str]) -> tuple[list[float], int]:
        """Class probabilities and how many of ``feats`` the head has seen in training."""
        rows = [row for row in map(self.weights.get, feats) if row is not None]
        known = len(rows)
        # Summing columns with zip(*rows) is several times faster in CPython than adding one
        # row at a time, and classify must keep up with thousands of messages a second.
        columns = zip(*rows, strict=True)
        scores = [b + sum(column) for b, column in zip(self.bias, columns, strict=True)] \
            if rows else list(self.bias)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps], known

    def top_features(self, feats: list[str], label: str, limit: int = 3) -> list[str]:
        """The features in ``feats`` that pushed hardest towards ``label`` (for reasons)."""
        k = self.labels.index(label)
        weights = self.weights
        pushes = [(weights[f][k], f) for f in feats if f in weights]
        return [f for weight, f in heapq.nlargest(limit, pushes) if weight > 0]


@dataclass
class Model:
    """A trained model: its heads and how many rows each was fitted on."""

    heads: dict[str, Head]
    trained_rows: dict[str, int]

    def save(self, path: str | Path) -> None:
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "trained_rows": self.trained_rows,
            "heads": {
                name: {"labels": h.labels, "bias": _rounded(h.bias), "alpha": h.alpha,
                       "threshold": h.threshold, "calibration": h.calibration, "weights": {
                           f: _rounded(row) for f, row in sorted(h.weights.items())}}
                for name, h in self.heads.items()
            },
        }
        Path(path).write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                              encoding="utf-8")


def load_model(path: str | Path) -> Model:
    """Read a model written by ``Model.save``; raises ``ValueError`` on any other file."""
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a Tanggap language model ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path}: not a Tanggap language model")
    if payload.get("version") != VERSION:
        raise ValueError(f"{path}: model version {payload.get('version')} is not {VERSION}")
    heads = {
        name: Head(labels=h["labels"], bias=h["bias"], weights=h["weights"],
                   alpha=h.get("alpha", 1.0), threshold=h.get("threshold", 0.0),
                   calibration=h.get("calibration"))
        for name, h in payload["heads"].items()
    }
    return Model(heads=heads, trained_rows=payload.get("trained_rows", {}))


def train(
    rows_by_head: dict[str, list[tuple[list[str], str]]],
    *,
    epochs: int = 12,
    progress: Progress | None = None,
) -> Model:
    """Fit one head per entry of ``rows_by_head`` (``(features, label)`` pairs) that has at
    least two different labels. ``progress(done, total)`` is called after each pass."""
    plans = [(head, rows) for head, rows in rows_by_head.items()
             if len({label for _feats, label in rows}) >= 2]
    if not plans:
        raise ValueError("training needs at least two different labels for topic, intent or kasar")
    total = epochs * len(plans)
    heads: dict[str, Head] = {}
    for done, (name, rows) in enumerate(plans):
        heads[name] = fit_head(
            rows, epochs=epochs,
            on_epoch=(lambda e, d=done: progress(d * epochs + e, total)) if progress else None,
        )
    return Model(heads=heads, trained_rows={name: len(rows) for name, rows in plans})


def blend(rules: dict[str, float], head: Head, probs: list[float],
          alpha: float) -> dict[str, float]:
    """``rules × model^alpha``, normalised (a product of experts, the model's voice tempered).

    A label the model never saw keeps the rules' share times a small floor, and the other way
    round, so neither side can veto a label it knows nothing about.
    """
    floor = 1e-3
    model_probs = dict(zip(head.labels, probs, strict=True))
    labels = set(rules) | set(model_probs)
    blended = {label: rules.get(label, floor) * model_probs.get(label, floor) ** alpha
               for label in labels}
    total = sum(blended.values())
    return {label: value / total for label, value in blended.items()}


def fit_head(
    rows: list[tuple[list[str], str]],
    *,
    epochs: int,
    on_epoch: Callable[[int], None] | None,
    rate: float = 0.05,
    l2: float = 1e-4,
    min_count: int = 2,
) -> Head:
    # AdaGrad keeps rare but decisive words (a street-light acronym seen twice) from being
    # drowned by frequent ones, without a learning-rate schedule to tune. A feature seen in
    # one row only is dropped: on the project's messages that changed no held-out decision,
    # made the model four times smaller and classify with it about 15 % faster.
    labels = sorted({label for _feats, label in rows})
    k = len(labels)
    counts = Counter(f for feats, _label in rows for f in feats)
    vocab = {f for f, n in counts.items() if n >= min_count}
    weights: dict[str, list[float]] = {f: [0.0] * k for f in vocab}
    grad_sq: dict[str, list[float]] = {f: [1e-8] * k for f in vocab}
    bias, bias_sq = [0.0] * k, [1e-8] * k
    order = list(range(len(rows)))
    shuffle = random.Random(13).shuffle
    for epoch in range(epochs):
        shuffle(order)
        for i in order:
            feats, label = rows[i]
            feats = [f for f in feats if f in vocab]
            target = labels.index(label)
            scores = list(bias)
            for f in feats:
                scores = [s + w for s, w in zip(scores, weights[f], strict=True)]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            errors = [e / total - (1.0 if c == target else 0.0) for c, e in enumerate(exps)]
            for c in range(k):
                bias_sq[c] += errors[c] ** 2
                bias[c] -= rate * errors[c] / math.sqrt(bias_sq[c])
            for f in feats:
                row, acc = weights[f], grad_sq[f]
                for c in range(k):
                    g = errors[c] + l2 * row[c]
                    acc[c] += g * g
                    row[c] -= rate * g / math.sqrt(acc[c])
        if on_epoch:
            on_epoch(epoch + 1)
    kept = {f: row for f, row in weights.items() if max(abs(w) for w in row) >= 1e-3}
    return Head(labels=labels, bias=bias, weights=kept)


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 4) for v in values]
