"""Bahasa Indonesia language engine: triage of what arrives, a tone guard on what leaves.

Public API (everything else in this package is private and may change)::

    classify(text, model=None) -> Triage       # intent, topic, kasar, confidence, reasons
    classify_many(texts, model=None) -> list[Triage]   # the same, faster for a batch
    check_tone(text, *, inbound_kind=None) -> ToneResult   # verdict ok|warn|block, findings
    suggest_rewrite(text, *, inbound_kind=None) -> str | None   # a passing version, or None
    normalize(text) -> list[Token]             # normalised tokens with spans
    train(rows, *, progress=None) -> Model     # rows: {"text", "topic"?, "intent"?, "kasar"?}
    load_model(path) -> Model;  Model.save(path)

This package must never import Django: the CLI and the desk both use it, and the CLI must start
in well under two seconds without a database.
"""

from .model import Model, load_model
from .normalize import Token, normalize
from .tone import Finding, ToneResult, check_tone, suggest_rewrite
from .triage import INTENTS, TOPICS, Triage, classify, classify_many, train

__all__ = [
    "INTENTS", "TOPICS", "Finding", "Model", "ToneResult", "Token", "Triage",
    "check_tone", "classify", "classify_many", "load_model", "normalize", "suggest_rewrite",
    "train",
]
