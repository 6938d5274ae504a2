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
from .model import Head, Model, _softmax_rows, features
from .model import fit as fit_model
from .normalize import normalize
from .rules import rule_distribution, rule_verdicts

TOPICS = (
    "air_bersih", "listrik", "penerangan_jalan", "jalan", "drainase_banjir", "sampah_kebersihan",
    "lingkungan_taman", "lalu_lintas_parkir", "adminduk", "kesehatan", "pendidikan",
    "sosial_bansos", "ketertiban_umum", "perumahan_pertanahan", "ketenagakerjaan",
    "bencana_darurat", "lainnya",
)
INTENTS = ("pertanyaan", "aduan", "apresiasi", "saran", "spam", "lainnya")
# On a tie the more actionable intent wins: a complaint phrased as a question is a complaint.
_INTENT_PRIORITY = {"spam": 5, "aduan": 4, "saran": 3, "pertanyaan": 2, "apresiasi": 1}

# The least cold topic confidence at which the rules' topics were still 90 % right, fitted on
# the train sides of the project's written sets only (`bench_topic.py --fit-cold` prints it).
COLD_TOPIC_THRESHOLD = 0.174
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
    """``classify`` for many texts: the same answers, with the model's arithmetic done for the
    whole batch at once (what keeps ``tanggap classify`` at thousands of messages a second)."""
    read = [_read(text) for text in texts]
    heads = model.heads if model is not None else {}
    if not heads:
        return [_result(r, _cold_topics(r.topics), COLD_TOPIC_THRESHOLD,
                        rule_distribution(r.intents, INTENTS), r.kasar) for r in read]
    ids = [model.ids(r.tokens, _rule_features(r.topics, r.intents, r.kasar)) for r in read]
    sums, known = model.batch_sums(ids)
    topic_head, intent_head, kasar_head = (heads.get(name) for name in ("topic", "intent", "kasar"))
    topic_probs = _head_probs(topic_head, sums, known, [r.topics for r in read])
    intent_probs = _head_probs(intent_head, sums, known, [r.intents for r in read])
    kasar_probs = None
    if kasar_head is not None and "true" in kasar_head.labels:
        priors = np.array([_KASAR_PRIOR[r.kasar] for r in read])
        kasar_probs = _softmax_rows(kasar_head.prior * priors + kasar_head.scale * known[:, None]
                                    * kasar_head.decision(sums))
        kasar_true = kasar_head.labels.index("true")
    results = []
    for i, r in enumerate(read):
        topic_dist, threshold = _cold_topics(r.topics), COLD_TOPIC_THRESHOLD
        if topic_probs is not None and (known[i] or r.topics):
            topic_dist = _mix(topic_head, topic_probs[i], topic_dist)
            threshold = topic_head.threshold
            best = max(topic_dist, key=topic_dist.__getitem__)
            r.reasons.append(f"model:topik {best} {topic_dist[best]:.2f}")
            if best in topic_head.labels:
                r.reasons.extend(f"model:{feat}" for feat in model.strongest(ids[i], topic_head,
                                                                             best))
        intent_dist = rule_distribution(r.intents, INTENTS)
        if intent_probs is not None and (known[i] or r.intents):
            intent_dist = _mix(intent_head, intent_probs[i], intent_dist if r.intents else {})
            best = max(intent_dist, key=intent_dist.__getitem__)
            r.reasons.append(f"model:intent {best} {intent_dist[best]:.2f}")
        kasar = r.kasar
        if kasar_probs is not None:
            p_true = float(kasar_probs[i, kasar_true])
            kasar = p_true >= kasar_head.cutoff
            if kasar and not r.kasar:
                r.reasons.append(f"model:kasar {p_true:.2f}")
        results.append(_result(r, topic_dist, threshold, intent_dist, kasar))
    return results


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


