"""Machine instructions per message of each part of ``classify``, by callgrind.

``bench_instructions.py`` counts a whole message; this counts its parts, each over the same
300 texts of the synthetic next year with every cache warm (each text classified once
before): splitting and tokens, the cold rules, the kasar gate, the model's feature rows
(joined and deduplicated), their sum, the heads' blends (``_score_one`` whole) and the
reasons, so that a change can be judged by the part it touches and the next round knows
where the instructions are. Each part is one run under ``valgrind --tool=callgrind`` with
``PYTHONHASHSEED=0``, less a run that sets up the same and classifies nothing more, divided
by the texts. A run takes a minute or more (several on a busy machine).

    python bench/language/bench_parts.py [CHECKOUT] [--parts classify,read,...]

CHECKOUT (default: this one) is the engine counted; its ``tanggap/language`` must have the
same private names as this one's (``_read``, ``_score_one``, ``encode_one``...).
Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
from pathlib import Path

from callgrind import MODEL, compile_first, ensure_model, instructions, use_checkout
from common import HERE, REPO

TEXTS = 300
PARTS = {
    "classify": "classify(text, model) whole",
    "read": "_read: split, tokens, cold rules, kasar gate and detector",
    "tokens": "split_chunks + chunk_tokens",
    "rules": "rule_verdicts (topic and intent phrases, questions, cues)",
    "kasar_gate": "may_be_kasar",
    "score": "_score_one with the model: rows, sums, blends, reasons",
    "encode": "encode_one: the feature rows, joined, deduplicated and summed (compiled or not)",
    "rows": "the feature rows in Python, joined and deduplicated (_rows + unique_rows)",
    "sums": "their sum and l2 norm in NumPy (_sums)",
    "reasons": "strongest_one (the reasons' word features)",
}


def child(root: Path, part: str, runs: int) -> None:
    from synthetic import year

    use_checkout(root)

    from tanggap.language import classify, load_model, triage
    from tanggap.language import model as model_module
    from tanggap.language.matching import may_be_kasar
    from tanggap.language.normalize import chunk_tokens, split_chunks
    from tanggap.language.rules import rule_verdicts

    model = load_model(MODEL)
    texts = [row["text"] for row in year("test", 2000, 2025)][:TEXTS]
    for text in texts:
        classify(text, model=model)
    reads = [triage._read(text) for text in texts]
    extras = [triage._rule_features(r.topics, r.intents, r.kasar) for r in reads]
    ids = [model.encode_one(r.tokens, extra, r.chunks)[0] for r, extra in zip(reads, extras,
                                                                                strict=True)]
    topic = model.heads["topic"]
    # Older engines kept the deduplication in model.py.
    unique = getattr(model_module, "_unique", None) or importlib.import_module(
        "tanggap.language.rows").unique_rows

    def score() -> None:
        for r in reads:
            kept = len(r.reasons)
            triage._score_one(r, model)
            del r.reasons[kept:]

    calls = {
        "classify": lambda: [classify(text, model=model) for text in texts],
        "read": lambda: [triage._read(text) for text in texts],
        "tokens": lambda: [chunk_tokens(split_chunks(text)) for text in texts],
        "rules": lambda: [rule_verdicts(r.tokens, []) for r in reads],
        "kasar_gate": lambda: [may_be_kasar(r.chunks, r.tokens) for r in reads],
        "score": score,
        "encode": lambda: [model.encode_one(r.tokens, extra, r.chunks)
                           for r, extra in zip(reads, extras, strict=True)],
        "rows": lambda: [unique(model._rows(r.tokens, extra, r.chunks))
                         for r, extra in zip(reads, extras, strict=True)],
        "sums": lambda: [model._sums(found) for found in ids if len(found)],
        "reasons": lambda: [model.strongest_one(found, topic, 0) for found in ids],
    }
    for _ in range(runs):
        calls[part]()


def count(root: Path, part: str, runs: int) -> int:
    return instructions(__file__, [str(root), part, str(runs)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, nargs="?", default=REPO)
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, of: {', '.join(PARTS)}")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], int(args.child[2]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    parts = args.parts.split(",")
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        sys.exit(f"unknown parts: {', '.join(unknown)} (known: {', '.join(PARTS)})")
    print(f"command: python bench/language/bench_parts.py {' '.join(sys.argv[1:])}")
    ensure_model()
    compile_first(__file__, [str(args.checkout), "classify", "0"])
    base = count(args.checkout, "classify", 0)
    for part in parts:
        per_text = (count(args.checkout, part, 1) - base) / TEXTS
        print(f"{part:<11} {per_text / 1000:7,.0f} k instructions per text   {PARTS[part]}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
