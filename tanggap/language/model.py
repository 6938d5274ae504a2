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
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from .normalize import EMOJI, MENTION, PUNCT, URL, Token, _chunk_tokens
from .rows import ones, row_sums, unique_rows

try:
    from ._fast import message_rows, strongest_rows
except ImportError:  # built without a C compiler: the same functions in Python
    from .rows import message_rows, strongest_rows

FORMAT = "tanggap-language-model"
VERSION = 2
HEADS = ("topic", "intent", "kasar")
PRECISION_TARGET = 0.90

_FOLDS = 3
_FEW_ROWS = 3000
_C = 0.5
# Yes/no heads (NB-SVM) chose a weaker regularisation by held-out F1 on the train side of
# id_multilabel_hs.
_C_YES_NO = 1.0
_TOL = 1e-2  # liblinear's default is 1e-4: half the passes, the same held-out figures
_MIN_DF = 2
_MAX_FEATURES = 150_000

Progress = Callable[[int, int], None]


def features(tokens: list[Token], extra: Sequence[str] = ()) -> list[str]:
    """Binary features of a message, each once, in a fixed order (so that training gives the
    same file every time): per word its normalised form, the repaired spelling where slang was
    replaced and character 3–5-grams (``_word_features``); word pairs; links, mentions and
    ``?``; and ``extra`` (the rules' verdicts)."""
    feats: list[str] = list(extra)
    words: list[str] = []
    for token in tokens:
        special = _special(token)
        if special is not None:
            if special:
                feats.append(special)
            continue
        words.append(token.norm)
        feats.extend(_word_features(token.norm, token.base, token.kind == EMOJI))
    feats.extend(map(" ".join, zip(words, words[1:], strict=False)))
    return list(dict.fromkeys(feats))


_NOT_WORDS = frozenset({PUNCT, URL, MENTION})
_NOT_PLAIN_WORDS = _NOT_WORDS | {EMOJI}


def _new_word_rows(word_rows: _WordRows, key: tuple[str, str]) -> tuple[int, ...]:
    """``_WordRows.__missing__``: the rows of a word the process has never seen, cached.
    ``_fast.new_word_rows`` is the same function compiled."""
    base, norm = key
    get, gram = word_rows.index.get, word_rows.grams.get
    padded = f"<{base}>"
    size = len(padded)
    rows = [get(norm, -1), get(base, -1) if base != norm else -1]
    rows += [gram(padded[i:i + n], -1) for n in (3, 4, 5) for i in range(size - n + 1)]
    found = word_rows[key] = tuple(filter((-1).__ne__, rows))
    return found


def _new_chunk_rows(chunk_rows: _ChunkRows, chunk: str) -> bytes:
    """``_ChunkRows.__missing__``: the rows of a chunk the process has never seen, and its
    words, cached. ``_fast.new_chunk_rows`` is the same function compiled."""
    # Most chunks are one word: one pass, no deduplication (the message's rows are
    # deduplicated, and their -1s dropped, once all are joined).
    model = chunk_rows.model
    word_rows = model._word_ids
    rows: list[int] = []
    words: list[str] = []
    for token in _chunk_tokens(chunk):
        kind = token[5]
        if kind in _NOT_PLAIN_WORDS:
            rows.append(model._special_row(token))
        else:
            rows.extend(word_rows[token[1:3]])
        if kind not in _NOT_WORDS:
            words.append(token[2])
    chunk_rows.words[chunk] = tuple(words)
    found = chunk_rows[chunk] = np.array(rows, dtype=np.intp).tobytes()
    return found


try:
    from ._fast import GramTable, new_chunk_rows, new_word_rows
except ImportError:  # built without a C compiler (or an older build): the Python twins
    GramTable, new_chunk_rows, new_word_rows = None, _new_chunk_rows, _new_word_rows


