"""The ORM's own statements for the hot paths, compiled once per model instead of per call.

Profiling POST /api/v1/inbound showed most of its CPU in Django building SQL: every
`objects.create`, `filter(...).first()` and `save(update_fields=...)` walks the query compiler
again (about 0.3–0.6 ms each here) for a statement that never changes. These helpers build the
statement text once per model and database vendor from the model's own field list (a column
another room adds later is included without touching this file), and convert values with the
fields' own `get_db_prep_save` and database converters, exactly as the ORM does. They are for a
few hot statements only; everything else keeps the ORM.

They do nothing about transactions: callers run them inside their own action's transaction, as
with the ORM calls they replace. Model `save()` overrides are not run: the models they are used
on have none that matter for an insert (AuditEvent's refuses only updates).

On SQLite they run on the driver's own connection (`fetchone`, `fetchall`, `execute` below),
not through Django's cursor wrappers: those wrappers (a cursor object per statement, the
placeholder rewrite, the thread and debug checks) cost about as much CPU as SQLite executing
the hot path's small statements. Errors are still Django's (an IntegrityError stays
`django.db.IntegrityError`), a broken transaction is still refused, and whenever Django would
record or wrap the statement (DEBUG, `CaptureQueriesContext`, `connection.execute_wrapper`)
the statement goes through Django's cursor as before, so query counts in tests see every one.
PostgreSQL always takes Django's cursor (its driver adapts the parameters there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Model


def _connection():
    """This thread's default connection itself. `django.db.connection` is a proxy that looks the
    connection up in a thread-and-task local on every attribute access; the field conversions
    below touch it several times per column, which profiled as a tenth of an inbound's CPU."""
    return connections[DEFAULT_DB_ALIAS]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


# Django's SQLite cursor's own rewrite of its "%s" placeholders to the driver's "?".
_FORMAT_PLACEHOLDER = re.compile(r"(?<!%)%s")


@lru_cache(maxsize=1024)
def _qmark(sql: str) -> str:
    return _FORMAT_PLACEHOLDER.sub("?", sql).replace("%%", "%")


def _run(sql: str, params: Sequence, read: Callable[[Any], Any]) -> Any:
    """Execute `sql` ("%s" placeholders) and return `read(cursor)`: on SQLite's own cursor when
    nothing asks Django to see the statement (see the module's docstring), else on Django's."""
    conn = _connection()
    raw = conn.connection
    if (raw is not None and conn.vendor == "sqlite" and not conn.execute_wrappers
            and not conn.queries_logged):
        conn.validate_no_broken_transaction()
        with conn.wrap_database_errors:
            return read(raw.execute(_qmark(sql), params))
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return read(cursor)


def _one(cursor):
    return cursor.fetchone()


def _all(cursor):
    return cursor.fetchall()


def _rowcount(cursor) -> int:
    return cursor.rowcount


def fetchone(sql: str, params: Sequence) -> tuple | None:
    """The first row of a hand-written statement ("%s" placeholders), as `cursor.fetchone()`."""
    return _run(sql, params, _one)


def fetchall(sql: str, params: Sequence) -> list[tuple]:
    return _run(sql, params, _all)


def execute(sql: str, params: Sequence) -> int:
    """Run a hand-written INSERT, UPDATE or DELETE; the number of rows it changed."""
    return _run(sql, params, _rowcount)


@cache
def _insert_sql(model: type[Model], vendor: str, returning: bool) -> tuple[str, tuple, bool]:
    meta = model._meta
    generated = meta.auto_field is not None  # else the pk is given (a one-to-one key)
    fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        _quote(meta.db_table), ", ".join(_quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)))
    if returning and generated:
        sql += f" RETURNING {_quote(meta.pk.column)}"
    return sql, fields, generated