def _result(r: _Read, topic_dist: dict[str, float], threshold: float,
            intent_dist: dict[str, float], kasar: bool) -> Triage:
    intent = _pick(intent_dist, _INTENT_RANK)[0] if intent_dist else "lainnya"
    if not topic_dist:
        return Triage(intent=intent, topic="lainnya", kasar=kasar, confidence=0.0,
                      reasons=r.reasons)
    ranked = sorted(topic_dist.items(), key=lambda item: (-item[1], _TOPIC_RANK[item[0]]))
    topic, confidence = ranked[0]
    unsure = confidence < threshold
    if unsure:
        r.reasons.append(f"topik:perlu dicek {confidence:.2f}")
    return Triage(intent=intent, topic=topic, kasar=kasar, confidence=round(confidence, 3),
                  reasons=r.reasons, unsure=unsure,
                  top_topics=tuple((t, round(p, 3)) for t, p in ranked[:_TOP]
                                   if p >= _SUGGESTION_FLOOR))


def _head_probs(head: Head | None, sums: np.ndarray, known: np.ndarray,
                scores: list[dict[str, float]]) -> np.ndarray | None:
    """Calibrated probabilities (rows × head labels): scale · scores + prior · log rules."""
    if head is None:
        return None
    logits = head.prior * _log_priors(scores, head.labels)
    logits += head.scale * known[:, None] * head.decision(sums)
    return _softmax_rows(logits)


def train(rows, *, progress=None, workers=None) -> Model:
    """Fit a model from labelled rows ``{"text", "topic"?, "intent"?, "kasar"?}``.

    Other fields are ignored. Raises ``ValueError`` naming the first bad row (1-based).
    ``progress(done, total)`` is called as training advances. See ``model.py`` for what is
    fitted and how the rules are weighed against it by cross-validation.
    """
    docs: list[list[str]] = []
    gathered: dict[str, tuple[list[int], list[str], list]] = {
        head: ([], [], []) for head in ("topic", "intent", "kasar")}
    for number, row in enumerate(rows, start=1):
        tokens = normalize(_row_text(row, number))
        labels = _row_labels(row, number)
        topics, intents = rule_verdicts(tokens, [])
        rule_kasar = bool(find_kasar(tokens))
        docs.append(features(tokens, _rule_features(topics, intents, rule_kasar)))
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
            def prior_of(labels, evidence=evidence):
                return _log_priors(evidence, labels)
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


def _log_priors(rows: list[dict[str, float]], labels: list[str]) -> np.ndarray:
    """The rules' log-probabilities over ``labels`` per row (``rule_distribution``'s shares),
    flat (no opinion) where no rule fired."""
    column = {label: j for j, label in enumerate(labels)}
    scores = np.zeros((len(rows), len(labels)))
    top, total = np.ones(len(rows)), np.ones(len(rows))
    fired = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        if row:
            fired[i] = True
            top[i], total[i] = max(row.values()), sum(row.values())
            for label, value in row.items():
                if (j := column.get(label)) is not None:
                    scores[i, j] = value
    certainty = (top / (top + 2.0))[:, None]
    shares = (1.0 - certainty) / len(labels) + certainty * scores / total[:, None]
    return np.where(fired[:, None], np.log(shares), 0.0)


def _cold_topics(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    return rule_distribution(scores, TOPICS)


def _mix(head: Head, probs: np.ndarray, cold: dict[str, float]) -> dict[str, float]:
    """The head's distribution; labels it never saw in training keep the share the rules
    gave them, so its silence about them is no veto."""
    labels = head.labels
    dist = {label: p for label, p in cold.items() if label not in labels}
    rest = 1.0 - sum(dist.values())
    for label, p in zip(labels, probs.tolist(), strict=True):
        dist[label] = rest * p
    return dist


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


_TOPIC_RANK = {label: i for i, label in enumerate(TOPICS)}
_INTENT_RANK = {label: i for i, label in enumerate(
    sorted(INTENTS, key=lambda name: -_INTENT_PRIORITY.get(name, 0)))}


def _pick(dist: dict[str, float], rank: dict[str, int]) -> tuple[str, float]:
    """The most likely label and its share; a tie goes to the label ranked first."""
    top = max(dist.values())
    tied = [label for label, value in dist.items() if value == top]
    best = tied[0] if len(tied) == 1 else min(tied, key=lambda label: rank.get(label, len(rank)))
    total = sum(dist.values()) or 1.0
    return best, top / total

