"""Triage of an inbound message: intent, topic, kasar, confidence, the three likeliest topics,
whether the engine is unsure, and the reasons for each.

Cold start uses only the shipped lexicons and rules (``rules.py``), so a city with no history
gets useful triage on day one. A trained ``Model`` (``model.py``) takes the rules as a prior
and as a feature; where it has seen few rows its fitted weight is small and the rules decide.
Labels the model never saw keep the rules' share, so neither side can veto what it does not
know. ``unsure`` is set when the topic's calibrated confidence is below the level at which
answers were 90 % right on held-out rows: the desk then shows "perlu dicek", not a badge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from math import exp, log
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from .matching import find_kasar, may_be_kasar
from .model import HEADS, Encoded, Head, Model, _softmax_rows, features
from .model import fit as fit_model
from .normalize import chunk_tokens, normalize, split_chunks
from .rules import rule_verdicts

try:
    from ._fast import normalized, shifted_logits
except ImportError:  # built without a C compiler: the same functions in NumPy
    from .rows import normalized, shifted_logits

TOPICS = (
    "air_bersih", "listrik", "penerangan_jalan", "jalan", "drainase_banjir", "sampah_kebersihan",
    "lingkungan_taman", "lalu_lintas_parkir", "adminduk", "kesehatan", "pendidikan",
    "sosial_bansos", "ketertiban_umum", "perumahan_pertanahan", "ketenagakerjaan",
    "bencana_darurat", "lainnya",
)
INTENTS = ("pertanyaan", "aduan", "apresiasi", "saran", "spam", "lainnya")
# On a tie the more actionable intent wins: a complaint phrased as a question is a complaint.
_INTENT_PRIORITY = {"spam": 5, "aduan": 4, "saran": 3, "pertanyaan": 2, "apresiasi": 1}

# Cold topic probabilities are the rules' shares sharpened by a temperature (Guo et al. 2017),
# fitted by log-loss on the train sides of the project's written sets; and the least of those
# probabilities at which the rules' topics there were still 90 % right. Both printed by
# `bench_topic.py --fit-cold`.
COLD_TEMPERATURE = 2.22
COLD_TOPIC_THRESHOLD = 0.266
# Below this the best guess is more likely wrong than right: never a badge, whatever share of
# answers a threshold would keep at 90 % precision on a set where the engine does well.
MIN_CONFIDENCE = 0.5
_KASAR_PRIOR = {True: np.log([0.2, 0.8]), False: np.log([0.8, 0.2])}  # labels false, true
_KASAR_PRIOR_LIST = {hit: prior.tolist() for hit, prior in _KASAR_PRIOR.items()}
_TOP = 3
# A topic below this share is noise (the rules' spread doubt), not a suggestion.
_SUGGESTION_FLOOR = 0.05
_ZEROS = repeat(0.0)  # endless: map(get, labels, _ZEROS) stops with the labels


@dataclass(frozen=True, slots=True)
class Triage:
    """What the desk shows as badges on an inbound message.

    ``confidence`` (0..1) is the calibrated probability of ``topic``, the decision that routes
    the message; ``top_topics`` the three likeliest topics with theirs (``(topic, p)`` pairs,
    surest first; empty when nothing spoke); ``unsure`` says the engine would rather a person
    looked. ``reasons`` are short strings such as ``"topik:lampu jalan"``, ``"kasar:goblok"``,
    ``"model:topik air_bersih 0.93"``.
    """

    intent: str
    topic: str
    kasar: bool
    confidence: float
    reasons: list[str] = field(default_factory=list)
    unsure: bool = True
    top_topics: tuple[tuple[str, float], ...] = ()

    def as_dict(self) -> dict:
        return {"intent": self.intent, "topic": self.topic, "kasar": self.kasar,
                "confidence": self.confidence, "unsure": self.unsure,
                "top_topics": [{"topic": t, "confidence": p} for t, p in self.top_topics],
                "reasons": list(self.reasons)}


def classify(text: str, model: Model | None = None) -> Triage:
    """Triage ``text``; with ``model``, its trained heads decide with the rules as a prior."""
    r = _read(text)
    scored = _score_one(r, model)
    topics = scored.topics
    ranked = sorted(range(len(TOPICS)), key=topics.__getitem__, reverse=True)[:_TOP]
    intent = _INTENT_ORDER[max(range(len(_INTENT_ORDER)), key=scored.intents.__getitem__)]
    return _result(r, ranked, topics, scored.threshold, intent, scored.kasar)


def classify_many(texts: Sequence[str], model: Model | None = None) -> list[Triage]:
    """``classify`` for many texts: the same answers, with the arithmetic of the whole batch
    done at once (what keeps ``tanggap classify`` at thousands of messages a second)."""
    if len(texts) == 1:
        return [classify(texts[0], model)]
    return _classify_batch(texts, model)


def _classify_batch(texts: Sequence[str], model: Model | None) -> list[Triage]:
    """The batch path, for any number of texts (one included: how ``classify`` worked
    before it had its own path, which ``bench_speed.py`` still times)."""
    read = [_read(text) for text in texts]
    if not read:
        return []
    return _results(read, *_score_many(read, model)[:4])


def _score_many(read: list[_Read], model: Model | None) -> tuple[np.ndarray, ...]:
    """The distributions of a batch, as arrays: topics (messages × ``TOPICS``), the
    confidence under which each abstains, intents (× ``_INTENT_ORDER``), kasar, and the
    kasar head's probability of "true" (None without one). Appends the model's reasons."""
    topic_rules = _scores([r.topics for r in read], TOPICS)
    intent_rules = _scores([r.intents for r in read], _INTENT_ORDER)
    topics = _cold_topics(topic_rules)
    intents = _cold_intents(intent_rules)
    thresholds = np.full(len(read), COLD_TOPIC_THRESHOLD)
    kasar = np.array([r.kasar for r in read])
    heads = model.heads if model is not None else {}
    p_true = None
    if not heads:
        return topics, thresholds, intents, kasar, p_true
    encoded = model.encode([(r.tokens, _rule_features(r.topics, r.intents, r.kasar))
                            for r in read], [r.chunks for r in read])
    topic_head, intent_head, kasar_head = (heads.get(name) for name in HEADS)
    if topic_head is not None:
        spoke = encoded.known | topic_rules.any(axis=1)
        topics = _blend(topic_head, encoded, topic_rules, topics, spoke, TOPICS)
        thresholds[spoke] = topic_head.threshold
        best = topics.argmax(axis=1)
        seen = _layout(topic_head, TOPICS).position
        columns = np.array([seen.get(TOPICS[b], -1) for b in best.tolist()]) * spoke - ~spoke
        words = model.strongest(encoded, topic_head, columns)
        for i in np.flatnonzero(spoke).tolist():
            read[i].reasons.append(f"model:topik {TOPICS[best[i]]} {topics[i, best[i]]:.2f}")
            read[i].reasons.extend(f"model:{word}" for word in words[i])
    if intent_head is not None:
        fired = intent_rules.any(axis=1)
        spoke = encoded.known | fired
        blended = _blend(intent_head, encoded, intent_rules,
                         np.where(fired[:, None], intents, 0.0), spoke, _INTENT_ORDER)
        intents = np.where(spoke[:, None], blended, intents)
        best = intents.argmax(axis=1)
        for i in np.flatnonzero(spoke).tolist():
            read[i].reasons.append(
                f"model:intent {_INTENT_ORDER[best[i]]} {intents[i, best[i]]:.2f}")
    if kasar_head is not None and "true" in kasar_head.labels:
        priors = np.where(kasar[:, None], _KASAR_PRIOR[True], _KASAR_PRIOR[False])
        p_true = _softmax_rows(kasar_head.prior * priors + kasar_head.scale
                               * encoded.known[:, None] * kasar_head.decision(encoded.sums)
                               )[:, kasar_head.labels.index("true")]
        learned = p_true >= kasar_head.cutoff
        for i in np.flatnonzero(learned & ~kasar).tolist():
            read[i].reasons.append(f"model:kasar {p_true[i]:.2f}")
        kasar = learned
    return topics, thresholds, intents, kasar, p_true


@dataclass(slots=True)
class _Read:
    """What the rules make of one message."""

    tokens: list
    reasons: list[str]
    topics: dict[str, float]
    intents: dict[str, float]
    kasar: bool
    chunks: list[str] | None = None  # ``split_chunks`` of the text, the model's cache key


def _read(text: str) -> _Read:
    chunks = split_chunks(text)
    # Classifying needs no spans, so tokens keep the offsets into their chunk (cheaper)...
    tokens = normalize(text) if chunks is None else chunk_tokens(chunks)
    reasons: list[str] = []
    topics, intents = rule_verdicts(tokens, reasons)
    kasar_hits = find_kasar(tokens) if chunks is None or may_be_kasar(chunks, tokens) else []
    if kasar_hits and chunks is not None:
        # ...but the kasar detector tells two hits apart by span and excuses names by where
        # they stand. Offsets within chunks can only add hits (no span merged, no name
        # excused wrongly), never remove one, so no hit there means none on the text's own
        # spans; the rare message with one is read again with them.
        tokens = normalize(text)
        kasar_hits = find_kasar(tokens)
    reasons.extend(f"kasar:{tokens[hit.first].base}" for hit in kasar_hits)
    return _Read(tokens, reasons, topics, intents, bool(kasar_hits), chunks)


def _results(read: list[_Read], topics: np.ndarray, thresholds: np.ndarray,
             intents: np.ndarray, kasar: np.ndarray) -> list[Triage]:
    # Ties: the topic listed first in TOPICS, the more actionable intent (column order).
    ranked = np.argsort(-topics, axis=1, kind="stable")[:, :_TOP].tolist()
    results = []
    for r, order, shares, threshold, intent, abusive in zip(
            read, ranked, topics.tolist(), thresholds.tolist(),
            intents.argmax(axis=1).tolist(), kasar.tolist(), strict=True):
        results.append(_result(r, order, shares, threshold, _INTENT_ORDER[intent], abusive))
    return results


def _result(r: _Read, order: list[int], topics: list[float], threshold: float, intent: str,
            kasar: bool) -> Triage:
    confidence = topics[order[0]]
    if confidence == 0.0:  # neither a rule nor the model spoke
        return Triage(intent=intent, topic="lainnya", kasar=kasar, confidence=0.0,
                      reasons=r.reasons)
    unsure = confidence < max(threshold, MIN_CONFIDENCE)
    if unsure:
        r.reasons.append(f"topik:perlu dicek {confidence:.2f}")
    return Triage(intent=intent, topic=TOPICS[order[0]], kasar=kasar,
                  confidence=round(confidence, 3), reasons=r.reasons, unsure=unsure,
                  top_topics=tuple((TOPICS[j], round(topics[j], 3)) for j in order
                                   if topics[j] >= _SUGGESTION_FLOOR))


def _blend(head: Head, encoded: Encoded, rules: np.ndarray, cold: np.ndarray,
           spoke: np.ndarray, order: tuple[str, ...]) -> np.ndarray:
    """Each message's distribution over ``order``: where the model or the rules spoke
    (``spoke``), the head's calibrated probabilities, ``scale`` · SVM scores + ``prior`` ·
    log rules (``rules``: the rules' raw scores); the labels the head never saw keep the share
    ``cold`` gave them, so neither side can veto what it does not know. Elsewhere ``cold``."""
    layout = _layout(head, order)
    columns, seen = layout.columns, layout.seen
    logits = head.scale * head.decision(encoded.sums)
    if not encoded.known.all():
        logits[~encoded.known] = 0.0  # the model knew no feature: it says nothing
    logits += head.prior * _log_priors(rules, columns)
    mixed = cold * ~seen
    mixed[:, columns] = (1.0 - mixed.sum(axis=1, keepdims=True)) * _softmax_rows(logits)
    if not spoke.all():
        mixed[~spoke] = cold[~spoke]
    return mixed


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each of a head's labels stands in a label order (``TOPICS``, ``_INTENT_ORDER``):
    as arrays for the batch, as lists for one message, and label → the head's column."""

    columns: np.ndarray
    seen: np.ndarray
    column_list: list[int]
    seen_list: list[bool]
    position: dict[str, int]
    every: bool  # the head knows every label of the order
    # The head's probabilities (in its label order) → the order's, for a head that knows
    # every label: one C-level call instead of a Python loop placing each.
    gather: Callable[[list[float]], tuple[float, ...]] | None


def _layout(head: Head, order: tuple[str, ...]) -> _Layout:
    """``head``'s ``_Layout`` in ``order`` (kept on the head: every message asks the same)."""
    cached = head.orders.get(order)
    if cached is None:
        columns = [order.index(label) for label in head.labels]
        seen = np.zeros(len(order), dtype=bool)
        seen[columns] = True
        every = bool(seen.all())
        gather = None
        if every:
            inverse = [columns.index(j) for j in range(len(order))]
            gather = itemgetter(*inverse) if len(inverse) > 1 else (lambda values: (values[0],))
        cached = head.orders[order] = _Layout(
            np.array(columns), seen, columns, seen.tolist(),
            {label: j for j, label in enumerate(head.labels)}, every, gather)
    return cached


class _Scored(NamedTuple):
    """One message's distributions before they become a ``Triage``: topics (over
    ``TOPICS``), the confidence under which it abstains, intents (over ``_INTENT_ORDER``),
    kasar, and the kasar head's probability of "true" (None without one)."""

    topics: list[float]
    threshold: float
    intents: list[float]
    kasar: bool
    p_kasar: float | None


def _score_one(r: _Read, model: Model | None) -> _Scored:
    """``classify_many``'s arithmetic for a batch of one, on Python floats.

    NumPy's set-up costs more than the arithmetic of one message (a few dozen numbers), so
    only the float32 steps, whose rounding the batch path fixes, stay in NumPy. Every step
    is the batch's, in its order; the two agree to the last bit or within a unit of the last
    place (``math.exp`` and ``math.log`` against NumPy's own), and the tests pin them.
    """
    rules_topics, rules_intents = r.topics, r.intents
    # map(get, labels, zeros): each label's score (0.0 for none) without a Python loop.
    topic_scores = list(map(rules_topics.get, TOPICS, _ZEROS)) if rules_topics else None
    heads = model.heads if model is not None else None
    topic_head = heads.get("topic") if heads else None
    if not topic_scores:
        topics = [0.0] * len(TOPICS)
    elif topic_head is not None and _layout(topic_head, TOPICS).every:
        topics = None  # a head that knows every topic replaces the rules' distribution whole
    else:
        topics = _cold_topics_one(topic_scores)
    intent_scores = list(map(rules_intents.get, _INTENT_ORDER, _ZEROS))
    intents = _shares_one(intent_scores) if rules_intents else list(_SILENT_INTENTS)
    threshold = COLD_TOPIC_THRESHOLD
    kasar = r.kasar
    if not heads:
        return _Scored(topics, threshold, intents, kasar, None)
    ids, sums = model.encode_one(r.tokens, _rule_features(rules_topics, rules_intents, kasar),
                                 r.chunks)
    known = len(ids) > 0
    # Every head's SVM scores times its scale, in two array calls for all heads (each
    # float32 number as ``scale * head.decision(sums)`` rounds it).
    biased, scales = model.decisions(sums)
    scaled = biased * scales if known else None
    reasons = r.reasons
    if topic_head is not None and (known or rules_topics):
        topics = _blend_one(topic_head, scaled, rules_topics,
                            topic_scores or [0.0] * len(TOPICS), topics, TOPICS)
        threshold = topic_head.threshold
        best = topics.index(max(topics))  # the first of equals, as argmax
        column = _layout(topic_head, TOPICS).position.get(TOPICS[best], -1)
        reasons.append(f"model:topik {TOPICS[best]} {topics[best]:.2f}")
        reasons.extend([f"model:{word}"
                        for word in model.strongest_one(ids, topic_head, column)])
    intent_head = heads.get("intent")
    if intent_head is not None and (known or rules_intents):
        cold = intents if rules_intents else [0.0] * len(_INTENT_ORDER)
        intents = _blend_one(intent_head, scaled, rules_intents, intent_scores, cold,
                             _INTENT_ORDER)
        best = intents.index(max(intents))
        reasons.append(f"model:intent {_INTENT_ORDER[best]} {intents[best]:.2f}")
    p_kasar = None
    kasar_head = heads.get("kasar")
    if kasar_head is not None and "true" in kasar_head.labels:
        weight = kasar_head.scale * (1.0 if known else 0.0)
        prior = kasar_head.prior
        logits = [prior * rule + weight * score for rule, score in zip(
            _KASAR_PRIOR_LIST[kasar],
            biased[kasar_head.start:kasar_head.start + len(kasar_head.labels)].tolist(),
            strict=True)]
        p_kasar = _softmax_one(logits)[kasar_head.labels.index("true")]
        learned = p_kasar >= kasar_head.cutoff
        if learned and not kasar:
            reasons.append(f"model:kasar {p_kasar:.2f}")
        kasar = learned
    return _Scored(topics, threshold, intents, kasar, p_kasar)


def _blend_one(head: Head, scaled: np.ndarray | None, rules: dict[str, float],
               scores: list[float], cold: list[float] | None,
               order: tuple[str, ...]) -> list[float]:
    """``_blend`` for one message that the model or the rules spoke on. ``scaled``: every
    head's scaled SVM scores (None: the model knew no feature of the message); ``rules``
    the rules' scores by label (each above zero) and ``scores`` the same over ``order``;
    ``cold`` None: the head knows every label, so no label keeps the rules' share."""
    layout = _layout(head, order)
    columns = layout.column_list
    # float32, as in the batch: the SVM scores times the scale, then the rules' log prior
    # added in float64 and rounded back, then a float32 softmax.
    top = max(scores)
    total = max(_sum(scores), 1e-300)
    certainty = top / (top + 2.0)
    doubt = (1.0 - certainty) / len(columns)
    prior = head.prior
    # Every label no rule named gets the same (doubt + c·0/total is doubt); the few the rules
    # named (``rules``) their own: one pass over those rather than over every label.
    add = [prior * log(doubt)] * len(columns)
    position = layout.position
    for label, score in rules.items():
        j = position.get(label)
        if j is not None:
            add[j] = prior * log(doubt + certainty * score / total)
    # The float32 steps in C but for the exponential, whose last bit is NumPy's own (it
    # differs by CPU): six small-array calls, one of them mixing float32 and float64, cost
    # more than the rest of the blend.
    probabilities = normalized(np.exp(shifted_logits(scaled, head.start, add)))
    if cold is None and layout.gather is not None:
        return list(layout.gather(probabilities))  # the rest, 1.0 - 0.0, times each is each
    mixed = [0.0] * len(order) if cold is None else [
        0.0 if seen else share for seen, share in zip(layout.seen_list, cold, strict=True)]
    rest = 1.0 - _sum(mixed)
    for j, probability in zip(columns, probabilities, strict=True):
        mixed[j] = rest * probability
    return mixed



def _shares_one(scores: list[float]) -> list[float]:
    """``_shares`` of one message's scores."""
    top = max(scores)
    total = max(_sum(scores), 1e-300)
    certainty = top / (top + 2.0)
    doubt = (1.0 - certainty) / len(scores)
    return [doubt + certainty * score / total if score else doubt for score in scores]


def _cold_topics_one(scores: list[float]) -> list[float]:
    """``_cold_topics`` of one message on which a rule fired."""
    shares = _shares_one(scores)
    flat = COLD_TEMPERATURE * log(min(shares))  # the topics no rule named share the least
    return _softmax_one([COLD_TEMPERATURE * log(share) if score else flat
                         for share, score in zip(shares, scores, strict=True)])


def _softmax_one(logits: list[float]) -> list[float]:
    top = max(logits)
    exps = [exp(logit - top) for logit in logits]
    total = _sum(exps)
    return [value / total for value in exps]


def _sum(values: list[float]) -> float:
    """``numpy.sum`` of a row of float64, to the last bit: its pairwise summation (eight
    running sums over blocks of up to 128 numbers), which rounds otherwise than adding left
    to right."""
    n = len(values)
    if n > 2 and values.count(0.0) >= n - 2:
        # Adding zero changes nothing, so at most two non-zero numbers meet once, in any
        # order (the rules' scores of most messages).
        return 0.0 + sum(filter(None, values))
    if n < 8:
        total = -0.0
        for value in values:
            total += value
        return total
    if n > 128:
        half = n // 2
        half -= half % 8
        return _sum(values[:half]) + _sum(values[half:])
    r = values[:8]
    end = n - n % 8
    for i in range(8, end, 8):
        for j in range(8):
            r[j] += values[i + j]
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for value in values[end:]:
        total += value
    return total


def train(rows, *, progress=None, workers: int = 1) -> Model:
    """Fit a model from labelled rows ``{"text", "topic"?, "intent"?, "kasar"?}``.

    Other fields are ignored. Raises ``ValueError`` naming the first bad row (1-based).
    ``progress(done, total)`` is called as training advances; ``workers`` threads fit at once
    (one: the same rows always give the same file). See ``model.py`` for what is fitted and
    how the rules are weighed against it by cross-validation.
    """
    docs: list[list[str]] = []
    gathered: dict[str, tuple[list[int], list[str], list]] = {head: ([], [], []) for head in HEADS}
    for number, row in enumerate(rows, start=1):
        read = _read(_row_text(row, number))
        labels = _row_labels(row, number)
        topics, intents, rule_kasar = read.topics, read.intents, read.kasar
        docs.append(features(read.tokens, _rule_features(topics, intents, rule_kasar)))
        for head, label in labels.items():
            indices, gold, evidence = gathered[head]
            indices.append(number - 1)
            gold.append(label)
            evidence.append(rule_kasar if head == "kasar" else
                            topics if head == "topic" else intents)
    plans = {}
    for head, (indices, gold, evidence) in gathered.items():
        if not gold:
            continue
        if head == "kasar":
            def prior_of(labels, evidence=evidence):
                return np.array([_KASAR_PRIOR[hit] for hit in evidence])
        else:
            order = TOPICS if head == "topic" else _INTENT_ORDER

            def prior_of(labels, evidence=evidence, order=order):
                columns = np.array([order.index(label) for label in labels])
                return _log_priors(_scores(evidence, order), columns)
        plans[head] = (indices, gold, prior_of)
    if not plans:
        raise ValueError("training needs at least two different labels for topic, intent or kasar")
    return fit_model(docs, plans, progress=progress, workers=workers)


def _rule_features(topics: dict[str, float], intents: dict[str, float],
                   kasar: bool) -> list[str]:
    """The rules' verdicts as features, so a head learns where the rules go wrong."""
    extra = []
    if topics:
        extra.append("rule:topik=" + max(topics, key=topics.__getitem__))
    if intents:
        extra.append("rule:intent=" + max(intents, key=intents.__getitem__))
    if kasar:
        extra.append("rule:kasar")
    return extra


def _scores(rows: list[dict[str, float]], order: tuple[str, ...]) -> np.ndarray:
    """The rules' raw scores as a matrix (messages × ``order``)."""
    column = {label: j for j, label in enumerate(order)}
    scores = np.zeros((len(rows), len(order)))
    for i, row in enumerate(rows):
        for label, value in row.items():
            scores[i, column[label]] = value
    return scores


def _log_priors(scores: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """The rules' log-probabilities over the labels ``columns`` of ``scores`` (the shares of
    ``_shares``); flat (no opinion) where no rule fired."""
    return np.log(_shares(scores, columns))


def _shares(scores: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
    """The rules' share of each label (of ``columns``, or all), flat where nothing fired.

    Evidence grows with the winning score: one hint (weight 1) is weak, two decisive cues
    (weight 3 each) are strong. The doubt is spread evenly, so it never changes the winner.
    """
    picked = scores if columns is None else scores[:, columns]
    top = scores.max(axis=1, keepdims=True)
    total = np.maximum(scores.sum(axis=1, keepdims=True), 1e-300)
    certainty = top / (top + 2.0)
    return (1.0 - certainty) / picked.shape[1] + certainty * picked / total


def _cold_topics(scores: np.ndarray) -> np.ndarray:
    """Calibrated topic probabilities from the rules' scores (zeros where none fired)."""
    topics = _softmax_rows(COLD_TEMPERATURE * np.log(_shares(scores)))
    fired = scores.any(axis=1)
    if not fired.all():
        topics[~fired] = 0.0
    return topics


def _cold_intents(scores: np.ndarray) -> np.ndarray:
    intents = _shares(scores)
    silent = ~scores.any(axis=1)
    if silent.any():
        intents[silent] = 0.0
        intents[silent, _INTENT_ORDER.index("lainnya")] = 1.0  # no cue: lainnya
    return intents


def _row_text(row, number: int) -> str:
    if not isinstance(row, dict):
        raise ValueError(f"row {number}: expected a JSON object")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"row {number}: missing text")
    return text


def _row_labels(row: dict, number: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    for head, allowed in (("topic", TOPICS), ("intent", INTENTS)):
        value = row.get(head)
        if value is None:
            continue
        if value not in allowed:
            raise ValueError(f"row {number}: unknown {head} {value!r}")
        labels[head] = value
    kasar = row.get("kasar")
    if kasar is not None:
        if not isinstance(kasar, bool | int) or kasar not in (0, 1):
            raise ValueError(f"row {number}: kasar must be true or false")
        labels["kasar"] = "true" if kasar else "false"
    if not labels:
        raise ValueError(f"row {number}: no label (topic, intent or kasar)")
    return labels


# Intent columns, most actionable first, so that a tie goes to the more actionable intent.
_INTENT_ORDER = tuple(sorted(INTENTS, key=lambda name: -_INTENT_PRIORITY.get(name, 0)))
_SILENT_INTENTS = tuple(float(label == "lainnya") for label in _INTENT_ORDER)
