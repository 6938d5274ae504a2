"""Response and resolution times as histograms, so that a median or a 90th percentile over a
year is read from a few thousand bucket counts instead of every case.

A time falls in a bucket whose upper edge is RATIO times its lower one (bucket 0 holds
everything under a minute); within a bucket a percentile is interpolated geometrically. The
answer is therefore within one bucket's width of the exact percentile of the same cases, and in
practice within a few percent: for reports that read in hours, never a difference a reader
acts on. The exact times stay in the case facts (the case list export has them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# The first bucket's upper edge, in seconds, and the width of every other bucket.
FIRST = 60.0
RATIO = 1.15
_LOG_RATIO = math.log(RATIO)


def bucket(seconds: float) -> int:
    if seconds < FIRST:
        return 0
    return 1 + int(math.log(seconds / FIRST) / _LOG_RATIO)


def bounds(index: int) -> tuple[float, float]:
    if index <= 0:
        return 0.0, FIRST
    return FIRST * RATIO ** (index - 1), FIRST * RATIO ** index


def histogram(seconds: Iterable[float]) -> dict[int, int]:
    found: dict[int, int] = {}
    for value in seconds:
        index = bucket(value)
        found[index] = found.get(index, 0) + 1
    return found


def merge(into: dict[int, int], other: Mapping[int, int]) -> dict[int, int]:
    for index, count in other.items():
        into[index] = into.get(index, 0) + count
    return into


def total(counts: Mapping[int, int]) -> int:
    return sum(n for n in counts.values() if n > 0)


def percentiles(counts: Mapping[int, int], fractions: tuple[float, ...] = (0.5, 0.9)
                ) -> list[float | None]:
    """The times (seconds) below which `fractions` of the counted cases fall."""
    items = sorted((index, n) for index, n in counts.items() if n > 0)
    whole = sum(n for _, n in items)
    if not whole:
        return [None] * len(fractions)
    answers = []
    for fraction in fractions:
        target, below = fraction * whole, 0
        for index, n in items:
            if below + n >= target:
                low, high = bounds(index)
                part = (target - below) / n
                answers.append(low + (high - low) * part if index == 0
                               else low * (high / low) ** part)
                break
            below += n
    return answers
