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

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .matching import find_kasar
from .model import HEADS, Encoded, Head, Model, _softmax_rows, features
from .model import fit as fit_model
from .normalize import normalize
from .rules import rule_verdicts

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
_TOP = 3
# A topic below this share is noise (the rules' spread doubt), not a suggestion.
_SUGGESTION_FLOOR = 0.05


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
    return classify_many([text], model)[0]


def classify_many(texts: Sequence[str], model: Model | None = None) -> list[Triage]:
    """``classify`` for many texts: the same answers, with the arithmetic of the whole batch
    done at once (what keeps ``tanggap classify`` at thousands of messages a second)."""
    read = [_read(text) for text in texts]
    if not read:
        return []
    topic_rules = _scores([r.topics for r in read], TOPICS)
    intent_rules = _scores([r.intents for r in read], _INTENT_ORDER)
    topics = _cold_topics(topic_rules)
    intents = _cold_intents(intent_rules)
    thresholds = np.full(len(read), COLD_TOPIC_THRESHOLD)
    kasar = np.array([r.kasar for r in read])
    heads = model.heads if model is not None else {}
    if not heads:
        return _results(read, topics, thresholds, intents, kasar)
    encoded = model.encode([(r.tokens, _rule_features(r.topics, r.intents, r.kasar))
                            for r in read])
    topic_head, intent_head, kasar_head = (heads.get(name) for name in HEADS)
    if topic_head is not None:
        spoke = encoded.known | topic_rules.any(axis=1)
        topics = _blend(topic_head, encoded, topic_rules, topics, spoke, TOPICS)
        thresholds[spoke] = topic_head.threshold
        best = topics.argmax(axis=1)
        seen = {label: j for j, label in enumerate(topic_head.labels)}
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
    return _results(read, topics, thresholds, intents, kasar)


@dataclass(slots=True)
class _Read:
    """What the rules make of one message."""

    tokens: list
    reasons: list[str]
    topics: dict[str, float]
    intents: dict[str, float]
    kasar: bool


def _read(text: str) -> _Read:
    tokens = normalize(text)
    reasons: list[str] = []
    topics, intents = rule_verdicts(tokens, reasons)
    kasar_hits = find_kasar(tokens)
    reasons.extend(f"kasar:{tokens[hit.first].base}" for hit in kasar_hits)
    return _Read(tokens, reasons, topics, intents, bool(kasar_hits))


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
    columns, seen = _columns(head, order)
    logits = head.scale * head.decision(encoded.sums)
    if not encoded.known.all():
        logits[~encoded.known] = 0.0  # the model knew no feature: it says nothing
    logits += head.prior * _log_priors(rules, columns)
    mixed = cold * ~seen
    mixed[:, columns] = (1.0 - mixed.sum(axis=1, keepdims=True)) * _softmax_rows(logits)
    if not spoke.all():
        mixed[~spoke] = cold[~spoke]
    return mixed


def _columns(head: Head, order: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``head``'s labels stands in ``order``, and which of ``order`` it has
    (kept on the head: every batch asks the same)."""
    cached = head.orders.get(order)
    if cached is None:
        columns = np.array([order.index(label) for label in head.labels])
        seen = np.zeros(len(order), dtype=bool)
        seen[columns] = True
        cached = head.orders[order] = (columns, seen)
    return cached


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
