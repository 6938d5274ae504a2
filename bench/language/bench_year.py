"""A city-sized year: train on ~7,000 synthetic letters, test on the next synthetic year.

The letters are recombined from the project's written sets by ``synthetic.py`` (seeded,
documented there): the "previous year" only from the train sides of the written sets, the
"next year" only from their test sides. They are **synthetic**: the figures show training time
and memory at a city's size, and how the trained engine stands against the cold rules and a
plain TF-IDF + linear SVM there; they are not real-mail figures.

Training time is measured in a fresh process, as ``tanggap train`` runs: importing
scikit-learn and SciPy is part of it (a warm process, such as the desk's worker after its first
retraining, pays it once).

    python bench/language/bench_year.py [--size 7000] [--test-size 2000] [--seed 2025]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from bench_topic import baseline, report
from common import REPO
from synthetic import year

sys.path.insert(0, str(REPO))

from tanggap.language import load_model  # noqa: E402


def timed_train(rows: list[dict], out, workers: int = 1) -> tuple[float, float, dict]:
    """Run ``tanggap train`` on ``rows`` in a fresh process: (wall s, CPU s, its summary)."""
    data = out / "year_train.jsonl"
    with data.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({k: row[k] for k in ("text", "topic", "intent", "kasar")},
                                    ensure_ascii=False) + "\n")
    command = [sys.executable, "-c",
               "import resource, sys, time; from tanggap.language.cli import main; "
               "code = main(sys.argv[1:]); u = resource.getrusage(resource.RUSAGE_SELF); "
               "print(u.ru_utime + u.ru_stime, u.ru_maxrss, file=sys.stderr); sys.exit(code)",
               "train", "--input", str(data), "--output", str(out / "year_model.npz"),
               "--workers", str(workers)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, cwd=REPO, check=True, text=True)
    wall = time.perf_counter() - start
    cpu, rss = done.stderr.split()[-2:]
    summary = json.loads(done.stdout)
    summary["peak_rss_mb"] = int(rss) // 1024
    return wall, float(cpu), summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=7000)
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    print(f"command: python bench/language/bench_year.py {' '.join(sys.argv[1:])}")
    train_rows = year("train", args.size, args.seed)
    test_rows = year("test", args.test_size, args.seed)
    print(f"synthetic year: {len(train_rows)} letters from train-side sources, next year "
          f"{len(test_rows)} from test-side sources (seed {args.seed})")
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    model_file = out / "year_model.npz"
    for workers in (2, 1):  # the model of one worker is the one evaluated below
        wall, cpu, summary = timed_train(train_rows, out, workers)
        print(f"tanggap train --workers {workers} on {len(train_rows)} letters: {wall:.1f} s "
              f"wall, {cpu:.1f} s CPU, peak RSS {summary['peak_rss_mb']} MB, model file "
              f"{model_file.stat().st_size // 1024} KB; heads {summary['heads']}")
    model = load_model(model_file)
    for name, head in model.heads.items():
        print(f"  {name} head, cross-validated on the training year: {head.report}")
    report("cold, next year", test_rows)
    report("trained, next year", test_rows, model=model)
    baseline(train_rows, test_rows, "next year")


if __name__ == "__main__":
    main()
