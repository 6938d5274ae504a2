"""A message's feature rows and their sum, in Python: the fallback of ``_fast.pyx``.

``message_rows`` is the model's per-message work on features (``Model.encode_one``): the
cached rows of each chunk, the rows of the rules' verdicts and of the word pairs, each row
once, sorted, and their weights summed. ``_fast.pyx`` is the same function compiled (built by
``uv sync`` where a C compiler is found); this one runs where it is not, and the tests run
both on every bench text and require the same answers.
"""

from __future__ import annotations

from itertools import chain, repeat

import numpy as np

_ones = np.ones(1024)


def message_rows(chunk_rows, chunks: list[str], extra, index: dict[str, int],
                 table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, sums)`` of one message: ``ids`` the rows of ``table`` its features have
    (each once, ascending, as ``np.intp``), ``sums`` their weights summed and divided by the
    l2 norm of their idf (float32; zeros when no feature is known).

    ``chunk_rows``: the model's ``_ChunkRows`` (chunk → its rows as the bytes of an
    ``np.intp`` array, -1 for unknown; its
    ``words``: chunk → its words for word pairs); ``chunks``: the message's
    ``split_chunks``; ``extra``: the rules' verdicts as features; ``index``: feature →
    row; ``table``: float32, each row a feature's weights and, last, its squared idf."""
    parts = list(map(chunk_rows.__getitem__, chunks))  # fills .words too
    words = list(chain.from_iterable(map(chunk_rows.words.__getitem__, chunks)))
    # Word pairs are mostly new to a message: joining them beats caching them.
    parts.append(np.fromiter(map(index.get, chain(extra, map(
        " ".join, zip(words, words[1:], strict=False))), repeat(-1)), dtype=np.intp).tobytes())
    ids = unique_rows(np.frombuffer(b"".join(parts), dtype=np.intp))
    if not len(ids):
        return ids, np.zeros(table.shape[1] - 1, dtype=np.float32)
    return ids, row_sums(table, ids)


def unique_rows(rows: np.ndarray) -> np.ndarray:
    """The rows of ``rows`` that the model knows (>= 0), each once, sorted: one sort and a
    comparison, cheaper than a Python set of a message's few hundred rows."""
    rows = np.sort(rows)
    if len(rows) > 1:
        keep = np.empty(len(rows), dtype=bool)
        keep[0] = True
        np.not_equal(rows[1:], rows[:-1], out=keep[1:])
        rows = rows[keep]
    return rows[1:] if len(rows) and rows[0] < 0 else rows


def row_sums(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The weights of the rows ``ids`` (known, each once, at least one) summed and divided
    by the l2 norm of their idf, as float32.

    The sums are exact to float64 (a few hundred float16 weights and float32 squared idfs)
    and then rounded once, so every path gets the same float32 numbers whatever order it
    adds in: one product with a vector of ones, where NumPy's float32 sum over rows
    (sequential, with a fixed cost per row) took four times as long."""
    totals = np.dot(ones(len(ids))[:len(ids)], np.take(table, ids, axis=0)).astype(np.float32)
    return totals[:-1] / np.sqrt(totals[-1])


def strongest_rows(ids: np.ndarray, is_word: bytes, table: np.ndarray, column: int,
                   vocab: list[str], limit: int) -> list[str]:
    """The features among ``ids`` (sorted rows, as ``message_rows`` gives) that are words
    (``is_word``: a byte per row of ``table``, 1 for a word or word pair) with the largest
    positive weights in ``column`` of ``table``, at most ``limit``, largest first and the
    smaller row first among equals: the reasons a desk can read."""
    ids = ids[np.frombuffer(is_word, dtype=bool)[ids]]
    weight = table[ids, column]
    positive = weight > 0
    ids, weight = ids[positive], weight[positive]
    top = np.argsort(-weight, kind="stable")[:limit]  # ids are sorted: ties by id
    return [vocab[i] for i in ids[top].tolist()]


def shifted_logits(scaled: np.ndarray | None, start: int, add: list[float]) -> np.ndarray:
    """A head's logits before its float32 softmax (``triage._blend_one``): its columns of
    ``scaled`` from ``start`` (zeros when None) plus ``add`` in float64, rounded back to
    float32, less their largest; a new float32 array."""
    if scaled is None:
        logits = np.zeros(len(add), dtype=np.float32)
    else:
        logits = scaled[start:start + len(add)].copy()
    logits += np.array(add)
    return logits - _MAX(logits)


def normalized(exps: np.ndarray) -> list[float]:
    """A float32 row divided by its sum (NumPy's pairwise one), as Python floats."""
    return (exps / _ADD(exps)).tolist()


_MAX, _ADD = np.maximum.reduce, np.add.reduce  # what .max() and .sum() call, without their wrappers


def ones(count: int) -> np.ndarray:
    """At least ``count`` float64 ones (kept: most messages need fewer than the last)."""
    global _ones
    if len(_ones) < count:
        _ones = np.ones(2 * count)
    return _ones