def insert(obj: Model) -> Model:
    """INSERT `obj` and set its generated pk, like `objects.create`."""
    conn = _connection()
    returning = conn.features.can_return_columns_from_insert
    sql, fields, generated = _insert_sql(type(obj), conn.vendor, returning)
    params = [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]
    pk = _run(sql, params, _pk_reader(generated, returning))
    if generated:
        obj.pk = pk
    obj._state.adding = False
    obj._state.db = conn.alias
    return obj


# Django's own field classes whose conversion of a value of the given exact type, on SQLite, is
# the value itself (get_prep_value's to_python and the backend's adapt_integerfield_value are
# identities there). Exact classes only: a subclass may convert differently.
_SAME_ON_SQLITE = {
    models.CharField: str, models.TextField: str, models.BooleanField: bool,
    models.FloatField: float,
    models.IntegerField: int, models.BigIntegerField: int, models.SmallIntegerField: int,
    models.PositiveIntegerField: int, models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int, models.AutoField: int, models.BigAutoField: int,
}


# The last aware datetime converted on SQLite, its connection and its parameter: the hot paths
# pass one `now` to every datetime column of a request (a contact's, a case's three, a message's,
# an audit event's), so it is converted once. The tuple is replaced whole (atomic under the
# GIL) and holds the datetime itself, so an identical id is the identical, immutable value.
_last_datetime: tuple = (None, None, None)


def _converter(field, vendor: str) -> Callable[[Any, Any], Any]:
    """The field's conversion of a value to its query parameter: `get_db_prep_save` itself,
    or on SQLite, for Django's own plain field classes, the few steps it comes down to for the
    value types the hot paths pass (the others still go through `get_db_prep_save`). On every
    other database the ORM's own conversion is kept whole (PostgreSQL types its integers and
    JSON for the driver)."""
    slow = field.get_db_prep_save
    if vendor != "sqlite":
        return slow
    kind = type(field)
    if kind in (models.ForeignKey, models.OneToOneField):
        target = field.target_field
        kind = type(target) if type(target) in (models.AutoField, models.BigAutoField) else None
    same = _SAME_ON_SQLITE.get(kind)
    if same is str:  # to_python keeps any str, a TextChoices member included
        return lambda value, conn: value if value is None or isinstance(value, str) else slow(
            value, conn)
    if same is not None:
        return lambda value, conn: value if value is None or type(value) is same else slow(
            value, conn)
    if kind is models.DateTimeField:
        def datetime_value(value, conn):
            global _last_datetime
            if value is None:
                return None
            if type(value) is datetime and value.tzinfo is not None:
                seen, seen_on, param = _last_datetime
                if seen is value and seen_on is conn:
                    return param
                param = conn.ops.adapt_datetimefield_value(value)
                _last_datetime = (value, conn, param)
                return param
            return slow(value, conn)  # a naive or odd value: Django's warning and conversion
        return datetime_value
    if kind is models.JSONField:
        encoder = field.encoder
        return lambda value, conn: (conn.ops.adapt_json_value(value, encoder)
                                    if type(value) in (dict, list) else slow(value, conn))
    return slow


@cache
def _insert_plan(model: type[Model], vendor: str, returning: bool):
    meta = model._meta
    if meta.parents:
        raise ValueError(f"{model.__name__} inherits a table: use insert()")
    sql, fields, generated = _insert_sql(model, vendor, returning)
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            # Its pre_save reads the clock; the desk passes `now` in (insert() runs pre_save).
            raise ValueError(f"{model.__name__}.{field.name} is auto_now: use insert()")
    steps = tuple((f.attname, f, _converter(f, vendor)) for f in fields)
    return sql, steps, generated, frozenset(f.attname for f in fields)


_MISSING = object()


def _returned_pk(cursor):
    row = cursor.fetchone()  # INSERT ... RETURNING id
    return row[0] if row else None


def _last_rowid(cursor):
    return cursor.lastrowid


def _nothing(cursor) -> None:
    return None


def _pk_reader(generated: bool, returning: bool):
    """How to read the generated pk after an insert (none when the pk was given)."""
    if not generated:
        return _nothing
    return _returned_pk if returning else _last_rowid


