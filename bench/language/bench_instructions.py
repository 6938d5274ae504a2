"""Machine instructions per message of this engine, and of another checkout's, by callgrind.

CPU seconds on a shared machine move by a quarter from one run to the next, and even
``bench_against.py``'s interleaved ratios wander by a tenth; a count of the instructions
executed does not move with the load. Each engine classifies 300 texts of the synthetic next
year (``classify`` one by one, or ``classify_many`` in batches of 256 for 512 texts with
``--batch``) once to fill its caches, then once or three times more, each run under
``valgrind --tool=callgrind`` with ``PYTHONHASHSEED=0`` (the hash seed moves the count of
dictionary probes); the difference between the two runs, divided by the texts, is what a
message costs in the steady state, start-up and loading left out. Four runs of a Python process
under callgrind take a few minutes.

    git worktree add /tmp/before <commit>
    python bench/language/bench_instructions.py /tmp/before [--batch]

With ``--first-sight`` it counts what ``bench_speed.py`` calls first sight instead: the 526
long and failure-pattern letters classified one by one, once, with every word and chunk cache
empty (a process that has just started; the lexicons are loaded by a pass over the same texts
whose caches are then cleared, as ``bench_speed.py`` does). The count is of two such passes
less none, divided by twice the texts: the work a message costs for its words and chunks
never seen before (tokenising, spelling repair, the kasar cues, the model's new rows).

    python bench/language/bench_instructions.py [/tmp/before] --first-sight

Without a checkout it counts this engine alone. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from callgrind import MODEL, compile_first, ensure_model, instructions, use_checkout
from common import HERE, REPO, clear_caches

ONE_BY_ONE, BATCHED = 300, 512
FIRST_SIGHT = 526


def first_sight_child(root: Path, runs: int) -> None:
    """Classify the letters once and forget them, then ``runs`` times more, each time with
    every cache empty, with ``root``'s engine."""
    from bench_topic import load as load_messages

    texts = [row["text"] for name in ("letters", "hard") for row in load_messages(name)]
    if len(texts) != FIRST_SIGHT:
        sys.exit(f"{len(texts)} first-sight letters, not {FIRST_SIGHT}: update FIRST_SIGHT")
    use_checkout(root)

    from tanggap.language import classify, load_model

    model = load_model(MODEL)
    for _ in range(1 + runs):
        for text in texts:
            classify(text, model=model)
        clear_caches(model)


def child(root: Path, runs: int, batch: bool) -> None:
    """Classify the texts once, then ``runs`` times more, with ``root``'s engine."""
    from synthetic import year

    use_checkout(root)

    from tanggap.language import classify, classify_many, load_model

    model = load_model(MODEL)
    texts = [row["text"] for row in year("test", 2000, 2025)]
    for _ in range(1 + runs):
        if batch:
            for start in range(0, BATCHED, 256):
                classify_many(texts[start:start + 256], model=model)
        else:
            for text in texts[:ONE_BY_ONE]:
                classify(text, model=model)


def child_args(root: Path, runs: int, batch: bool, first_sight: bool = False) -> list[str]:
    return ([str(root), str(runs)] + (["--batch"] if batch else [])
            + (["--first-sight"] if first_sight else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, nargs="?", help="a checkout of another version")
    parser.add_argument("--batch", action="store_true", help="classify_many, batches of 256")
    parser.add_argument("--first-sight", action="store_true",
                        help="the 526 letters once, every cache empty (bench_speed's first sight)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch and args.first_sight:
        parser.error("--first-sight classifies one by one: no --batch")
    if args.child:
        if args.first_sight:
            first_sight_child(Path(args.child[0]), int(args.child[1]))
        else:
            child(Path(args.child[0]), int(args.child[1]), args.batch)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    print(f"command: python bench/language/bench_instructions.py {' '.join(sys.argv[1:])}")
    ensure_model()
    texts = BATCHED if args.batch else FIRST_SIGHT if args.first_sight else ONE_BY_ONE
    way = "classify_many, batches of 256" if args.batch else "classify, one by one"
    # Warm: three passes less one (the first fills the caches). First sight: two passes
    # less none (each child fills and forgets the caches before counting starts to matter).
    more, fewer, state = (2, 0, "first sight") if args.first_sight else (3, 1, "caches warm")
    found = {}
    for name, root in (("this", REPO), ("other", args.checkout)):
        if root is None:
            continue
        compile_first(__file__, child_args(root, 0, args.batch, args.first_sight))
        per_text = (instructions(__file__, child_args(root, more, args.batch, args.first_sight))
                    - instructions(__file__, child_args(root, fewer, args.batch,
                                                        args.first_sight))) / (2 * texts)
        found[name] = per_text
        print(f"{name} ({root}): {per_text / 1000:,.0f} k instructions per text, {way}, "
              f"{state}")
    if len(found) == 2:
        print(f"other / this: {found['other'] / found['this']:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
