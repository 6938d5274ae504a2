"""Kasar precision/recall/F1 against the `Abusive` label of id_multilabel_hs.

The tweets (Ibrohim & Budi 2019, github.com/okkyibrohim/id-multi-label-hate-speech-and-abusive-
language-detection, file re_dataset.csv; CC BY-NC-SA 4.0) are read at run time from a directory
given by --data or the TANGGAP_ID_MULTILABEL_HS environment variable, never copied into the
repository. The split is fixed by a hash of the tweet (25 % test). The train side was used to
look for missed words and false alarms while writing the project lexicon; figures are reported
on the test side only. `--trained` also fits the engine's kasar head on the train side (model
kept in bench/out/, which is git-ignored) and reports the blend on the same test side.

    python bench/language/bench_kasar.py --data DIR [--trained] [--errors N] [--side train|test]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from pathlib import Path

from common import REPO, is_test, prf

sys.path.insert(0, str(REPO))

from tanggap.language import classify, load_model, train  # noqa: E402

# The file name of the copy this project measured on (an 80 % sample of re_dataset.csv);
# the upstream file works too.
NAMES = ("re_dataset_dev.csv", "re_dataset.csv")


def dataset(directory: str | None) -> Path:
    directory = directory or os.environ.get("TANGGAP_ID_MULTILABEL_HS")
    if not directory:
        sys.exit("bench_kasar: give --data DIR or TANGGAP_ID_MULTILABEL_HS=DIR, a directory "
                 "holding id_multilabel_hs's re_dataset.csv (see the module docstring)")
    for name in NAMES:
        if (Path(directory) / name).is_file():
            return Path(directory) / name
    sys.exit(f"bench_kasar: no {' or '.join(NAMES)} in {directory}")


def clean(tweet: str) -> str:
    # Upstream masks users and links as USER/URL, prefixes retweets with "RT", and keeps
    # "\n" as two characters; none of that is language.
    tweet = tweet.replace("\\n", " ")
    tweet = re.sub(r"\b(RT|USER|URL)\b", " ", tweet)
    # Emoji and curly quotes are stored as escaped UTF-8 bytes ("\xf0\x9f\x98\x82"); decoded,
    # they are the signals a desk sees (🖕) instead of stray words such as "x9f".
    tweet = _ESCAPED_BYTES.sub(_decode, tweet)
    return tweet.strip()


_ESCAPED_BYTES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")


def _decode(match: re.Match) -> str:
    raw = bytes(int(h, 16) for h in match.group().split("\\x")[1:])
    return raw.decode("utf-8", errors="replace")


def load(path: Path) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    train_rows, test_rows = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            item = (clean(row["Tweet"]), row["Abusive"] == "1")
            if not item[0]:
                continue  # a tweet that was only "RT USER:" has no language left
            (test_rows if is_test(row["Tweet"]) else train_rows).append(item)
    return train_rows, test_rows


def evaluate(rows, model=None, errors=0) -> tuple[float, float, float]:
    tp = fp = fn = 0
    shown = {"fp": 0, "fn": 0}
    for text, gold in rows:
        predicted = classify(text, model=model).kasar
        tp += predicted and gold
        fp += predicted and not gold
        fn += gold and not predicted
        kind = "fp" if predicted and not gold else "fn" if gold and not predicted else None
        if kind and shown[kind] < errors:
            shown[kind] += 1
            print(f"  {kind}: {text[:160]}  {classify(text, model=model).reasons}")
    return prf(tp, fp, fn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", metavar="DIR", help="directory holding re_dataset.csv")
    parser.add_argument("--trained", action="store_true")
    parser.add_argument("--errors", type=int, default=0, help="print N errors of each kind")
    parser.add_argument("--side", choices=("train", "test"), default="test")
    args = parser.parse_args()
    train_rows, test_rows = load(dataset(args.data))
    rows = test_rows if args.side == "test" else train_rows
    positives = sum(gold for _text, gold in rows)
    print(f"id_multilabel_hs Abusive, {args.side} side: {len(rows)} tweets, {positives} abusive "
          f"(train side {len(train_rows)}, test side {len(test_rows)})")
    print(f"command: python bench/language/bench_kasar.py {' '.join(sys.argv[1:])}")
    p, r, f = evaluate(rows, errors=args.errors)
    print(f"kasar cold (lexicon): precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
    if args.trained:
        start = time.perf_counter()
        model = train([{"text": t, "kasar": g} for t, g in train_rows])
        out = REPO / "bench" / "out"
        out.mkdir(exist_ok=True)
        model.save(out / "kasar_model.npz")
        model = load_model(out / "kasar_model.npz")
        took = time.perf_counter() - start
        p, r, f = evaluate(rows, model=model, errors=args.errors)
        print(f"kasar trained on train side ({len(train_rows)} tweets, {took:.0f} s): "
              f"precision {p:.3f} recall {r:.3f} F1 {f:.3f}")


if __name__ == "__main__":
    main()
