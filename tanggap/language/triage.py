"""Triage of an inbound message: intent, topic, kasar, confidence and the reasons for each.

Cold start uses only the shipped lexicons (``data/project/topics.tsv``, ``intents.tsv`` and the
kasar lists), so a city with no history gets useful triage on day one. A trained ``Model`` is
blended in, weighted by its own confidence, so a model that has not seen a message's words
leaves the decision to the rules: learning can never take cold start away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .matching import Hit, content_words, find_kasar, find_phrases, phrase_index
from .model import Model, blend, features, fit_head
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
    reasons: list[str] = []
    topic_scores, intent_scores = _rule_verdicts(tokens, reasons)
    kasar_hits = find_kasar(tokens)
    kasar = bool(kasar_hits)
    reasons.extend(f"kasar:{tokens[hit.first].base}" for hit in kasar_hits)

    topic_dist = rule_topic_dist = _rule_distribution(topic_scores, TOPICS)
    intent_dist = _rule_distribution(intent_scores, INTENTS)
    if model is not None:
        common = features(tokens)
        topic_dist = _blend(model, "topic", _head_features("topic", common, topic_scores),
                            topic_dist, bool(topic_scores), reasons, "topik")
        intent_dist = _blend(model, "intent", _head_features("intent", common, intent_scores),
                             intent_dist, bool(intent_scores), reasons, "intent")
        kasar = _model_kasar(model, common, kasar, reasons)

    model_spoke = model is not None and topic_dist is not rule_topic_dist
    topic, confidence = _pick(topic_dist, _TOPIC_RANK)
    intent, _ = _pick(intent_dist, _INTENT_RANK)
    if not topic_scores and not model_spoke:
        confidence = 0.0
    return Triage(intent=intent, topic=topic, kasar=kasar,
                  confidence=round(confidence, 3), reasons=reasons)


def train(rows, *, progress=None, epochs: int = 12) -> Model:
    """Fit a model from labelled rows ``{"text", "topic"?, "intent"?, "kasar"?}``.

    Other fields are ignored. Raises ``ValueError`` naming the first bad row (1-based).
    ``progress(done, total)`` is called as training advances.

    The topic and intent heads are then calibrated against the cold rules by 3-fold
    cross-validation on the same rows: each blend (how loud the model speaks, and below which
    confidence it keeps quiet) is compared with the rules alone on the held-out rows, and it
    is kept only if the rows it fixes outnumber the rows it breaks clearly (by three standard
    deviations of a sign test, and by at least two rows; on the project's written messages a
    looser two-deviation gate still let a 20-rows-per-topic model lose to the rules).
    Otherwise the model stays silent and the rules decide, so a model that has not shown it
    helps cannot make triage worse. Among
    the blends that pass, the one with most held-out rows right wins; ties go to the quieter
    model, then to the better calibrated one.
    """
    examples = []
    for number, row in enumerate(rows, start=1):
        tokens = normalize(_row_text(row, number))
        topics, intents = _rule_verdicts(tokens, [])
        examples.append((features(tokens), topics, intents, _row_labels(row, number)))
    by_head: dict[str, list[tuple[list[str], str]]] = {}
    rules_by_head: dict[str, list[dict[str, float]]] = {}
    for common, topics, intents, labels in examples:
        for head, label in labels.items():
            scores = topics if head == "topic" else intents if head == "intent" else {}
            by_head.setdefault(head, []).append((_head_features(head, common, scores), label))
            if head in _CALIBRATED:
                rules_by_head.setdefault(head, []).append(
                    (_rule_distribution(scores, _CALIBRATED[head]), bool(scores)))
    fitted = [head for head, head_rows in by_head.items()
              if len({label for _f, label in head_rows}) >= 2]
    calibrated = [head for head in fitted if head in _CALIBRATED]
    steps = epochs * (len(fitted) + _FOLDS * len(calibrated))
    done = [0]

    def step(*_args) -> None:
        done[0] += 1
        if progress:
            progress(done[0], steps)

    model = fit(by_head, epochs=epochs, progress=step)
    for head in calibrated:
        _calibrate(model.heads[head], by_head[head], rules_by_head[head], epochs, step)
    return model


_CALIBRATED = {"topic": TOPICS, "intent": INTENTS}
_FOLDS = 3
_SIGMAS = 3.0
_ALPHAS = (0.0, 0.5, 1.0)
_THRESHOLDS = (0.0, 0.5)


def _calibrate(head, rows, rules, epochs: int, step) -> None:
    """Choose ``head.alpha`` and ``head.threshold`` by cross-validation (see ``train``)."""
    grid = [(a, t) for a in _ALPHAS if a for t in _THRESHOLDS]
    fixed = dict.fromkeys(grid, 0)
    broken = dict.fromkeys(grid, 0)
    loss = dict.fromkeys(grid, 0.0)
    cold_correct = 0
    for fold in range(_FOLDS):
        fitted = [row for i, row in enumerate(rows) if i % _FOLDS != fold]
        held = [i for i in range(len(rows)) if i % _FOLDS == fold]
        if not held or len({label for _f, label in fitted}) < 2:
            for _ in range(epochs):
                step()
            continue
        fold_head = fit_head(fitted, epochs=epochs, on_epoch=step)
        for i in held:
            feats, gold = rows[i]
            cold, saw = rules[i]
            cold_right = max(cold, key=cold.__getitem__) == gold
            cold_correct += cold_right
            probs, known = fold_head.predict(feats)
            for alpha, threshold in grid:
                dist = cold
                if known and max(probs) >= threshold:
                    dist = blend(cold if saw else {}, fold_head, probs, alpha)
                right = max(dist, key=dist.__getitem__) == gold
                fixed[alpha, threshold] += right and not cold_right
                broken[alpha, threshold] += cold_right and not right
                loss[alpha, threshold] -= math.log(max(dist.get(gold, 0.0), 1e-6))
    passing = [g for g in grid if fixed[g] - broken[g] >= max(2.0, _SIGMAS * math.sqrt(
        fixed[g] + broken[g]))]
    alpha, threshold = max(passing, key=lambda g: (fixed[g] - broken[g], -g[0], -loss[g]),
                           default=(0.0, 0.0))
    head.alpha, head.threshold = alpha, threshold
    gain = fixed[alpha, threshold] - broken[alpha, threshold] if alpha else 0
    head.calibration = {"rows": len(rows), "folds": _FOLDS, "cold_correct": cold_correct,
                        "chosen_correct": cold_correct + gain}


def _head_features(head: str, common: list[str], scores: dict[str, float]) -> list[str]:
    """Word features plus the cold rules' verdict for this head, so a model learns how far to
    trust them. Each head sees only its own rule: a topic head must not learn that "the rules
    found a complaint" means "water"."""
    if not scores:
        return common
    tag = "topik" if head == "topic" else "intent"
    return [*common, f"rule:{tag}=" + max(scores, key=scores.__getitem__)]


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


