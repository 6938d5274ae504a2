"""The cold rules: weighted phrases and sentence cues that need no city history.

``rule_verdicts(tokens, reasons)`` returns the topic and intent scores of a message (phrases in
``data/project/topics.tsv``, ``intents.tsv`` and ``questions.tsv``) and appends why; the
trained head (``model.py``) uses them as a prior and as a feature, never as a veto.
"""

from __future__ import annotations

from dataclasses import dataclass

from .matching import Hit, content_words, find_phrases, phrase_index
from .normalize import KIND, MENTION, NORM, PUNCT, URL, Token


def rule_verdicts(
    tokens: list[Token], reasons: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """The cold rules' topic and intent scores for ``tokens``, with their reasons."""
    words = content_words(tokens)
    topics = _rule_scores(find_phrases(words, phrase_index("topics")), reasons, "topik")
    kinds = list(map(KIND, tokens))
    # Most messages ask nothing: skip the sentence walk for them.
    questions = _questions(tokens) if "?" in map(NORM, tokens) else []
    intent_hits = find_phrases(words, phrase_index("intents"))
    intents = _rule_scores(_placed(intent_hits, words, questions), reasons, "intent")
    _sentence_function(questions, intents, reasons)
    _structural_intent_cues(kinds, topics, intents, reasons)
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
_CONTRASTS = frozenset({"tapi", "namun", "hanya saja", "sayangnya", "akan tetapi", "padahal"})
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
    # "Terima kasih ..., tapi ...": the thanks are a courtesy before the real matter.
    contrast = min((hit.first for hit in hits if hit.phrase in _CONTRASTS), default=len(words))
    placed = []
    for hit in hits:
        weight = hit.weight
        if hit.label == "apresiasi" and hit.first < contrast < len(words):
            pass
        elif (hit.phrase in _CLOSING_FORMULAS and hit.first > start
                and hit.last >= len(words) - _CLOSING_WORDS):
            weight = 0.0
        elif hit.label == "aduan" and any(a <= hit.first <= b for a, b in asking):
            weight = 0.0
        elif hit.label != "aduan" and hit.first < start + _OPENING_WORDS:
            weight *= 2
        placed.append(hit._replace(weight=weight) if weight != hit.weight else hit)
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
    kinds: list[str], topics: dict[str, float], intents: dict[str, float], reasons: list[str]
) -> None:
    links, mentions = kinds.count(URL), kinds.count(MENTION)
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
