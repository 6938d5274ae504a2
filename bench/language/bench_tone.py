"""Tone-guard verdicts on the project's own operator replies (data/replies.tsv, --set replies_hard).

Each reply was written for the project with the verdict it should get (ok, warn, block) and
a kind (sopan, kapital, seru, kasar, hinaan, sapaan, meremehkan, sindiran, tidak_sabar).
Prints block/warn/ok rates per kind and the two promises: every abusive or shouting reply
blocked, no polite reply blocked.

    python bench/language/bench_tone.py [--errors]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict

from common import HERE, REPO

sys.path.insert(0, str(REPO))

from tanggap.language import check_tone  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print replies judged otherwise")
    parser.add_argument("--set", choices=("replies", "replies_hard"), default="replies",
                        help="which written set of replies (data/<set>.tsv)")
    args = parser.parse_args()
    print(f"command: python bench/language/bench_tone.py {' '.join(sys.argv[1:])}")
    rows = []
    for line in (HERE / "data" / f"{args.set}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            expected, kind, text = line.split("\t")
            rows.append((expected, kind, text, check_tone(text, inbound_kind="aduan").verdict))
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for _expected, kind, _text, verdict in rows:
        by_kind[kind][verdict] += 1
    print(f"operator replies: {len(rows)}")
    for kind, counts in sorted(by_kind.items()):
        total = sum(counts.values())
        print(f"  {kind:<12} n={total:<3} block {counts['block'] / total:6.1%}  "
              f"warn {counts['warn'] / total:6.1%}  ok {counts['ok'] / total:6.1%}")
    exact = sum(expected == verdict for expected, _k, _t, verdict in rows)
    must_block = [r for r in rows if r[1] in ("kapital", "seru", "kasar", "hinaan")
                  and r[0] == "block"]
    polite = [r for r in rows if r[1] == "sopan"]
    print(f"verdict as written: {exact}/{len(rows)} ({exact / len(rows):.1%})")
    print(f"abusive/shouting/insulting replies blocked: "
          f"{sum(r[3] == 'block' for r in must_block)}/{len(must_block)}")
    print(f"polite replies blocked: {sum(r[3] == 'block' for r in polite)}/{len(polite)}; "
          f"warned: {sum(r[3] == 'warn' for r in polite)}/{len(polite)}")
    should_warn = [r for r in rows if r[0] == "warn"]
    print(f"replies written to warn that were warned (or blocked): "
          f"{sum(r[3] != 'ok' for r in should_warn)}/{len(should_warn)}")
    if args.errors:
        for expected, kind, text, verdict in rows:
            if expected != verdict:
                print(f"  expected {expected}, got {verdict} [{kind}]: {text}")


if __name__ == "__main__":
    main()