def _rule_verdicts(
    tokens: list[Token], reasons: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """The cold rules' topic and intent scores for ``tokens``, with their reasons."""
    words = content_words(tokens)
    topics = _rule_scores(find_phrases(words, phrase_index("topics")), reasons, "topik")
    questions = _questions(tokens)
    intent_hits = find_phrases(words, phrase_index("intents"))
    intents = _rule_scores(_placed(intent_hits, words, questions), reasons, "intent")
    _sentence_function(questions, intents, reasons)
    _structural_intent_cues(tokens, topics, intents, reasons)
    return topics, intents


def _rule_scores(hits: list[Hit], reasons: list[str], tag: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for hit in hits:
        scores[hit.label] = scores.get(hit.label, 0.0) + hit.weight
        if hit.weight > 0:
            reasons.append(f"{tag}:{hit.phrase}")
    return {label: score for label, score in scores.items() if score > 0}


# Words that open a letter before it says anything: "Yth. Bapak Wali Kota, ..."
_SALUTATION = frozenset(
    "yth kepada kpd bapak pak ibu bu wali kota walikota admin min kakak selamat pagi siang sore "
    "malam assalamualaikum halo hai permisi punten maaf mohon izin dinas kelurahan lurah camat "
    "pdam pln yang terhormat dan jajaran".split()
)
_OPENING_WORDS = 8
_CLOSING_WORDS = 4
_CLOSING_FORMULAS = frozenset({"terima kasih", "🙏", "hatur nuhun", "terima nuhun"})


def _placed(hits: list[Hit], words: list[str], questions: list[_Question]) -> list[Hit]:
    """Intent cues weighted by where they stand.

    The opening says what a message is for: a thanks, suggestion or question cue in the first
    words after the salutation counts double ("Usul min, ...", "Terima kasih Pak Wali, ...").
    Thanks in the last words, after something was said, are a closing formula, not praise.
    Complaint words inside a question that asks for information are part of the question
    ("Kalau lampu mati, lapornya ke mana?"), not a complaint.
    """
    start = 0
    while start < len(words) and words[start] in _SALUTATION:
        start += 1
    asking = [(q.first, q.last) for q in questions if q.kind == "informasi"]
    placed = []
    for hit in hits:
        weight = hit.weight
        if (hit.phrase in _CLOSING_FORMULAS and hit.first > start
                and hit.last >= len(words) - _CLOSING_WORDS):
            weight = 0.0
        elif hit.label == "aduan" and any(a <= hit.first <= b for a, b in asking):
            weight = 0.0
        elif hit.label != "aduan" and hit.first < start + _OPENING_WORDS:
            weight *= 2
        placed.append(Hit(hit.label, hit.phrase, weight, hit.first, hit.last))
    return placed


@dataclass(frozen=True, slots=True)
class _Question:
    """A sentence ending in "?": its content-word span and what it does."""

    first: int
    last: int
    kind: str  # informasi | tuntutan | "" (neither cue)


def _questions(tokens: list[Token]) -> list[_Question]:
    """Each question sentence, judged by its cues (see ``data/project/questions.tsv``)."""
    index = phrase_index("questions")
    questions: list[_Question] = []
    current: list[str] = []
    position = 0
    for token in tokens:
        if token.kind == PUNCT and token.norm in ".!?":
            if token.norm == "?" and current:
                kinds = {hit.label for hit in find_phrases(current, index)}
                if _kapan_passive(current):
                    kinds.add("tuntutan")
                kind = "informasi" if "informasi" in kinds else (
                    "tuntutan" if "tuntutan" in kinds else "")
                questions.append(_Question(position - len(current), position - 1, kind))
            current = []
        elif token.kind not in (PUNCT, URL):
            current.append(token.norm)
            position += 1
    return questions


def _sentence_function(
    questions: list[_Question], intents: dict[str, float], reasons: list[str]
) -> None:
    """Score each question by what it does: ask for information, or demand and reproach.

    "Syaratnya apa saja?" is a pertanyaan; "Kapan dibersihkan?" and "Digaji buat apa?" are how
    citizens complain. A question with neither kind of cue leans to pertanyaan.
    """
    for question in questions:
        if question.kind == "informasi":
            intents["pertanyaan"] = intents.get("pertanyaan", 0.0) + 3.0
            reasons.append("intent:tanda tanya")
        elif question.kind == "tuntutan":
            intents["aduan"] = intents.get("aduan", 0.0) + 2.0
            reasons.append("intent:pertanyaan menuntut")
        else:
            intents["pertanyaan"] = intents.get("pertanyaan", 0.0) + 1.5
            reasons.append("intent:tanda tanya")


_DONE_WORDS = frozenset("selesai beres tuntas diperbaiki ditindak jadi".split())


def _kapan_passive(words: list[str]) -> bool:
    """ "kapan" followed within three words by a passive verb or "selesai": a demand."""
    for i, word in enumerate(words):
        if word == "kapan":
            for later in words[i + 1 : i + 4]:
                if (later.startswith("di") and len(later) > 5) or later in _DONE_WORDS:
                    return True
    return False


def _structural_intent_cues(
    tokens: list[Token], topics: dict[str, float], intents: dict[str, float], reasons: list[str]
) -> None:
    links = sum(t.kind == URL for t in tokens)
    mentions = sum(t.kind == MENTION for t in tokens)
    if links or mentions >= 4:
        intents["spam"] = intents.get("spam", 0.0) + 1.5 * links + (2.0 if mentions >= 4 else 0.0)
        reasons.append("intent:tautan" if links else "intent:banyak mention")
    if topics and intents.get("aduan"):
        # A problem word next to a public-service subject is what a complaint looks like.
        intents["aduan"] += 1.0
    elif topics and not intents:
        # A message that names a public matter and neither asks, thanks nor suggests is a
        # report of it: "Tekanan air lemah, lantai 2 tidak dapat air."
        intents["aduan"] = 0.5
        reasons.append("intent:laporan tanpa isyarat")


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
    model: Model, head_name: str, feats: list[str], rules: dict[str, float], saw: bool,
    reasons: list[str], tag: str,
) -> dict[str, float]:
    """The rules' distribution, tempered by the model as far as its calibration allows.

    A model that knows none of the message's words, is less sure than its threshold, or was
    calibrated to silence (alpha 0) leaves the rules alone (the very same dict is returned);
    otherwise rules × model^alpha. Where the rules ``saw`` nothing the model decides alone.
    """
    head = model.heads.get(head_name)
    if head is None or not head.alpha:
        return rules
    probs, known = head.predict(feats)
    if not known:
        return rules
    weight = max(probs)
    best = head.labels[probs.index(weight)]
    if weight < head.threshold:
        reasons.append(f"model:{tag} ragu {weight:.2f}")
        return rules
    reasons.append(f"model:{tag} {best} {weight:.2f}")
    reasons.extend(f"model:{feat}" for feat in head.top_features(feats, best))
    return blend(rules if saw else {}, head, probs, head.alpha)


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
