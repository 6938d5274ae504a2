"""Triage of an inbound message: intent, topic, kasar, confidence and the reasons for each.

Cold start uses only the shipped lexicons (``data/project/topics.tsv``, ``intents.tsv`` and the
kasar lists), so a city with no history gets useful triage on day one. A trained ``Model`` is
blended in, weighted by its own confidence, so a model that has not seen a message's words
leaves the decision to the rules: learning can never take cold start away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .matching import content_words, find_kasar, find_phrases, phrase_index
from .model import Model, features
from .model import train as fit
from .normalize import MENTION, PUNCT, URL, Token, normalize

TOPICS = (
    "air_bersih", "listrik", "penerangan_jalan", "jalan", "drainase_banjir", "sampah_kebersihan",
    "lingkungan_taman", "lalu_lintas_parkir", "adminduk", "kesehatan", "pendidikan",
    "sosial_bansos", "ketertiban_umum", "perumahan_pertanahan", "ketenagakerjaan",
    "bencana_darurat", "lainnya",
)
INTENTS = ("pertanyaan", "aduan", "apresiasi", "saran", "spam", "lainnya")
# On a tie the more actionable intent wins: a complaint phrased as a question is a complaint.
_INTENT_PRIORITY = {"spam": 5, "aduan": 4, "saran": 3, "pertanyaan": 2, "apresiasi": 1}
_KASAR_MODEL_THRESHOLD = 0.8


@dataclass(frozen=True, slots=True)
class Triage:
    """What the desk shows as badges on an inbound message.

    ``confidence`` (0..1) is for the topic, the decision that routes the message; ``reasons``
    are short strings such as ``"topik:lampu jalan"``, ``"kasar:goblok"``, ``"model:topik 0.93"``.
    """

    intent: str
    topic: str
    kasar: bool
    confidence: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"intent": self.intent, "topic": self.topic, "kasar": self.kasar,
                "confidence": self.confidence, "reasons": list(self.reasons)}


def classify(text: str, model: Model | None = None) -> Triage:
    """Triage ``text``; with ``model``, blend its predictions with the built-in rules."""
    tokens = normalize(text)
    words = content_words(tokens)
    reasons: list[str] = []

    topic_scores = _rule_scores(words, "topics", reasons, "topik")
    intent_scores = _rule_scores(words, "intents", reasons, "intent")
    _structural_intent_cues(tokens, topic_scores, intent_scores, reasons)
    kasar_hits = find_kasar(tokens)
    kasar = bool(kasar_hits)
    reasons.extend(f"kasar:{tokens[hit.first].base}" for hit in kasar_hits)

    topic_dist = _rule_distribution(topic_scores, TOPICS)
    intent_dist = _rule_distribution(intent_scores, INTENTS)
    if model is not None:
        feats = _features_with_rules(tokens, topic_scores, intent_scores)
        topic_dist = _blend(model, "topic", feats, topic_dist, reasons, "topik")
        intent_dist = _blend(model, "intent", feats, intent_dist, reasons, "intent")
        kasar = _model_kasar(model, feats, kasar, reasons)

    topic, confidence = _pick(topic_dist, tie_order=TOPICS)
    intent, _ = _pick(intent_dist, tie_order=sorted(
        INTENTS, key=lambda name: -_INTENT_PRIORITY.get(name, 0)))
    if not topic_scores and model is None:
        confidence = 0.0
    return Triage(intent=intent, topic=topic, kasar=kasar,
                  confidence=round(confidence, 3), reasons=reasons)


def train(rows, *, progress=None, epochs: int = 12) -> Model:
    """Fit a model from labelled rows ``{"text", "topic"?, "intent"?, "kasar"?}``.

    Other fields are ignored. Raises ``ValueError`` naming the first bad row (1-based).
    ``progress(done, total)`` is called as training advances.
    """
    examples = []
    for number, row in enumerate(rows, start=1):
        tokens = normalize(_row_text(row, number))
        words = content_words(tokens)
        topics = _rule_scores(words, "topics", [], "topik")
        intents = _rule_scores(words, "intents", [], "intent")
        _structural_intent_cues(tokens, topics, intents, [])
        examples.append((_features_with_rules(tokens, topics, intents), _row_labels(row, number)))
    return fit(examples, epochs=epochs, progress=progress)


def _features_with_rules(
    tokens: list[Token], topics: dict[str, float], intents: dict[str, float]
) -> list[str]:
    """Word features plus the cold rules' verdicts, so a model learns how far to trust them.

    With few rows the model leans on ``rule:topik=...``; with a city's history it learns
    where the rules are wrong for that city.
    """
    feats = features(tokens)
    if topics:
        feats.append("rule:topik=" + max(topics, key=topics.__getitem__))
    if intents:
        feats.append("rule:intent=" + max(intents, key=intents.__getitem__))
    return feats


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


def _rule_scores(words: list[str], table: str, reasons: list[str], tag: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for hit in find_phrases(words, phrase_index(table)):
        scores[hit.label] = scores.get(hit.label, 0.0) + hit.weight
        if hit.weight > 0:
            reasons.append(f"{tag}:{hit.phrase}")
    return {label: score for label, score in scores.items() if score > 0}


def _structural_intent_cues(
    tokens: list[Token], topics: dict[str, float], intents: dict[str, float], reasons: list[str]
) -> None:
    if any(t.kind == PUNCT and t.norm == "?" for t in tokens):
        intents["pertanyaan"] = intents.get("pertanyaan", 0.0) + 2.0
        reasons.append("intent:tanda tanya")
    links = sum(t.kind == URL for t in tokens)
    mentions = sum(t.kind == MENTION for t in tokens)
    if links or mentions >= 4:
        intents["spam"] = intents.get("spam", 0.0) + 1.5 * links + (2.0 if mentions >= 4 else 0.0)
        reasons.append("intent:tautan" if links else "intent:banyak mention")
    if topics and intents.get("aduan"):
        # A problem word next to a public-service subject is what a complaint looks like.
        intents["aduan"] += 1.0


def _rule_distribution(scores: dict[str, float], labels: tuple[str, ...]) -> dict[str, float]:
    if not scores:
        return {"lainnya": 1.0}
    top = max(scores.values())
    total = sum(scores.values())
    # Evidence grows with the winning score: one hint (weight 1) is weak, two decisive cues
    # (weight 3 each) are strong. The doubt is spread evenly, so it never changes the winner.
    certainty = top / (top + 2.0)
    doubt = (1.0 - certainty) / len(labels)
    return {label: doubt + certainty * scores.get(label, 0.0) / total for label in labels}


def _blend(
    model: Model, head_name: str, feats: list[str], rules: dict[str, float],
    reasons: list[str], tag: str,
) -> dict[str, float]:
    """Product of the rule and model distributions (a product of experts).

    Confident rules keep their say against a model trained on a few hundred rows, a confident
    model overrules weak rules, and where the rules saw nothing (an even spread) the model
    decides alone. A label the model never saw keeps the rules' share times a small floor.
    """
    head = model.heads.get(head_name)
    if head is None:
        return rules
    probs, known = head.predict(feats)
    if not known:
        return rules
    weight = max(probs)
    best = head.labels[probs.index(weight)]
    reasons.append(f"model:{tag} {best} {weight:.2f}")
    reasons.extend(f"model:{feat}" for feat in head.top_features(feats, best))
    model_probs = dict(zip(head.labels, probs, strict=True))
    floor = 1e-3
    labels = set(rules) | set(model_probs)
    blended = {label: rules.get(label, floor) * model_probs.get(label, floor) for label in labels}
    total = sum(blended.values())
    return {label: value / total for label, value in blended.items()}


def _model_kasar(model: Model, feats: list[str], rule_kasar: bool, reasons: list[str]) -> bool:
    head = model.heads.get("kasar")
    if head is None or rule_kasar:
        return rule_kasar
    probs, known = head.predict(feats)
    if not known or "true" not in head.labels:
        return rule_kasar
    p_true = probs[head.labels.index("true")]
    if p_true >= _KASAR_MODEL_THRESHOLD:
        reasons.append(f"model:kasar {p_true:.2f}")
        return True
    return False


def _pick(dist: dict[str, float], tie_order) -> tuple[str, float]:
    rank = {label: i for i, label in enumerate(tie_order)}
    best = max(dist, key=lambda label: (dist[label], -rank.get(label, len(rank))))
    total = sum(dist.values()) or 1.0
    return best, dist[best] / total
