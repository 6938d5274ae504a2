"""Migration 0015 on a desk with data: the search index is rebuilt without its two- and
three-letter prefix indexes (SQLite), every case still found, short prefixes included; and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tanggap.cases.queries import inbox_cases

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("cases", "0014_drop_prefix_indexes")
AFTER = ("cases", "0015_search_without_short_prefixes")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def _found(desk, q):
    return set(inbox_cases(workspace_ids=[desk.bpn.pk], now=timezone.now(), q=q)
               .values_list("pk", flat=True))


def _fts_sql() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'cases_search_fts'")
        return cursor.fetchone()[0]


def _index_matches_documents() -> None:
    with connection.cursor() as cursor:
        # FTS5 compares its index with the documents' table (external content) and raises if
        # they differ.
        cursor.execute("INSERT INTO cases_search_fts(cases_search_fts, rank)"
                       " VALUES ('integrity-check', 1)")


def test_the_index_is_rebuilt_without_short_prefixes_and_finds_the_same(tx_desk):
    _migrate(BEFORE)
    now = timezone.now()
    lampu = tx_desk.inbound("Min, lampu PJU di Jl. Sudirman gak nyala", external_id="a",
                            author_id="w-lampu", now=now).case
    air = tx_desk.inbound("Air PDAM keruh di Klandasan", external_id="b", author_id="w-air",
                          now=now).case
    tx_desk.inbound("Sudah dua hari airnya keruh", external_id="c", author_id="w-air", now=now)
    queries = {"lampu": {lampu.pk}, "ai": {air.pk}, "gak": {lampu.pk}, "tidak": {lampu.pk},
               "su": {lampu.pk, air.pk}, "airnya keruh": {air.pk}, "kla": {air.pk}}
    assert {q: _found(tx_desk, q) for q in queries} == queries
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        assert "prefix='2 3'" in _fts_sql()
    _migrate(AFTER)
    assert {q: _found(tx_desk, q) for q in queries} == queries
    if sqlite:
        assert "prefix" not in _fts_sql()
        _index_matches_documents()
    # A message after the migration is indexed by the same triggers.
    tx_desk.inbound("Lampu taman juga mati", external_id="d", author_id="w-air", now=now)
    assert _found(tx_desk, "taman") == {air.pk}
    _migrate(BEFORE)
    assert _found(tx_desk, "ta") == {air.pk}
    if sqlite:
        assert "prefix='2 3'" in _fts_sql()
        _index_matches_documents()
    _migrate(AFTER)