class _WordRows(dict):
    """(base, norm) of a plain word → the vocabulary rows of its ``_word_features`` (those the
    model knows); a miss computes them (so ``map(rows.__getitem__, keys)`` stays in C for
    words seen before)."""

    __missing__ = new_word_rows

    def __init__(self, index: dict[str, int]) -> None:
        super().__init__()
        self.index = index
        # The compiled part looks a word's character grams up by their code points
        # (``_fast.GramTable``), without building a string per gram: a first-sight hot spot.
        self.table = GramTable(index) if GramTable is not None else None

    @cached_property
    def grams(self) -> dict[str, int]:
        """Character grams without their "#", for the Python twin: a new word's grams are
        looked up as slices, without building the feature strings."""
        return {name[1:]: row for name, row in self.index.items() if name.startswith("#")}


class _ChunkRows(dict):
    """A space-separated chunk (``normalize.split_chunks``) → the vocabulary rows of its
    tokens (each word's ``_WordRows``, links, mentions, ``?`` and emoji; -1 for unknown
    ones), as the bytes of an ``np.intp`` array: joined by one ``bytes.join`` per message,
    and read in place by the compiled part; a miss also puts the chunk's words (for word
    pairs) in ``words``. Citizens repeat whole chunks ("jalan", "rusak,"), so a message seen for the
    first time is mostly chunks seen before: one lookup each, and its rows are joined and
    deduplicated by array calls."""

    __missing__ = new_chunk_rows

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.model = model
        self.words = _ChunkWords()
        self.pairs = _pair_rows(model._index)

    def clear(self) -> None:
        super().clear()
        self.words.clear()


def _pair_rows(index: dict[str, int]) -> dict[str, dict[str, int]]:
    """Every feature with a space, split at each space: ``pairs[left][right]`` is
    ``index[f"{left} {right}"]``, so that the compiled part finds a word pair's row by two
    lookups of words it holds instead of building the pair's string."""
    pairs: dict[str, dict[str, int]] = {}
    for name, row in index.items():
        at = name.find(" ")
        while at >= 0:
            pairs.setdefault(name[:at], {})[name[at + 1:]] = row
            at = name.find(" ", at + 1)
    return pairs


class _ChunkWords(dict):
    """A chunk → its words for word pairs. Filled with its rows by ``_ChunkRows``; a miss (the
    caches were cleared, by another thread too, between the two lookups) computes them."""

    def __missing__(self, chunk: str) -> tuple[str, ...]:
        found = self[chunk] = tuple(t[2] for t in _chunk_tokens(chunk) if t[5] not in _NOT_WORDS)
        return found


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
    cutoff: float = 0.5
    orders: dict = field(default_factory=dict, repr=False, compare=False)  # triage's cache

    def decision(self, sums: np.ndarray) -> np.ndarray:
        """This head's scores from ``Model.sums`` / ``batch_sums`` (the last axis)."""
        return sums[..., self.start:self.start + len(self.labels)] + self.bias


