"""Reading the roll-ups for a report: counts per day, breakdowns by dimension, each operator's
work and the histograms of response and resolution times, for a period and filters.

A report with no filter, or one, reads the slices (RollupSlice, PairSlice, DurationSlice): a
few hundred rows a year per value, whatever the desk's size. A report with two filters or more
reads the daily roll-up rows of its first filter's value through that dimension's index, and
its times from the case facts' covering indexes. Both ways answer the same numbers (the
slices are sums of the same additions), and times are always read as histograms
(reports.durations).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import connection
from django.db.models import Q, Sum

from tanggap.reports import durations
from tanggap.reports.filters import ReportFilter
from tanggap.reports.models import (
    ALL_ROWS_COUNTERS,
    BREAKDOWN_COUNTERS,
    COUNTERS,
    DIMENSIONS,
    FIRST_RESPONSE,
    OPERATOR,
    OPERATOR_COUNTERS,
    WHOLE,
    CaseFact,
    DailyRollup,
    DurationSlice,
    PairSlice,
    RollupSlice,
)
from tanggap.reports.rollup import slice_value

CASE_LEVEL = Q(operator_id=0)
# How a report sums the daily rows: case-level counters over the case rows, the others over all.
_DAY_SUMS = {c: Sum(c) if c in ALL_ROWS_COUNTERS else Sum(c, filter=CASE_LEVEL)
             for c in COUNTERS}


def one_slice(f: ReportFilter) -> tuple[str, str] | None:
    """The slice that holds the report's numbers whole: (dimension, value), or None when the
    report filters on two dimensions or more."""
    found = f.dimension_filters()
    if not found:
        return WHOLE, ""
    if len(found) == 1:
        ((name, value),) = found.items()
        return name, slice_value(value)
    return None


def rollups(f: ReportFilter):
    return DailyRollup.objects.filter(workspace_id=f.workspace_id, day__gte=f.start,
                                      day__lte=f.end, **f.dimension_filters())


def facts(f: ReportFilter, day_field: str):
    return CaseFact.objects.filter(workspace_id=f.workspace_id,
                                   **{f"{day_field}__gte": f.start, f"{day_field}__lte": f.end},
                                   **f.dimension_filters())


def _slices(f: ReportFilter, dimension: str, value: str | None = None):
    rows = RollupSlice.objects.filter(workspace_id=f.workspace_id, dimension=dimension,
                                      day__gte=f.start, day__lte=f.end)
    return rows if value is None else rows.filter(value=value)


def counts_by_day(f: ReportFilter) -> dict[date, dict[str, int]]:
    """{day: {counter: n}} for the days that have any."""
    one = one_slice(f)
    if one is not None:
        return {row[0]: dict(zip(COUNTERS, row[1:], strict=True))
                for row in _slices(f, *one).values_list("day", *COUNTERS)}
    found = {}
    for row in rollups(f).values("day").annotate(**_DAY_SUMS).order_by():
        day = row.pop("day")
        found[day] = {key: value or 0 for key, value in row.items()}
    return found


def add_up(per_day) -> dict[str, int]:
    """The counters of many days (or buckets) summed."""
    total = dict.fromkeys(COUNTERS, 0)
    for counts in per_day:
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def breakdowns(f: ReportFilter) -> dict[str, dict]:
    """{dimension: {value: {counter: n}}} of the case-level BREAKDOWN_COUNTERS; values as the
    roll-up rows hold them (ints, bools, strings)."""
    found: dict[str, dict] = {d: defaultdict(lambda: dict.fromkeys(BREAKDOWN_COUNTERS, 0))
                              for d in DIMENSIONS}
    if one_slice(f) == (WHOLE, ""):
        rows = (RollupSlice.objects.filter(workspace_id=f.workspace_id, day__gte=f.start,
                                           day__lte=f.end, dimension__in=DIMENSIONS)
                .values("dimension", "value")
                .annotate(**{c: Sum(c) for c in BREAKDOWN_COUNTERS}).order_by())
        for row in rows:
            value = _typed(row["dimension"], row["value"])
            target = found[row["dimension"]][value]
            for counter in BREAKDOWN_COUNTERS:
                target[counter] += row[counter] or 0
        return found
    one = one_slice(f)
    if one is not None:
        # One filter: its value by each value of the other dimensions, and its own value whole.
        dimension, value = one
        rows = (_pairs(f, dimension, value).exclude(by=OPERATOR).values("by", "by_value")
                .annotate(**{c: Sum(c) for c in BREAKDOWN_COUNTERS}).order_by())
        for row in rows:
            target = found[row["by"]][_typed(row["by"], row["by_value"])]
            for counter in BREAKDOWN_COUNTERS:
                target[counter] += row[counter] or 0
        whole = _slices(f, dimension, value).aggregate(
            **{c: Sum(c) for c in BREAKDOWN_COUNTERS})
        if any(whole.values()):
            found[dimension][_typed(dimension, value)] = {
                c: whole[c] or 0 for c in BREAKDOWN_COUNTERS}
        return found
    rows = (rollups(f).filter(CASE_LEVEL).values(*DIMENSIONS)
            .annotate(**{c: Sum(c) for c in BREAKDOWN_COUNTERS}).order_by())
    for row in rows:
        for dimension in DIMENSIONS:
            target = found[dimension][row[dimension]]
            for counter in BREAKDOWN_COUNTERS:
                target[counter] += row[counter] or 0
    return found


def _pairs(f: ReportFilter, dimension: str, value: str):
    return PairSlice.objects.filter(workspace_id=f.workspace_id, dimension=dimension,
                                    value=value, day__gte=f.start, day__lte=f.end)


def _typed(dimension: str, value: str):
    if dimension in ("channel_id", "body_id"):
        return int(value)
    if dimension == "kasar":
        return value == "1"
    return value


def operators(f: ReportFilter) -> dict[int, dict[str, int]]:
    """{operator id: {counter: n}} of each operator's own work."""
    if one_slice(f) == (WHOLE, ""):
        rows = (_slices(f, OPERATOR).values("value")
                .annotate(**{c: Sum(c) for c in OPERATOR_COUNTERS}).order_by())
        return {int(row.pop("value")): {k: v or 0 for k, v in row.items()} for row in rows}
    one = one_slice(f)
    if one is not None:
        rows = (_pairs(f, *one).filter(by=OPERATOR).values("by_value")
                .annotate(**{c: Sum(c) for c in OPERATOR_COUNTERS}).order_by())
        return {int(row.pop("by_value")): {k: v or 0 for k, v in row.items()} for row in rows}
    rows = (rollups(f).exclude(CASE_LEVEL).values("operator_id")
            .annotate(**{c: Sum(c) for c in OPERATOR_COUNTERS}).order_by())
    return {row.pop("operator_id"): {k: v or 0 for k, v in row.items()} for row in rows}


