"""Issue 9's targets, and the line each benchmark prints under its figures: the figure, the
target, and whether this run reached it. One run on a shared machine is one sample: the
figures move between runs (docs/performance.md), so a verdict speaks for its own run only.

    python bench/core/targets.py NAME VALUE     (for the shell benchmarks)
"""

from __future__ import annotations

import operator
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    what: str
    bound: float
    unit: str
    at_most: bool  # True: the figure must stay at or below the bound; False: reach it

    def reached(self, value: float) -> bool:
        return (operator.le if self.at_most else operator.ge)(value, self.bound)


TARGETS = {
    "inbound_cpu_ms": Target("CPU per inbound, in-process", 1.5, "ms", True),
    "inbound_wrk_per_s": Target("inbound, wrk, 16 connections, SQLite", 1500, "/s", False),
    "webhooks_per_s": Target("signed webhooks acknowledged and stored, SQLite", 2000, "/s",
                             False),
    "claim_p99_ms": Target("claim p99, 20 operators 0.5 s apart", 10, "ms", True),
    "inbox_api_p95_ms": Target("inbox list p95, API, 100,000 cases / 500,000 messages", 10,
                               "ms", True),
    "inbox_html_p95_ms": Target("inbox list p95, HTML, 100,000 cases / 500,000 messages", 25,
                                "ms", True),
}


def verdict(name: str, value: float) -> str:
    target = TARGETS[name]
    sign = "≤" if target.at_most else "≥"
    word = "reached" if target.reached(value) else "NOT reached"
    shown = f"{value:.2f}" if target.unit == "ms" else f"{value:.0f}"
    return (f"issue 9 target, {target.what}: {sign} {target.bound:g} {target.unit}; this run "
            f"{shown} {target.unit}: {word}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: targets.py NAME VALUE; NAME one of {', '.join(TARGETS)}")
    try:
        figure = float(sys.argv[2])
    except ValueError:
        sys.exit(f"targets.py: {sys.argv[2]!r} is not a number")
    print(verdict(sys.argv[1], figure))
