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
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


def _connection():
    """This thread's default connection itself. `django.db.connection` is a proxy that looks the
    connection up in a thread-and-task local on every attribute access; the field conversions
    below touch it several times per column, which profiled as a tenth of an inbound's CPU."""
    return connections[DEFAULT_DB_ALIAS]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


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
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        if generated:
            obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj._state.adding = False
    obj._state.db = conn.alias
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
    with conn.cursor() as cursor:
        cursor.execute(sql, params)


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
    with conn.cursor() as cursor:
        cursor.execute(f"{sql} WHERE {where} {tail}", params)
        found = cursor.fetchall()
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
