"""Classifying speed of this engine against another version of it, in the same process.

On a shared machine the load moves from one minute to the next, and even CPU seconds run
slower while other processes share the core's caches, so two runs of ``bench_speed.py`` cannot
tell a gain of a tenth. Here both engines classify the same texts interleaved: message by
message one by one (``classify``), batch by batch in batches of 256 (``classify_many``), each
call timed in CPU time of this thread, so that a burst of load hits both alike. Both start with
every cache empty: "first sight" classifies the long letters and failure-pattern letters once,
"new texts" the synthetic next year once after classifying the previous year (most words
known, every text new). Both load the same model file, trained here on messages.tsv. Each
engine also answers the same: the script stops if one triage differs.

    git worktree add /tmp/before <commit>
    python bench/language/bench_against.py /tmp/before

The two engines take turns going first. Even so, two copies of one engine differ here by up
to a fifth in a run (``bench_against.py .`` shows it): a ratio inside that band shows nothing;
``bench_instructions.py`` counts what the load cannot move.

It also counts, for each engine, the interpreter's steps (bytecodes, through
``sys.monitoring``) per new text classified one by one: a figure that does not move with the
load, though it leaves out the time spent in C (NumPy, dictionaries, regular expressions).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
from functools import _lru_cache_wrapper
from pathlib import Path

from bench_topic import load as load_messages
from common import REPO
from synthetic import year

sys.path.insert(0, str(REPO))

import tanggap.language as this  # noqa: E402


def other_engine(checkout: Path):
    """``checkout``'s ``tanggap/language`` imported as the package ``other_language`` (it
    imports only itself, by relative imports)."""
    folder = Path(tempfile.mkdtemp(prefix="bench_against_"))
    shutil.copytree(checkout / "tanggap" / "language", folder / "other_language",
                    ignore=shutil.ignore_patterns("tests", "__pycache__"))
    sys.path.insert(0, str(folder))
    return importlib.import_module("other_language")


def clear(engine, model) -> None:
    """Forget every word and chunk an engine has cached, as a process that has just started
    and loaded its lexicons (one short message, untimed, loads them again)."""
    prefix = engine.__name__ + "."
    for name, module in list(sys.modules.items()):
        if name.startswith(prefix) and module is not None:
            for value in vars(module).values():
                if isinstance(value, _lru_cache_wrapper):
                    value.cache_clear()
    if hasattr(model, "clear_caches"):
        model.clear_caches()
    else:
        model._word_ids.clear()
    engine.classify("ok", model=model)


def compare(name: str, engines, texts: list[str], warm: list[str]) -> None:
    clock = time.thread_time_ns
    for way in ("classify, one by one", "classify_many, batches of 256"):
        for engine, model in engines:
            clear(engine, model)
            for start in range(0, len(warm), 256):
                engine.classify_many(warm[start:start + 256], model=model)
        spent = [0, 0]
        if way.startswith("classify,"):
            for n, text in enumerate(texts):
                answers = [None, None]
                for i in _turns(n):
                    engine, model = engines[i]
                    start = clock()
                    answers[i] = engine.classify(text, model=model).as_dict()
                    spent[i] += clock() - start
                if answers[0] != answers[1]:
                    sys.exit(f"the engines differ on {text!r}: {answers}")
        else:
            for n, first in enumerate(range(0, len(texts), 256)):
                batch = texts[first:first + 256]
                for i in _turns(n):
                    engine, model = engines[i]
                    start = clock()
                    engine.classify_many(batch, model=model)
                    spent[i] += clock() - start
        this_rate, other_rate = (len(texts) / (ns / 1e9) for ns in spent)
        print(f"{name}, {way:<30} this {this_rate:7,.0f}, other {other_rate:7,.0f} per CPU "
              f"second ({this_rate / other_rate:.2f} times)")


def _turns(n: int) -> tuple[int, int]:
    """Which engine goes first on the ``n``-th text or batch: each in turn. Always the same
    one first made two copies of one engine differ by a tenth one by one (the first faster)
    and by a fifth in batches (the second faster)."""
    return (0, 1) if n % 2 == 0 else (1, 0)


def steps(engines, texts: list[str]) -> None:
    """Bytecodes per message of each engine classifying ``texts`` one by one (caches warm)."""
    monitoring = sys.monitoring
    tool = monitoring.PROFILER_ID
    for engine, model in engines:
        for text in texts:  # every chunk and word seen: the steady state
            engine.classify(text, model=model)
    counted = []
    for engine, model in engines:
        count = [0]

        def step(_code, _offset, count=count):
            count[0] += 1

        monitoring.use_tool_id(tool, "bench_against")
        monitoring.register_callback(tool, monitoring.events.INSTRUCTION, step)
        monitoring.set_events(tool, monitoring.events.INSTRUCTION)
        try:
            for text in texts:
                engine.classify(text, model=model)
        finally:
            monitoring.set_events(tool, 0)
            monitoring.free_tool_id(tool)
        counted.append(count[0] / len(texts))
    print(f"new texts, interpreter steps per message one by one: this {counted[0]:,.0f}, "
          f"other {counted[1]:,.0f} ({counted[1] / counted[0]:.2f} times fewer)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of the other version")
    args = parser.parse_args()
    print(f"command: python bench/language/bench_against.py {args.checkout}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    other = other_engine(args.checkout)
    model_path = REPO / "bench" / "out" / "speed_model.npz"
    model_path.parent.mkdir(exist_ok=True)
    this.train(load_messages()).save(model_path)
    engines = [(this, this.load_model(model_path)), (other, other.load_model(model_path))]
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    first_sight = [row["text"] for name in ("letters", "hard") for row in load_messages(name)]
    compare(f"first sight ({len(first_sight)} letters)", engines, first_sight, [])
    previous, following = year("train", 7000, 2025), year("test", 2000, 2025)
    compare(f"new texts ({len(following)}, after {len(previous)})", engines,
            [row["text"] for row in following], [row["text"] for row in previous])
    steps(engines, [row["text"] for row in following[:300]])
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