def times_by_day(f: ReportFilter, metric: str) -> dict[date, dict[int, int]]:
    """{day: histogram} of the first responses (FIRST_RESPONSE) or resolutions (RESOLUTION)
    of each day."""
    found: dict[date, dict[int, int]] = defaultdict(dict)
    one = one_slice(f)
    if one is not None:
        # A year of a slice is some 20,000 rows: read raw, without a model field's conversion
        # of each row's day (and on SQLite as text: its driver would otherwise parse the column
        # it declares a date once per row, a third of a report's time); each day is parsed once.
        table = DurationSlice._meta.db_table
        adapt = connection.ops.adapt_datefield_value
        day_column = "CAST(day AS TEXT)" if connection.vendor == "sqlite" else "day"
        days: dict = {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {day_column}, bucket, count FROM {table} WHERE workspace_id = %s AND "
                "dimension = %s AND value = %s AND metric = %s AND day >= %s AND day <= %s "
                "AND count <> 0",
                [f.workspace_id, one[0], one[1], metric, adapt(f.start), adapt(f.end)])
            for raw, index, count in cursor.fetchall():
                day = days.get(raw)
                if day is None:
                    day = days[raw] = date.fromisoformat(raw) if isinstance(raw, str) else raw
                counts = found[day]
                counts[index] = counts.get(index, 0) + count
        return found
    day_field, seconds_field = (("first_response_day", "first_response_seconds")
                                if metric == FIRST_RESPONSE
                                else ("resolved_day", "resolution_seconds"))
    for day, seconds in facts(f, day_field).values_list(day_field, seconds_field):
        if seconds is not None:
            index = durations.bucket(seconds)
            found[day][index] = found[day].get(index, 0) + 1
    return found


def times_whole(f: ReportFilter, metric: str) -> dict[int, int]:
    """The histogram of the whole period: for a slice summed by the database (a year is some
    8,000 rows a metric, which Python would add up one by one)."""
    one = one_slice(f)
    if one is None:
        found: dict[int, int] = {}
        for counts in times_by_day(f, metric).values():
            durations.merge(found, counts)
        return found
    rows = (DurationSlice.objects.filter(workspace_id=f.workspace_id, dimension=one[0],
                                         value=one[1], metric=metric, day__gte=f.start,
                                         day__lte=f.end)
            .values("bucket").annotate(n=Sum("count")).order_by())
    return {row["bucket"]: row["n"] for row in rows if row["n"]}
