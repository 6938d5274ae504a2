"""List slang-table entries that may mis-map a desk word, for a human to judge.

Two checks over the shipped slang tables (IndoCollex, NLP_bahasa_resources; the project table
is the override and is left out):

1. keys that are themselves standard root words (NLP_bahasa_resources combined_root_words.txt),
   so the "slang" reading may be the rarer one (aspal → asli tapi palsu, luber → langsung umum
   bebas rahasia, togel → toto gelap, which the street-light lexicon reads as "gelap");
2. keys whose formal side contains a kasar term, so an everyday word would make a message
   kasar (apes → sial, dodol → bodoh).

Entries already overridden in data/project/desk_slang.tsv are marked "ok". Each remaining row
is a decision: override it in desk_slang.tsv, or leave it because the slang reading is right.

    python bench/language/slang_audit.py
"""

from __future__ import annotations

import sys

from common import REPO, SHARED

sys.path.insert(0, str(REPO))

from tanggap.language import lexicon  # noqa: E402


def main() -> None:
    roots = {line.strip().lower() for line in (
        SHARED / "nlp_bahasa_resources" / "combined_root_words.txt").read_text(
            encoding="utf-8").splitlines() if line.strip()}
    project = {row[0] for row in lexicon.read_tsv(lexicon.DATA / "project" / "desk_slang.tsv")}
    kasar = {term[0] for term, kind in lexicon.kasar_terms().items()
             if len(term) == 1 and kind != "bukan"}
    shipped: dict[str, str] = {}
    for source in ("indocollex", "nlp_bahasa_resources"):
        for key, formal in lexicon.read_tsv(lexicon.DATA / source / "slang.tsv"):
            shipped.setdefault(key, formal)
    print("1. keys that are standard root words:")
    for key, formal in sorted(shipped.items()):
        if key in roots and key != formal:
            print(f"  {'ok ' if key in project else '   '} {key} → {formal}")
    print("2. keys that become a kasar term:")
    for key, formal in sorted(shipped.items()):
        if key not in kasar and set(formal.split()) & kasar:
            print(f"  {'ok ' if key in project else '   '} {key} → {formal}")


if __name__ == "__main__":
    main()
