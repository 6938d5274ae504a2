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

Without a checkout it counts this engine alone. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from common import HERE, REPO

MODEL = REPO / "bench" / "out" / "speed_model.npz"
ONE_BY_ONE, BATCHED = 300, 512


def child(root: Path, runs: int, batch: bool) -> None:
    """Classify the texts once, then ``runs`` times more, with ``root``'s engine."""
    sys.path.insert(0, str(root))
    from synthetic import year

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


def count(root: Path, runs: int, batch: bool) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--child", str(root), str(runs)]
    done = subprocess.run(command + (["--batch"] if batch else []), capture_output=True,
                          text=True, cwd=REPO, env=_env(), check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        sys.exit(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def _env() -> dict[str, str]:
    # Bytecode written and read: a run that compiles the engine's modules counts more than
    # one that reads them, and the difference of two runs would count that (compile_first).
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_first(root: Path, batch: bool) -> None:
    """Run the child once outside callgrind (no run after the first), so that both counted
    runs read the same compiled bytecode: a fresh checkout's first run compiles its modules,
    and its count would differ from the next one's by that too."""
    subprocess.run([sys.executable, __file__, "--child", str(root), "0"]
                   + (["--batch"] if batch else []), cwd=REPO, env=_env(), check=True,
                   capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, nargs="?", help="a checkout of another version")
    parser.add_argument("--batch", action="store_true", help="classify_many, batches of 256")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.batch)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    print(f"command: python bench/language/bench_instructions.py {' '.join(sys.argv[1:])}")
    if not MODEL.exists():
        sys.path.insert(0, str(REPO))
        from bench_topic import load as load_messages

        from tanggap.language import train

        MODEL.parent.mkdir(exist_ok=True)
        train(load_messages()).save(MODEL)
    texts = BATCHED if args.batch else ONE_BY_ONE
    way = "classify_many, batches of 256" if args.batch else "classify, one by one"
    found = {}
    for name, root in (("this", REPO), ("other", args.checkout)):
        if root is None:
            continue
        compile_first(root, args.batch)
        per_text = (count(root, 3, args.batch) - count(root, 1, args.batch)) / (2 * texts)
        found[name] = per_text
        print(f"{name} ({root}): {per_text / 1000:,.0f} k instructions per text, {way}, "
              "caches warm")
    if len(found) == 2:
        print(f"other / this: {found['other'] / found['this']:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