@dataclass(frozen=True, slots=True)
class Encoded:
    """A batch of messages as the model sees them: each message's vocabulary rows (``ids``,
    sorted, with the message of each in ``owner``), whether the model knew any of its
    features, and the sums of their weights (messages × every head's labels)."""

    ids: np.ndarray
    owner: np.ndarray
    known: np.ndarray
    sums: np.ndarray


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
    _word_ids: _WordRows = field(default_factory=lambda: _WordRows({}), repr=False)
    _is_word: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _chunk_ids: _ChunkRows = field(default=None, repr=False)
    _biases: np.ndarray | None = field(default=None, repr=False)
    _scales: np.ndarray | None = field(default=None, repr=False)
    _table: np.ndarray | None = field(default=None, repr=False)
    _word_flags: bytes = field(default=b"", repr=False)  # ``_is_word`` as bytes, for C

    def __post_init__(self) -> None:
        # Each feature's weights and, last, its squared idf: one row to fetch per feature of
        # a message (float32: a float64 table, twice the memory, was fetched slower on a busy
        # machine). Its rows are summed in float64 (``_sums``). ``weights`` is a view of it.
        table = np.empty((len(self.idf_sq), self.weights.shape[1] + 1), dtype=np.float32)
        table[:, :-1] = self.weights
        table[:, -1] = self.idf_sq
        self._table, self.weights = table, table[:, :-1]
        self._index = {word: i for i, word in enumerate(self.vocab)}
        self._word_ids = _WordRows(self._index)
        self._chunk_ids = _ChunkRows(self)
        # Reasons name words and word pairs, not character grams or the rules' own verdicts.
        self._is_word = np.array([not word.startswith(("#", "rule:")) for word in self.vocab],
                                 dtype=bool)
        self._word_flags = self._is_word.tobytes()

    def encode(self, docs: Sequence[tuple[list[Token], Sequence[str]]],
               chunks: Sequence[list[str] | None] | None = None) -> Encoded:
        """The vocabulary rows of ``features(tokens, extra)`` for each ``(tokens, extra)``,
        without building the feature strings again (each word's rows are cached, and each
        chunk's where ``chunks`` gives a message's ``split_chunks``), and their weighted sums
        (what ``features`` + a sparse product would give, in one pass)."""
        self._bound_caches()
        found = [self._rows(tokens, extra, None if chunks is None else chunks[i])
                 for i, (tokens, extra) in enumerate(docs)]
        if len(found) == 1:
            return self._encoded_one(found[0])
        return self._encoded(np.concatenate(found), [len(rows) for rows in found])

    def encode_one(self, tokens: list[Token], extra: Sequence[str],
                   chunks: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``encode([(tokens, extra)], [chunks])`` for one message, as ``(ids, sums)`` (the
        row of sums alone): the same arithmetic in the same order, without the batch's
        arrays."""
        self._bound_caches()
        if chunks is not None:
            return message_rows(self._chunk_ids, chunks, extra, self._index, self._table)
        ids = unique_rows(self._rows(tokens, extra, chunks))
        if not len(ids):
            return ids, np.zeros(self.weights.shape[1], dtype=np.float32)
        return ids, self._sums(ids)

    def _sums(self, ids: np.ndarray) -> np.ndarray:
        """The weights of the features ``ids`` summed (``rows.row_sums``)."""
        return row_sums(self._table, ids)

    def decisions(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every head's ``decision`` of one message's ``sums`` in one array (each head's
        columns where ``Head.start`` says), and each column's head ``scale`` as float32."""
        if self._biases is None:
            self._biases = np.zeros(self.weights.shape[1], dtype=np.float32)
            self._scales = np.zeros(self.weights.shape[1], dtype=np.float32)
            for head in self.heads.values():
                columns = slice(head.start, head.start + len(head.labels))
                self._biases[columns] = head.bias
                self._scales[columns] = head.scale
        return sums + self._biases, self._scales

    def _bound_caches(self) -> None:
        if len(self._word_ids) > 100_000:
            self._word_ids.clear()
        if len(self._chunk_ids) > 100_000:
            self._chunk_ids.clear()

    def clear_caches(self) -> None:
        """Forget every word and chunk seen (as a freshly loaded model)."""
        self._word_ids.clear()
        self._chunk_ids.clear()

    def _rows(self, tokens: list[Token], extra: Sequence[str],
              chunks: list[str] | None = None) -> np.ndarray:
        """The vocabulary rows of one message's features (-1 for those the model does not
        know; repeats included: the caller dedupes). ``chunks``: the message's
        ``split_chunks``, whose tokens ``tokens`` are (None: look each token up)."""
        get = self._index.get
        if chunks is None:
            rows: list[int] = []
            self._token_rows(tokens, rows.extend)
            parts = [np.array(rows, dtype=np.intp).tobytes()]
            words = [t[2] for t in tokens if t[5] not in _NOT_WORDS]
        else:
            parts = list(map(self._chunk_ids.__getitem__, chunks))  # fills .words too
            words = list(chain.from_iterable(map(self._chunk_ids.words.__getitem__, chunks)))
        # Word pairs are mostly new to a message: joining them beats caching them.
        parts.append(np.fromiter(map(get, chain(extra, map(
            " ".join, zip(words, words[1:], strict=False))), repeat(-1)), dtype=np.intp).tobytes())
        return np.frombuffer(b"".join(parts), dtype=np.intp)

    def _token_rows(self, tokens: list[Token], add: Callable) -> None:
        """``add`` the vocabulary rows of each token's own features (all but word pairs)."""
        # Word rows by C-level passes: the per-token Python loop was the hot spot.
        add(chain.from_iterable(map(self._word_ids.__getitem__, dict.fromkeys(
            [t[1:3] for t in tokens if t[5] not in _NOT_PLAIN_WORDS]))))
        others = [t for t in tokens if t[5] in _NOT_PLAIN_WORDS]
        if others:
            add([self._special_row(token) for token in others])

    def _special_row(self, token: Token) -> int:
        kind = token[5]
        if kind == EMOJI:
            return self._index.get(token[2], -1)
        if kind == PUNCT:
            return self._index.get("?", -1) if token[2] == "?" else -1
        return self._index.get("<url>" if kind == URL else "<mention>", -1)

    def _encoded(self, flat: np.ndarray, counts: list[int]) -> Encoded:
        rows = len(counts)
        size = len(self.vocab) + 1
        # Sorting (message, id) keys dedupes features within a message (they are binary) and
        # groups each message's ids. 32-bit keys while they fit: NumPy sorts them several
        # times faster than 64-bit ones.
        dtype = np.int32 if rows * size < 2**31 else np.int64
        ids = flat.astype(dtype)
        owner = np.repeat(np.arange(rows, dtype=dtype), counts)
        found = ids >= 0
        keys = np.sort(owner[found] * dtype(size) + ids[found])
        if len(keys):
            keys = keys[np.append(True, keys[1:] != keys[:-1])]
        owner, ids = keys // size, keys % size
        per_row = np.bincount(owner, minlength=rows)
        known = per_row > 0
        sums = np.zeros((rows, self.weights.shape[1]), dtype=np.float32)
        if len(ids):
            # One product per message, as ``_sums`` (so the same float32 numbers), over rows
            # fetched at once. NumPy's sums of row blocks (reduceat) pay a fixed cost per row.
            gathered = np.take(self._table, ids, axis=0)
            totals = np.empty((int(known.sum()), gathered.shape[1]))
            ones_ = ones(int(per_row.max()))
            end = 0
            for row, count in enumerate(per_row[known].tolist()):
                totals[row] = np.dot(ones_[:count], gathered[end:end + count])
                end += count
            totals = totals.astype(np.float32)
            sums[known] = totals[:, :-1] / np.sqrt(totals[:, -1:])
        return Encoded(ids=ids, owner=owner, known=known, sums=sums)

    def _encoded_one(self, flat: np.ndarray) -> Encoded:
        # One message (the desk triages each as it arrives): three array calls, where the
        # batch path's sorting and reduceat cost more than they save.
        ids = unique_rows(flat)
        sums = np.zeros((1, self.weights.shape[1]), dtype=np.float32)
        if len(ids):
            sums[0] = self._sums(ids)
        return Encoded(ids=ids, owner=np.zeros(len(ids), dtype=np.intp),
                       known=np.array([len(ids) > 0]), sums=sums)

    def strongest(self, encoded: Encoded, head: Head, labels: np.ndarray,
                  limit: int = 3) -> list[list[str]]:
        """Per message, the word features that pushed hardest towards its label (``labels``:
        one column of ``head`` per message, -1 for none): the reasons a desk can read."""
        reasons: list[list[str]] = [[] for _ in labels]
        ids, owner = encoded.ids, encoded.owner
        column = labels[owner]
        pick = self._is_word[ids] & (column >= 0)
        ids, owner = ids[pick], owner[pick]
        weight = self.weights[ids, head.start + column[pick]]
        positive = weight > 0
        ids, owner, weight = ids[positive], owner[positive], weight[positive]
        if len(labels) == 1:  # one message: one argsort (ids are sorted: ties by id)
            top = np.argsort(-weight, kind="stable")[:limit]
            reasons[0] = [self.vocab[i] for i in ids[top].tolist()]
            return reasons
        order = np.lexsort((ids, -weight, owner))
        ranked_owner = owner[order]
        first = np.searchsorted(ranked_owner, ranked_owner)
        keep = order[np.arange(len(order)) - first < limit]
        vocab = self.vocab
        for row, i in zip(owner[keep].tolist(), ids[keep].tolist(), strict=True):
            reasons[row].append(vocab[i])
        return reasons

    def strongest_one(self, ids: np.ndarray, head: Head, column: int,
                      limit: int = 3) -> list[str]:
        """``strongest`` for one message: ``ids`` from ``encode_one``, ``column`` its label's
        column of ``head`` (-1 for none)."""
        if column < 0:
            return []
        return strongest_rows(ids, self._word_flags, self._table, head.start + column,
                              self.vocab, limit)

    def save(self, path: str | Path) -> None:
        meta = {"format": FORMAT, "version": VERSION, "trained_rows": self.trained_rows,
                "heads": {name: {"labels": h.labels, "start": h.start, "bias": h.bias.tolist(),
                                 "scale": h.scale, "prior": h.prior, "threshold": h.threshold,
                                 "cutoff": h.cutoff, "report": h.report}
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
                        prior=h["prior"], threshold=h["threshold"], report=h["report"],
                        cutoff=h.get("cutoff", 0.5))
             for name, h in meta["heads"].items()}
    return Model(vocab=words.split("\n") if words else [], idf_sq=idf_sq, weights=weights,
                 heads=heads, trained_rows=meta.get("trained_rows", {}))


def fit(
    docs: list[list[str]],
    by_head: dict[str, tuple[list[int], list[str], Callable[[list[str]], np.ndarray]]],
    *,
    progress: Progress | None = None,
    workers: int = 1,
) -> Model:
    """Fit one head per entry of ``by_head`` that has at least two different labels.

    ``docs`` are every row's features; ``by_head[name] = (rows, gold, prior_of)``: the rows
    (indices into ``docs``) labelled for that head, their labels, and ``prior_of(labels)``,
    the rules' log-probabilities of those rows in that label order (rows × labels).
    ``progress(done, total)`` is called after each fit (the folds and the final one).
    ``workers`` threads fit at once (liblinear releases the GIL, so they run in parallel);
    with more than one the weights may differ in their last digits from run to run
    (liblinear's random generator is shared between threads), with one the same rows always
    give the same file.
    """
    plans = [(name, plan) for name, plan in by_head.items() if len(set(plan[1])) >= 2]
    if not plans:
        raise ValueError("training needs at least two different labels for topic, intent or kasar")
    matrix = _Matrix.build(docs)
    groups = near_duplicates(matrix.shingles, matrix.starts)
    folds = _fold_count(len(docs))
    jobs = []
    for name, (rows, gold, prior_of) in plans:
        labels = sorted(set(gold))
        rows = np.asarray(rows, dtype=np.intp)
        y = np.array([labels.index(label) for label in gold])
        fold_of = group_folds(y, groups[rows], folds)
        jobs.append((name, labels, rows, y, prior_of(labels), fold_of))

    def fit_one(task: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        job, fold = task
        _name, labels, rows, y, _priors, fold_of = jobs[job]
        x = matrix.x if len(rows) == matrix.x.shape[0] else matrix.x[rows]
        if fold < 0:
            return _svm(x, y, len(labels))
        test = fold_of == fold
        coef, intercept = _svm(x[~test], y[~test], len(labels))
        return np.asarray(x[test] @ coef.T) + intercept, test

    tasks = [(job, fold) for job in range(len(jobs)) for fold in (*range(folds), -1)]
    results = _run(fit_one, tasks, workers, progress)
    heads: dict[str, Head] = {}
    columns: list[np.ndarray] = []
    start = 0
    for job, (name, labels, rows, y, priors, _fold_of) in enumerate(jobs):
        held_out = np.zeros((len(y), len(labels)), dtype=np.float64)
        for fold in range(folds):
            scores, test = results[(job, fold)]
            held_out[test] = scores
        coef, intercept = results[(job, -1)]
        head = _calibrate(labels, y, held_out, priors, intercept, folds,
                          groups=len(np.unique(groups[rows])))
        head.start = start
        start += len(labels)
        heads[name] = head
        columns.append(coef.T * matrix.idf[:, None])
    # Rounded as the file stores them, so a model answers the same before and after saving.
    weights = np.hstack(columns).astype(np.float16)
    return Model(vocab=matrix.vocab, idf_sq=matrix.idf * matrix.idf, weights=weights,
                 heads=heads, trained_rows={name: len(plan[1]) for name, plan in plans})


def _calibrate(labels: list[str], y: np.ndarray, held_out: np.ndarray, priors: np.ndarray,
               intercept: np.ndarray, folds: int, *, groups: int) -> Head:
    """The blend, abstention threshold and report of a head from its held-out scores."""
    scale, prior = _fit_blend(held_out, priors, y)
    probs = _softmax_rows(scale * held_out + prior * priors)
    predicted = probs.argmax(axis=1)
    threshold, coverage, precision = abstention_threshold(probs.max(axis=1), predicted == y)
    cutoff = 0.5
    if labels == ["false", "true"]:
        # A yes/no head (kasar) says yes where its held-out answers had the best F1, not
        # blindly at 0.5: abusive messages are the rarer class.
        cutoff = best_f1_cutoff(probs[:, 1], y == 1)
        predicted = (probs[:, 1] >= cutoff).astype(int)
    report = {
        "rows": len(y), "groups": groups, "folds": folds,
        "accuracy": _round(float(np.mean(predicted == y))),
        "macro_f1": _round(macro_f1(y, predicted, len(labels))),
        "rules_accuracy": _round(float(np.mean(priors.argmax(axis=1) == y))),
        "model_accuracy": _round(float(np.mean(held_out.argmax(axis=1) == y))),
        "threshold": _round(threshold), "coverage": _round(coverage),
        "precision": _round(precision),
    }
    if labels == ["false", "true"]:
        report["cutoff"] = _round(cutoff)
    return Head(labels=labels, start=0, bias=intercept.astype(np.float32), scale=_round(scale),
                prior=_round(prior), threshold=_round(threshold), report=report,
                cutoff=_round(cutoff))


def best_f1_cutoff(p_true: np.ndarray, gold: np.ndarray) -> float:
    """The probability at or above which saying "true" gave the best F1 on these rows.

    Tried on a coarse grid between 0.2 and 0.8 (ties: nearest 0.5), so that one held-out row
    cannot drag it to an extreme; 0.5 when no row is true.
    """
    if not gold.any():
        return 0.5
    grid = np.round(np.arange(0.2, 0.8001, 0.02), 2)
    said = p_true[None, :] >= grid[:, None]
    tp = (said & gold).sum(axis=1)
    f1 = 2 * tp / (said.sum(axis=1) + gold.sum())
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(grid[best[np.argmin(np.abs(grid[best] - 0.5))]])


def _run(fit_one, tasks, workers: int, progress: Progress | None) -> dict:
    """``fit_one(task)`` for every task, on ``workers`` threads, reporting progress."""
    results = {}
    if workers <= 1:
        outcomes = map(fit_one, tasks)
    else:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=workers)
        outcomes = pool.map(fit_one, tasks)
    try:
        for done, (task, result) in enumerate(zip(tasks, outcomes, strict=True), start=1):
            results[task] = result
            if progress:
                progress(done, len(tasks))
    finally:
        if workers > 1:
            pool.shutdown()
    return results


@dataclass
class _Matrix:
    """Binary TF-IDF rows (l2-normalised, scikit-learn's smooth idf) of the training docs.

    Built here rather than by ``TfidfVectorizer`` because the features are already strings per
    row: one C-level pass gives them ids, ``np.bincount`` their document frequency.
    ``shingles`` are the ids of each row's words and word pairs (before pruning), for
    ``near_duplicates``.
    """

    vocab: list[str]
    idf: np.ndarray
    x: object  # scipy.sparse.csr_matrix
    shingles: np.ndarray
    starts: np.ndarray

    @classmethod
    def build(cls, docs: list[list[str]]) -> _Matrix:
        from scipy.sparse import csr_matrix

        index: defaultdict[str, int] = defaultdict()
        index.default_factory = index.__len__  # an unseen feature gets the next id
        flat: list[int] = []
        getitem = index.__getitem__
        for doc in docs:
            flat.extend(map(getitem, doc))
        lengths = np.fromiter(map(len, docs), dtype=np.intp, count=len(docs))
        ids = np.array(flat, dtype=np.int32)
        names = list(index)
        df = np.bincount(ids, minlength=len(names))
        keep = df >= _MIN_DF
        if not keep.any():  # no feature in two rows: keep them all rather than none
            keep[:] = True
        if keep.sum() > _MAX_FEATURES:
            order = np.argsort(-df, kind="stable")
            keep[:] = False
            keep[order[:_MAX_FEATURES]] = True
        new_id = np.cumsum(keep) - 1
        rows = np.repeat(np.arange(len(docs)), lengths)
        kept = keep[ids]
        n = len(docs)
        idf = (np.log((1 + n) / (1 + df[keep])) + 1).astype(np.float32)
        columns = new_id[ids[kept]]
        data = idf[columns].astype(np.float64)
        row_of = rows[kept]
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n))
        data /= np.where(norms > 0, norms, 1)[row_of]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(row_of, minlength=n))))
        x = csr_matrix((data, columns, indptr), shape=(n, int(keep.sum())))
        x.sort_indices()  # liblinear wants float64 with sorted indices: convert once, not per fit
        vocab = [name for name, kept_name in zip(names, keep.tolist(), strict=True) if kept_name]
        is_shingle = np.fromiter((not name.startswith(("#", "rule:")) for name in names),
                                 dtype=bool, count=len(names))
        shingle = is_shingle[ids]
        starts = np.concatenate(([0], np.cumsum(np.bincount(rows[shingle], minlength=n))))
        return cls(vocab=vocab, idf=idf, x=x, shingles=ids[shingle], starts=starts)