def _insert_row(model: type[Model], values: dict[str, Any]) -> tuple[int | None, list]:
    """INSERT the row; (its generated pk or None, the value of each column as inserted, in the
    plan's order: what was given, else the field's default, computed once)."""
    conn = _connection()
    returning = conn.features.can_return_columns_from_insert
    sql, steps, generated, attnames = _insert_plan(model, conn.vendor, returning)
    if not values.keys() <= attnames:
        raise TypeError(f"{model.__name__} has no column(s) {sorted(values.keys() - attnames)}")
    row, params = [], []
    for attname, field, convert in steps:
        value = values.get(attname, _MISSING)
        if value is _MISSING:
            value = field.get_default()
        row.append(value)
        params.append(convert(value, conn))
    return _run(sql, params, _pk_reader(generated, returning)), row


def insert_values(model: type[Model], values: dict[str, Any]) -> int | None:
    """INSERT one row of `model` from `values` (by attname: `case_id`, not `case`; a column not
    given takes its field's default) without building a model instance; the generated pk, if
    the model has one. For rows nobody reads back in the same request (audit events, search
    documents)."""
    return _insert_row(model, values)[0]


def create(model: type[Model], values: dict[str, Any],
           related: dict[str, Model] | None = None) -> Model:
    """`insert_values`, and the instance `objects.create` would return, built the way a query's
    rows are (`from_db`: each column set once, no keyword handling). `related`: the objects of
    foreign keys already at hand (`{"case": case}`), cached on the instance so that reading
    them costs no query, as after `objects.create(case=case)`."""
    pk, row = _insert_row(model, values)
    meta = model._meta
    if meta.auto_field is not None:
        # The plan's columns are the concrete ones without the generated key; put it back.
        row.insert(meta.concrete_fields.index(meta.auto_field), pk)
    obj = model.from_db(_connection().alias, None, row)
    for name, other in (related or {}).items():
        meta.get_field(name).set_cached_value(obj, other)
    return obj


def update_fields(obj: Model, names: Sequence[str]) -> None:
    """UPDATE the named columns of `obj`'s row, like `save(update_fields=names)` (no signals,
    no check that the row exists: the caller holds it)."""
    if not names:
        return
    conn = _connection()
    meta = type(obj)._meta
    fields = [meta.get_field(name) for name in dict.fromkeys(names)]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        _quote(meta.db_table), ", ".join(f"{_quote(f.column)} = %s" for f in fields),
        _quote(meta.pk.column))
    params = [f.get_db_prep_save(f.pre_save(obj, False), conn) for f in fields]
    params.append(meta.pk.get_db_prep_value(obj.pk, conn))
    _run(sql, params, _rowcount)


@cache
def _select(model: type[Model], vendor: str) -> tuple[str, tuple[str, ...], tuple]:
    meta = model._meta
    fields = tuple(meta.concrete_fields)
    columns = ", ".join(f"{_quote(meta.db_table)}.{_quote(f.column)}" for f in fields)
    converters = []
    for field in fields:
        col = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append((tuple(found), col))
    return (f"SELECT {columns} FROM {_quote(meta.db_table)}",
            tuple(f.attname for f in fields), tuple(converters))


def rows(model: type[Model], where: str, params: Sequence, *, tail: str = "") -> list[Model]:
    """Instances of `model` for `SELECT <all its columns> FROM <its table> WHERE <where> <tail>`
    (`tail`: ORDER BY, LIMIT, FOR UPDATE), converted as the ORM converts them."""
    conn = _connection()
    sql, attnames, converters = _select(model, conn.vendor)
    found = _run(f"{sql} WHERE {where} {tail}", params, _all)
    result = []
    for row in found:
        values = []
        for value, (convert, col) in zip(row, converters, strict=True):
            for converter in convert:
                value = converter(value, col, conn)
            values.append(value)
        result.append(model.from_db(conn.alias, attnames, values))
    return result


def table(model: type[Model]) -> str:
    return _quote(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return _quote(model._meta.get_field(name).column)
