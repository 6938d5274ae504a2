"""Speed and memory of the language engine on one core.

Batch throughput of classify (cold and with a model) and check_tone over the project's
messages and replies, p99 latency of a single call on a warm process, memory of a loaded
model trained on those messages, and wall time of starting the CLI for one line.

The engine caches per word and per space-separated chunk (a desk sees the same words all
day). Each figure starts with every cache empty and then goes over its texts 20 times, so most
of it is the steady state. Texts never seen before are timed twice: "first sight" classifies
the long letters and failure-pattern letters once with every cache empty (a process that has
just started), "new texts" classifies the synthetic next year once after the process has
classified the previous year (a desk that has been running: most words known, every text new).
Each is timed one by one (``classify``, as the desk triages each arriving message), in batches
of 256 (``classify_many``, as ``tanggap classify`` reads), and one by one through the batch
path (how ``classify`` worked before it had its own path), best of three runs.

    python bench/language/bench_speed.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import tracemalloc

from bench_topic import load as load_messages
from common import HERE, REPO, clear_caches
from synthetic import year

sys.path.insert(0, str(REPO))

from tanggap.language import check_tone, classify, classify_many, load_model, train  # noqa: E402
from tanggap.language.triage import _classify_batch  # noqa: E402


def replies() -> list[str]:
    lines = (HERE / "data" / "replies.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[2] for line in lines if line.strip() and not line.startswith("#")]


def throughput(name: str, texts: list[str], call, rounds: int = 20) -> None:
    clear_caches()
    items = texts * rounds
    start, cpu_start = time.perf_counter(), time.process_time()
    for text in items:
        call(text)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    latencies = []
    for text in texts * 3:
        one = time.perf_counter()
        call(text)
        latencies.append(time.perf_counter() - one)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    # Wall time is what a desk sees; CPU time is the same work without other processes on a
    # shared machine, which can halve the wall figure from one run to the next.
    print(f"{name:<36} {len(items) / took:9,.0f} items/s wall ({len(items) / cpu:,.0f} per "
          f"CPU second)   p99 single item {p99:.2f} ms")


def batch_throughput(name: str, texts: list[str], model, rounds: int = 20) -> None:
    clear_caches(model)
    items = texts * rounds
    cpu_start = time.process_time()
    for start in range(0, len(items), 256):
        classify_many(items[start:start + 256], model=model)
    print(f"{name:<36} {len(items) / (time.process_time() - cpu_start):9,.0f} items per CPU "
          "second")


def unseen(name: str, texts: list[str], model, warm: list[str] = (), runs: int = 3) -> None:
    """Texts the process has never seen, once each, after ``warm`` (or with empty caches):
    one by one, in batches of 256, and one by one through the batch path; best of ``runs``."""
    ways = {"classify, one by one": lambda: [classify(t, model=model) for t in texts],
            "classify_many, batches of 256": lambda: [
                classify_many(texts[i:i + 256], model=model) for i in range(0, len(texts), 256)],
            "one by one through the batch path (before)": lambda: [
                _classify_batch([t], model) for t in texts]}
    rates: dict[str, list[float]] = {way: [] for way in ways}
    for _ in range(runs):
        for way, run in ways.items():  # interleaved, so that a burst of load hits all three
            clear_caches(model)
            for start in range(0, len(warm), 256):
                classify_many(warm[start:start + 256], model=model)
            cpu_start = time.process_time()
            run()
            rates[way].append(len(texts) / (time.process_time() - cpu_start))
    for way, got in rates.items():
        print(f"{name}, {way:<44} {max(got):9,.0f} per CPU second (runs: "
              f"{', '.join(f'{rate:,.0f}' for rate in got)})")


def main() -> None:
    print(f"command: python bench/language/bench_speed.py {' '.join(sys.argv[1:])}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    messages = [row["text"] for row in load_messages()]
    print(f"{len(messages)} messages (mean {sum(map(len, messages)) / len(messages):.0f} chars), "
          f"{len(replies())} replies")
    model_path = REPO / "bench" / "out" / "speed_model.npz"
    model_path.parent.mkdir(exist_ok=True)
    train(load_messages()).save(model_path)
    tracemalloc.start()
    model = load_model(model_path)
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    classify("warm up")
    throughput("classify (cold)", messages, classify)
    throughput("classify (--model)", messages, lambda t: classify(t, model=model))
    throughput("same through the batch path (before)", messages,
               lambda t: _classify_batch([t], model))
    batch_throughput("classify_many (--model), batches of 256", messages, model)
    first_sight = [row["text"] for name in ("letters", "hard") for row in load_messages(name)]
    unseen(f"first sight ({len(first_sight)} letters)", first_sight, model)
    previous, following = year("train", 7000, 2025), year("test", 2000, 2025)
    unseen(f"new texts ({len(following)}, after {len(previous)})",
           [row["text"] for row in following], model, warm=[row["text"] for row in previous])
    letters = [row["text"] for row in load_messages("letters")]
    throughput(f"same, {len(letters)} long letters", letters,
               lambda t: classify(t, model=model))
    throughput("check_tone", replies(), check_tone)
    print(f"loaded model: {size / 2**20:.1f} MB in Python objects "
          f"({model_path.stat().st_size / 2**10:.0f} KB file, "
          f"{len(model.vocab):,} features); "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tanggap.language.cli", "classify"],
                       input=b'{"id": 1, "text": "lampu jalan mati min"}\n', capture_output=True,
                       cwd=REPO, check=True)
        runs.append(time.perf_counter() - start)
    print(f"python -m tanggap.language.cli classify, one line: start-up to exit "
          f"{min(runs) * 1000:.0f} ms best, {max(runs) * 1000:.0f} ms worst of 5")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