def near_duplicates(shingles: np.ndarray, starts: np.ndarray, *, similarity: float = 0.5,
                    bands: int = 8, rows: int = 4) -> np.ndarray:
    """A group number per document: documents whose words and word pairs overlap by at least
    ``similarity`` (Jaccard) share a group, and so a fold.

    A city's mail holds copies (a letter sent again, the same complaint from a whole street, a
    form letter); split across folds they would make the held-out figures, the calibration
    and the abstention threshold believe the model better than it is on new letters.
    Candidates come from MinHash bands (``bands`` × ``rows`` hashes, seeded), each checked by
    its exact Jaccard before two groups are joined.
    """
    n = len(starts) - 1
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    lengths = np.diff(starts)
    present = np.nonzero(lengths)[0]
    if len(present) < 2:
        return np.arange(n)
    rng = np.random.default_rng(13)
    prime = (1 << 31) - 1
    a = rng.integers(1, prime, size=bands * rows, dtype=np.int64)
    b = rng.integers(0, prime, size=bands * rows, dtype=np.int64)
    unique, inverse = np.unique(shingles, return_inverse=True)
    sets: dict[int, frozenset] = {}

    def words(i: int) -> frozenset:
        found = sets.get(i)
        if found is None:
            found = sets[i] = frozenset(shingles[starts[i]:starts[i + 1]].tolist())
        return found

    for band in range(bands):
        cut = slice(band * rows, (band + 1) * rows)
        hashed = ((a[cut, None] * unique[None, :] + b[cut, None]) % prime)[:, inverse]
        signature = np.minimum.reduceat(hashed, starts[present], axis=1)
        keys = np.ascontiguousarray(signature.T).view(np.dtype((np.void, 8 * rows))).ravel()
        first: dict[bytes, int] = {}
        for doc, key in zip(present.tolist(), keys.tolist(), strict=True):
            other = first.setdefault(key, doc)
            if other == doc:
                continue
            root, other_root = find(doc), find(other)
            if root == other_root:
                continue
            mine, theirs = words(doc), words(other)
            if len(mine & theirs) >= similarity * len(mine | theirs):
                parent[root] = other_root
    return np.fromiter((find(i) for i in range(n)), dtype=np.intp, count=n)


