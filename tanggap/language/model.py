"""The trained head: scikit-learn linear models on sparse word and character n-grams.

One model file holds up to three heads, each fitted only when the training rows carry that
label with at least two values: ``topic``, ``intent`` and ``kasar``. Each head is a
``LinearSVC`` on binary TF-IDF features (normalised words, word pairs, the repaired spelling of
slang, character 3–5-grams of every word, and the cold rules' verdict as one more feature).

Its scores become probabilities by a blend fitted on held-out rows (``_FOLDS``-fold
cross-validation)::

    p(label) ∝ exp(scale · svm_score(label) + prior · log rules(label))

so the rules are a prior the head can outweigh but never a veto, and a head trained on few
rows, whose held-out scores say little, gets a small ``scale`` and leaves the rules in charge.
The same held-out rows give the threshold under which the head abstains (the least
probability at which its answers were still 90 % right) and the cross-validated figures the
desk shows. Nothing is read from the clock and the folds are fixed, so the same rows always
give the same file.

The file is a NumPy ``.npz`` archive without pickles (loading a model can run no code): a JSON
header and, per head, its vocabulary, weights (idf folded in, float16) and biases. Classifying
needs no scikit-learn: a dictionary lookup per feature and one small matrix sum, so that
``classify`` keeps thousands of messages a second; scikit-learn is imported only to train.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .normalize import EMOJI, MENTION, PUNCT, URL, Token

FORMAT = "tanggap-language-model"
VERSION = 2
HEADS = ("topic", "intent", "kasar")
PRECISION_TARGET = 0.90

_FOLDS = 3
_C = 0.5
_MIN_DF = 2
_MAX_FEATURES = 150_000

Progress = Callable[[int, int], None]


def features(tokens: list[Token], extra: Sequence[str] = ()) -> list[str]:
    """Binary features of a message, each once: per word its normalised form, the repaired
    spelling where slang was replaced and character 3–5-grams (``_word_features``); word
    pairs; links, mentions and ``?``; and ``extra`` (the rules' verdicts)."""
    feats: set[str] = set(extra)
    words: list[str] = []
    for token in tokens:
        special = _special(token)
        if special is not None:
            if special:
                feats.add(special)
            continue
        words.append(token.norm)
        feats.update(_word_features(token.norm, token.base, token.kind == EMOJI))
    feats.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    return list(feats)


_NOT_WORDS = frozenset({PUNCT, URL, MENTION})


def _special(token: Token) -> str | None:
    """The feature of a token that is not a word ("" for none), or None for a word."""
    kind = token.kind
    if kind == PUNCT:
        return "?" if token.norm == "?" else ""
    if kind == URL:
        return "<url>"
    if kind == MENTION:
        return "<mention>"
    return None


@lru_cache(maxsize=1 << 16)
def _word_features(norm: str, base: str, emoji: bool) -> tuple[str, ...]:
    # Character grams carry regional and misspelt forms of a known stem ("didandani",
    # "dandosi", "bolong-bolong") that no slang table lists. Cached: words repeat a lot.
    if emoji:
        return (norm,)
    padded = f"<{base}>"
    size = len(padded)
    grams = [f"#{padded[i:i + n]}" for n in (3, 4, 5) for i in range(size - n + 1)]
    return (norm, base, *grams) if base != norm else (norm, *grams)


@dataclass
class Head:
    """One linear classifier over the model's shared features, and its blend with the rules.

    Its weights are the columns ``start .. start + len(labels)`` of ``Model.weights``.
    ``report`` holds the cross-validated figures: ``rows, folds, accuracy, macro_f1,
    rules_accuracy, model_accuracy, threshold, coverage, precision``.
    """

    labels: list[str]
    start: int
    bias: np.ndarray
    scale: float
    prior: float
    threshold: float
    report: dict = field(default_factory=dict)

    def decision(self, sums: np.ndarray) -> np.ndarray:
        """This head's scores from ``Model.sums`` / ``batch_sums`` (the last axis)."""
        return sums[..., self.start:self.start + len(self.labels)] + self.bias


@dataclass
class Model:
    """A trained model: a shared vocabulary (feature → row of ``weights``, idf folded in),
    its heads, and how many rows each head was fitted on."""

    vocab: list[str]
    idf_sq: np.ndarray
    weights: np.ndarray
    heads: dict[str, Head]
    trained_rows: dict[str, int]
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _word_ids: dict[tuple, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _is_word: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)

    def __post_init__(self) -> None:
        self.weights = np.ascontiguousarray(self.weights, dtype=np.float32)
        self._index = {word: i for i, word in enumerate(self.vocab)}
        # Reasons name words and word pairs, not character grams or the rules' own verdicts.
        self._is_word = np.array([not word.startswith(("#", "rule:")) for word in self.vocab],
                                 dtype=bool)

    def ids(self, tokens: list[Token], extra: Sequence[str] = ()) -> np.ndarray:
        """The vocabulary rows of ``features(tokens, extra)``, each once (same features,
        without building their strings again: each word's rows are cached)."""
        index, cache = self._index, self._word_ids
        if len(cache) > 100_000:
            cache.clear()
        get = index.get
        found: set[int] = {i for i in map(get, extra) if i is not None}
        words: list[str] = []
        for token in tokens:
            kind = token.kind
            if kind in _NOT_WORDS:
                special = _special(token)
                if special and (i := get(special)) is not None:
                    found.add(i)
                continue
            words.append(token.norm)
            key = (token.norm, token.base, kind == EMOJI)
            rows = cache.get(key)
            if rows is None:
                rows = cache[key] = tuple(
                    i for i in map(get, _word_features(*key)) if i is not None)
            found.update(rows)
        found.update(i for i in map(get, map(" ".join, zip(words, words[1:], strict=False)))
                     if i is not None)
        return np.fromiter(found, dtype=np.intp, count=len(found))

    def batch_sums(self, id_lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``sums`` for many messages at once (rows × all heads' labels; zeros where the
        model knows none of a message's features) and which messages it knew anything of."""
        lengths = np.fromiter(map(len, id_lists), dtype=np.intp, count=len(id_lists))
        known = lengths > 0
        sums = np.zeros((len(id_lists), self.weights.shape[1]), dtype=np.float32)
        if known.any():
            flat = np.concatenate([ids for ids in id_lists if len(ids)])
            starts = np.cumsum(lengths[known]) - lengths[known]
            norms = np.sqrt(np.add.reduceat(self.idf_sq[flat], starts))
            sums[known] = np.add.reduceat(self.weights[flat], starts, axis=0) / norms[:, None]
        return sums, known

    def strongest(self, ids: np.ndarray, head: Head, label: str, limit: int = 3) -> list[str]:
        """The word features among ``ids`` that pushed hardest towards ``label`` (reasons)."""
        ids = ids[self._is_word[ids]]
        if not len(ids):
            return []
        column = self.weights[ids, head.start + head.labels.index(label)]
        top = np.argsort(-column, kind="stable")[:limit]
        return [self.vocab[ids[i]] for i in top if column[i] > 0]

    def save(self, path: str | Path) -> None:
        meta = {"format": FORMAT, "version": VERSION, "trained_rows": self.trained_rows,
                "heads": {name: {"labels": h.labels, "start": h.start, "bias": h.bias.tolist(),
                                 "scale": h.scale, "prior": h.prior, "threshold": h.threshold,
                                 "report": h.report}
                          for name, h in self.heads.items()}}
        arrays = {
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            "vocab": np.frombuffer("\n".join(self.vocab).encode(), dtype=np.uint8),
            "weights": self.weights.astype(np.float16),
            "idf_sq": self.idf_sq.astype(np.float32),
        }
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        Path(path).write_bytes(buffer.getvalue())


def load_model(path: str | Path) -> Model:
    """Read a model written by ``Model.save``; raises ``ValueError`` on any other file."""
    data = Path(path).read_bytes()
    if not data.startswith(b"PK"):
        try:
            old = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            old = None
        if isinstance(old, dict) and old.get("format") == FORMAT:
            raise ValueError(f"{path}: model version {old.get('version')} is not {VERSION}; "
                             "train it again with `tanggap train`")
        raise ValueError(f"{path}: not a Tanggap language model")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes())
            words = archive["vocab"].tobytes().decode()
            weights, idf_sq = archive["weights"], archive["idf_sq"]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValueError(f"{path}: not a Tanggap language model ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a Tanggap language model")
    if meta.get("version") != VERSION:
        raise ValueError(f"{path}: model version {meta.get('version')} is not {VERSION}")
    heads = {name: Head(labels=h["labels"], start=h["start"],
                        bias=np.array(h["bias"], dtype=np.float32), scale=h["scale"],
                        prior=h["prior"], threshold=h["threshold"], report=h["report"])
             for name, h in meta["heads"].items()}
    return Model(vocab=words.split("\n") if words else [], idf_sq=idf_sq, weights=weights,
                 heads=heads, trained_rows=meta.get("trained_rows", {}))


def fit(
    docs: list[list[str]],
    by_head: dict[str, tuple[list[int], list[str], Callable[[list[str]], np.ndarray]]],
    *,
    progress: Progress | None = None,
) -> Model:
    """Fit one head per entry of ``by_head`` that has at least two different labels.

    ``docs`` are every row's features; ``by_head[name] = (rows, gold, prior_of)``: the rows
    (indices into ``docs``) labelled for that head, their labels, and ``prior_of(labels)``,
    the rules' log-probabilities of those rows in that label order (rows × labels).
    ``progress(done, total)`` is called after each fit (the folds and the final one).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    plans = [(name, plan) for name, plan in by_head.items() if len(set(plan[1])) >= 2]
    if not plans:
        raise ValueError("training needs at least two different labels for topic, intent or kasar")
    total = (_FOLDS + 1) * len(plans)
    done = [0]

    def step() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    # One vocabulary and idf for every head, fitted on all rows, held-out ones included: they
    # use no label, and one shared lookup keeps classify fast.
    vectorizer = TfidfVectorizer(analyzer=_identity, binary=True, min_df=_MIN_DF,
                                 max_features=_MAX_FEATURES, dtype=np.float32)
    try:
        x = vectorizer.fit_transform(docs)
    except ValueError:  # no feature in two rows: keep them all rather than none
        vectorizer = TfidfVectorizer(analyzer=_identity, binary=True, dtype=np.float32)
        x = vectorizer.fit_transform(docs)
    idf = vectorizer.idf_.astype(np.float32)
    heads: dict[str, Head] = {}
    columns: list[np.ndarray] = []
    start = 0
    for name, (rows, gold, prior_of) in plans:
        head, coef = fit_head(x[rows], gold, prior_of, step)
        head.start = start
        start += len(head.labels)
        heads[name] = head
        columns.append(coef.T * idf[:, None])
    vocab = [""] * len(vectorizer.vocabulary_)
    for word, i in vectorizer.vocabulary_.items():
        vocab[i] = word
    return Model(vocab=vocab, idf_sq=idf * idf, weights=np.hstack(columns), heads=heads,
                 trained_rows={name: len(plan[1]) for name, plan in plans})


def fit_head(
    x, gold: list[str], prior_of: Callable[[list[str]], np.ndarray], step: Callable[[], None],
) -> tuple[Head, np.ndarray]:
    """One head on the rows ``x`` (its weights are returned apart, to be joined)."""
    labels = sorted(set(gold))
    y = np.array([labels.index(label) for label in gold])
    priors = prior_of(labels)
    held_out = np.zeros((len(gold), len(labels)), dtype=np.float64)
    for train_idx, test_idx in _folds(y):
        held_out[test_idx] = _svm_scores(x[train_idx], y[train_idx], x[test_idx], len(labels))
        step()
    scale, prior = _fit_blend(held_out, priors, y)
    probs = _softmax_rows(scale * held_out + prior * priors)
    predicted = probs.argmax(axis=1)
    threshold, coverage, precision = abstention_threshold(probs.max(axis=1), predicted == y)
    coef, intercept = _svm(x, y, len(labels))
    step()
    report = {
        "rows": len(gold), "folds": _FOLDS,
        "accuracy": _round(float(np.mean(predicted == y))),
        "macro_f1": _round(macro_f1(y, predicted, len(labels))),
        "rules_accuracy": _round(float(np.mean(priors.argmax(axis=1) == y))),
        "model_accuracy": _round(float(np.mean(held_out.argmax(axis=1) == y))),
        "threshold": _round(threshold), "coverage": _round(coverage),
        "precision": _round(precision),
    }
    head = Head(labels=labels, start=0, bias=intercept.astype(np.float32), scale=_round(scale),
                prior=_round(prior), threshold=_round(threshold), report=report)
    return head, coef


def _identity(doc):
    return doc


def _folds(y: np.ndarray):
    from sklearn.model_selection import KFold, StratifiedKFold

    smallest = np.bincount(y).min()
    splitter = (StratifiedKFold(_FOLDS, shuffle=True, random_state=13) if smallest >= _FOLDS
                else KFold(_FOLDS, shuffle=True, random_state=13))
    return splitter.split(np.zeros(len(y)), y)


def _svm(x, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights (k × features) and biases (k) of a LinearSVC; labels absent from ``y`` get a
    constant low score, and a two-label problem is written as two symmetric columns."""
    from sklearn.svm import LinearSVC

    present = np.unique(y)
    coef = np.zeros((k, x.shape[1]), dtype=np.float64)
    intercept = np.full(k, -10.0)
    if len(present) < 2:
        intercept[present] = 10.0
        return coef, intercept
    svm = LinearSVC(C=_C, class_weight="balanced", random_state=13).fit(x, y)
    if len(present) == 2:
        low, high = present
        coef[low], coef[high] = -svm.coef_[0] / 2, svm.coef_[0] / 2
        intercept[low], intercept[high] = -svm.intercept_[0] / 2, svm.intercept_[0] / 2
    else:
        coef[present], intercept[present] = svm.coef_, svm.intercept_
    return coef, intercept


def _svm_scores(x_train, y_train, x_test, k: int) -> np.ndarray:
    coef, intercept = _svm(x_train, y_train, k)
    return np.asarray(x_test @ coef.T) + intercept


def _fit_blend(scores: np.ndarray, priors: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``scale`` and ``prior`` that minimise the held-out log-loss of the blend."""
    from scipy.optimize import minimize

    rows = np.arange(len(y))

    def loss(params: np.ndarray) -> float:
        logits = params[0] * scores + params[1] * priors
        logits -= logits.max(axis=1, keepdims=True)
        return float(-(logits[rows, y] - np.log(np.exp(logits).sum(axis=1))).mean())

    best = minimize(loss, np.array([1.0, 1.0]), method="L-BFGS-B",
                    bounds=[(0.0, 50.0), (0.0, 10.0)])
    return float(best.x[0]), float(best.x[1])


def abstention_threshold(confidence: np.ndarray, right: np.ndarray,
                         target: float = PRECISION_TARGET) -> tuple[float, float, float]:
    """The least confidence at which the answers at or above it are still ``target`` right.

    Returns ``(threshold, coverage, precision)``: the share of rows answered at that threshold
    and how many of them were right. When not even the surest answer reaches the target the
    threshold is above 1: the head always says it is unsure.
    """
    order = np.argsort(-confidence, kind="stable")
    ranked = confidence[order]
    precision = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    # Only the last row of a run of equal confidences can end the answered set: a threshold
    # answers every row at or above it, ties included.
    ends = np.nonzero(np.append(ranked[1:] != ranked[:-1], True))[0]
    good = ends[precision[ends] >= target]
    if not len(good):
        return 1.01, 0.0, 0.0
    last = good[-1]
    return float(ranked[last]), float((last + 1) / len(order)), float(precision[last])


def macro_f1(gold: np.ndarray, predicted: np.ndarray, k: int) -> float:
    f1s = []
    for label in range(k):
        if not (gold == label).any():
            continue
        tp = float(np.sum((gold == label) & (predicted == label)))
        fp = float(np.sum((gold != label) & (predicted == label)))
        fn = float(np.sum((gold == label) & (predicted != label)))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def _softmax(logits: np.ndarray) -> np.ndarray:
    exps = np.exp(logits - logits.max())
    return exps / exps.sum()


def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def _round(value: float) -> float:
    return round(value, 4)
