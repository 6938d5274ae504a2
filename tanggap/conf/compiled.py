"""Read statements the ORM compiles once per shape instead of once per request.

The inbox's page query (the HTML list and `GET /api/v1/cases`) profiled with a large share in
Django building and compiling the same SQL on every request and converting a few hundred
datetimes. Here a caller gives a queryset builder and the request's values by name; the first
call of a shape builds the queryset with unique stand-in values ("markers"), compiles it, and
records where each marker landed among the statement's parameters. Later calls put the
request's values in those places, run the statement and convert the rows with the converters
the ORM itself chose for its columns (on SQLite, the datetime columns with one cheaper function
that gives the same datetimes). The statement text never holds a request's value; a builder
whose output does not map cleanly (a marker reshaped by a lookup, e.g. `LIKE '%marker%'`, or
printed into the SQL) is refused when the shape is first compiled, never run.

It must only be given builders whose SQL depends on nothing but the key and the values' kinds:
the key names the shape (which filters apply), the values fill it. Cached per database vendor
too; bounded (past `MAX_SHAPES` the oldest shape leaves first).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

MAX_SHAPES = 256

_TOKEN = "\x00tanggap-marker-"
_INT_BASE = -(10**15)  # no id, count or limit is a large negative number
_DATETIME_BASE = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)


class Plan:
    """One compiled shape: its SQL, where each parameter comes from, the columns' converters."""

    __slots__ = ("sql", "params", "converters")

    def __init__(self, sql: str, params: tuple, converters: tuple):
        self.sql, self.params, self.converters = sql, params, converters


_plans: dict[Hashable, Plan] = {}
_lock = threading.Lock()


def _kind_of(value) -> tuple:
    """What a value's marker must be like (part of the cache key: a list's length changes the
    SQL of an `__in`)."""
    if isinstance(value, list | tuple):
        return ("list", len(value), tuple(_kind_of(item) for item in value))
    if type(value) is int or type(value) is str or type(value) is datetime:
        return (type(value).__name__,)
    raise TypeError(f"no marker for a {type(value).__name__}: make it part of the key")


def _marker(kind: tuple, counter: list[int]):
    if kind[0] == "list":
        return [_marker(item, counter) for item in kind[2]]
    counter[0] += 1
    number = counter[0]
    if kind[0] == "int":
        return _INT_BASE - number
    if kind[0] == "str":
        return f"{_TOKEN}{number}\x00"
    return _DATETIME_BASE + timedelta(microseconds=number)


def _sources(name: str, marker, index: int | None = None):
    """(marker, where its value comes from) for a value and, in a list, each of its items."""
    if isinstance(marker, list):
        for position, item in enumerate(marker):
            yield from _sources(name, item, position)
    else:
        yield marker, (name, index)


def rows(key: Hashable, build: Callable[[Mapping[str, Any]], QuerySet],
         values: Mapping[str, Any]) -> list[tuple]:
    """The rows of `build(values)` (a `values_list()` queryset, sliced as wanted), as tuples
    converted the way the ORM converts them, from SQL compiled once per `key`, vendor and kind
    of values. `build` must read the request's data from the mapping it gets, nothing else."""
    conn = connections[DEFAULT_DB_ALIAS]
    full_key = (key, conn.vendor, tuple((name, _kind_of(v)) for name, v in values.items()))
    plan = _plans.get(full_key)
    if plan is None:
        plan = _compile(build, values, conn)
        with _lock:
            _plans[full_key] = plan
            while len(_plans) > MAX_SHAPES:
                del _plans[next(iter(_plans))]
    params = []
    for constant, source, adapt in plan.params:
        if source is None:
            params.append(constant)
            continue
        name, index = source
        value = values[name] if index is None else values[name][index]
        params.append(adapt(value, conn) if adapt is not None else value)
    with conn.cursor() as cursor:
        cursor.execute(plan.sql, params)
        found = cursor.fetchall()
    if not plan.converters:
        return found
    converted = []
    for row in found:
        row = list(row)
        for position, convert, expression in plan.converters:
            value = row[position]
            for converter in convert:
                value = converter(value, expression, conn)
            row[position] = value
        converted.append(row)
    return converted


def _compile(build, values: Mapping[str, Any], conn) -> Plan:
    counter = [0]
    markers = {name: _marker(_kind_of(value), counter) for name, value in values.items()}
    by_form: dict[Any, tuple] = {}
    for name, marker in markers.items():
        for item, source in _sources(name, marker):
            if type(item) is datetime:
                form, adapt = conn.ops.adapt_datetimefield_value(item), _adapt_datetime
            else:
                form, adapt = item, None
            by_form[(type(item).__name__, form)] = (source, adapt)
    queryset = build(markers)
    compiler = queryset.query.get_compiler(using=conn.alias)
    sql, raw_params = compiler.as_sql()
    plan_params = []
    for param in raw_params:
        found = _source_of(param, by_form)
        if found is None:
            _refuse_leaks(param)
            plan_params.append((param, None, None))
            continue
        source, adapt = found
        if adapt is None and type(param) not in (int, str):
            # A driver type around an int (PostgreSQL's Int4, Int8): the same for the value.
            wrap = type(param)
            adapt = lambda value, conn, wrap=wrap: wrap(value)  # noqa: E731
        plan_params.append((None, source, adapt))
    _refuse_leaks(sql, in_sql=True, markers=by_form)
    selected = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
    slow = None
    if conn.vendor == "sqlite":
        # Imported here: the module imports its backend, which is not loaded on PostgreSQL.
        from django.db.backends.sqlite3.operations import DatabaseOperations

        slow = DatabaseOperations.convert_datetimefield_value
    converters = []
    for position, (convert, expression) in compiler.get_converters(selected).items():
        convert = tuple(_fast_datetime if slow is not None and getattr(c, "__func__", None)
                        is slow else c for c in convert)
        converters.append((position, convert, expression))
    return Plan(sql, tuple(plan_params), tuple(converters))


def _source_of(param, by_form: dict):
    if type(param) is str:
        return by_form.get(("str", param)) or by_form.get(("datetime", param))
    if isinstance(param, datetime):
        return by_form.get(("datetime", param))
    if isinstance(param, int) and not isinstance(param, bool):
        return by_form.get(("int", int(param)))
    return None


def _refuse_leaks(text, *, in_sql: bool = False, markers: dict | None = None) -> None:
    """A marker reshaped by a lookup or printed into the SQL would be sent as a constant."""
    leaked = isinstance(text, str) and _TOKEN in text
    if isinstance(text, int) and not isinstance(text, bool) and text <= _INT_BASE:
        leaked = True
    if in_sql and markers:
        leaked = leaked or any(str(form) in text for _kind, form in markers)
    if leaked:
        raise ValueError("a marker did not map to a parameter: this builder cannot be compiled")


def _adapt_datetime(value, conn):
    return conn.ops.adapt_datetimefield_value(value)


def _fast_datetime(value, expression, conn):
    """SQLite's `convert_datetimefield_value` for what the driver gives (Django's SQLite
    backend has it parse datetime columns already): a naive datetime made aware in the
    connection's zone by `replace(tzinfo=)`, which is what `make_aware` does; anything else
    goes to Django's own function."""
    if type(value) is datetime and value.tzinfo is None and conn.timezone is not None:
        return value.replace(tzinfo=conn.timezone)
    return conn.ops.convert_datetimefield_value(value, expression, conn)