def group_folds(y: np.ndarray, groups: np.ndarray, folds: int, seed: int = 13) -> np.ndarray:
    """The fold of each row: whole groups go to one fold, labels spread evenly (greedy, in a
    seeded order), as scikit-learn's StratifiedGroupKFold does, without its per-group cost."""
    _ids, group, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    label = np.zeros(len(sizes), dtype=np.intp)
    label[group[::-1]] = y[::-1]  # a group's label is its first row's
    order = np.lexsort((np.random.default_rng(seed).random(len(sizes)), -sizes, label))
    per_label = [[0] * folds for _ in range(int(y.max()) + 1)]
    total = [0] * folds
    fold_of_group = np.empty(len(sizes), dtype=np.intp)
    for g in order.tolist():
        counts = per_label[label[g]]
        fold = min(range(folds), key=lambda f: (counts[f], total[f]))
        fold_of_group[g] = fold
        counts[fold] += sizes[g]
        total[fold] += sizes[g]
    return fold_of_group[group]


def _fold_count(rows: int) -> int:
    # Three folds while rows are few (each held-out model sees two thirds); two when there are
    # thousands, where half the rows already train a model like the final one and each fold
    # costs a full fit.
    return _FOLDS if rows < _FEW_ROWS else 2


def _svm(x, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights (k × features) and biases (k) of a LinearSVC; labels absent from ``y`` get a
    constant low score, and a two-label problem is written as two symmetric columns.

    A yes/no head is an NB-SVM (Wang & Manning 2012): each feature is first scaled by its
    log-count ratio between the two labels in these rows, and the scale is folded back into the
    weights, so classifying stays one lookup and sum. On the train side of id_multilabel_hs it
    lifted the kasar head's held-out F1 over a plain SVM (bench_kasar.py).
    """
    from sklearn.svm import LinearSVC

    present = np.unique(y)
    coef = np.zeros((k, x.shape[1]), dtype=np.float64)
    intercept = np.full(k, -10.0)
    if len(present) < 2:
        intercept[present] = 10.0
        return coef, intercept
    ratio = _nb_ratio(x, y == present[-1]) if k == 2 else None
    if ratio is not None:
        from scipy.sparse import diags

        x = x @ diags(ratio)
    svm = LinearSVC(C=_C if ratio is None else _C_YES_NO, tol=_TOL, class_weight="balanced",
                    random_state=13).fit(x, y)
    weights = svm.coef_ * ratio if ratio is not None else svm.coef_
    if len(present) == 2:
        low, high = present
        coef[low], coef[high] = -weights[0] / 2, weights[0] / 2
        intercept[low], intercept[high] = -svm.intercept_[0] / 2, svm.intercept_[0] / 2
    else:
        coef[present], intercept[present] = weights, svm.intercept_
    return coef, intercept


def _nb_ratio(x, positive: np.ndarray) -> np.ndarray:
    """log((share of positive rows with the feature) / (share of negative rows with it)),
    each count smoothed by one."""
    present = x.astype(bool)
    pos = np.asarray(present[positive].sum(axis=0), dtype=np.float64).ravel() + 1
    neg = np.asarray(present[~positive].sum(axis=0), dtype=np.float64).ravel() + 1
    return np.log((pos / pos.sum()) / (neg / neg.sum()))


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
