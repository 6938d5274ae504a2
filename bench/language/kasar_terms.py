"""Which kasar terms help and which hurt, measured on the TRAIN side of id_multilabel_hs only.

For each term of the shipped kasar lexicon that fires on a train tweet: how many tweets it
fires on and how many of them carry the `Abusive` label (its precision on its own). Then the
words the lexicon does not know that stand most often in abusive tweets the engine misses
(candidates for a human to judge, not to be added blindly: the label also marks slurs and
crude talk that a city desk may treat differently). The test side is never read.

    python bench/language/kasar_terms.py [--min 5] [--top 60]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from bench_kasar import load
from common import REPO

sys.path.insert(0, str(REPO))

from tanggap.language.matching import content_words, find_kasar  # noqa: E402
from tanggap.language.normalize import normalize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=int, default=5, help="least tweets for a row")
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    train_rows, _test_rows = load()
    fired, fired_abusive = Counter(), Counter()
    missed_words, missed_clean = Counter(), Counter()
    for text, gold in train_rows:
        tokens = normalize(text)
        hits = find_kasar(tokens)
        for term in {tokens[h.first].base for h in hits}:
            fired[term] += 1
            fired_abusive[term] += gold
        if not hits:
            words = set(content_words(tokens)) | {t.base for t in tokens}
            for word in words:
                (missed_words if gold else missed_clean)[word] += 1
    print(f"lexicon terms on the train side (fired on at least {args.min} tweets), "
          "worst precision first:")
    rows = sorted((fired_abusive[t] / n, n, t) for t, n in fired.items() if n >= args.min)
    for precision, n, term in rows[: args.top]:
        print(f"  {term:<16} fired {n:>4}  abusive {precision:6.1%}")
    print("words in missed abusive tweets, most telling first (abusive / all tweets with it):")
    candidates = [
        (missed_words[w] / (missed_words[w] + missed_clean[w]), missed_words[w], w)
        for w in missed_words if missed_words[w] >= args.min
    ]
    for share, n, word in sorted(candidates, reverse=True)[: args.top]:
        print(f"  {word:<16} {n:>4} / {n + missed_clean[word]:<4} {share:6.1%}")


if __name__ == "__main__":
    main()
