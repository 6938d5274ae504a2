"""A claim commits without its own fsync on SQLite (tanggap.conf.sqlite.durability, argued there):
at `synchronous=normal` when its transaction holds claims only, at the connection's `full` as
soon as anything else shares it, and the connection is back at `full` for the next writer."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tanggap.cases.actions import claim_case
from tanggap.cases.models import Case
from tanggap.cases.tests.test_group_commit import _in_one_batch
from tanggap.conf import groupcommit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="synchronous is SQLite's"),
]

FULL, NORMAL = 2, 1  # what PRAGMA synchronous answers


def _level() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return cursor.fetchone()[0]


@pytest.fixture
def desk_at_full(tx_desk, monkeypatch):
    # The suite's databases run at normal (tanggap/test_settings.py); a desk's connections at
    # full. Every thread's new connection reads this same settings dict.
    options = connection.settings_dict["OPTIONS"]
    monkeypatch.setitem(options, "init_command",
                        options["init_command"].replace("synchronous=NORMAL", "synchronous=FULL"))
    connection.close()
    assert _level() == FULL
    yield tx_desk
    connection.close()


def _in_one_batch_noting_levels(calls):
    """As _in_one_batch, with the level of each batch's connection just before its COMMIT and
    just after it."""
    seen: dict[str, list[int]] = {"at_commit": [], "after": []}
    groupcommit.before_commit = lambda batch: seen["at_commit"].append(_level())
    groupcommit.after_commit = lambda batch: seen["after"].append(_level())
    try:
        results, sizes = _in_one_batch(calls)
    finally:
        groupcommit.before_commit = groupcommit.after_commit = None
    return results, sizes, seen


def _claim(desk, case, now):
    return lambda: claim_case(case_id=case.pk, actor=desk.ani.user, now=now)


def test_claims_together_commit_at_normal_and_leave_the_connection_at_full(desk_at_full):
    desk = desk_at_full
    cases = [desk.inbound(external_id=f"c{i}", author_id=f"k{i}").case for i in range(3)]
    now = timezone.now()
    results, sizes, levels = _in_one_batch_noting_levels([_claim(desk, case, now) for case in cases])
    assert sizes == [3]
    assert [outcome for outcome, _ in results] == ["ok"] * 3
    assert levels == {"at_commit": [NORMAL], "after": [FULL]}
    assert set(Case.objects.values_list("claimed_by_id", flat=True)) == {desk.ani.user.pk}


def test_a_batch_that_holds_anything_else_commits_at_full(desk_at_full):
    desk = desk_at_full
    cases = [desk.inbound(external_id=f"c{i}", author_id=f"k{i}").case for i in range(2)]
    now = timezone.now()
    results, sizes, levels = _in_one_batch_noting_levels([
        _claim(desk, cases[0], now),
        lambda: desk.inbound(external_id="new", author_id="baru"),  # acknowledged outside
        _claim(desk, cases[1], now),
    ])
    assert sizes == [3]
    assert [outcome for outcome, _ in results] == ["ok"] * 3
    assert levels == {"at_commit": [FULL], "after": [FULL]}


def test_a_claim_in_its_own_transaction_commits_at_normal(desk_at_full, settings):
    desk = desk_at_full
    settings.TANGGAP_GROUP_COMMIT = False
    case = desk.inbound().case
    at_commit = []
    # Django runs a transaction's on_commit callbacks right after its COMMIT, before the claim
    # returns and the level is put back.
    real_claim = claim_case.__globals__["_claim"]

    def claim_noting_the_level(**kwargs):
        transaction.on_commit(lambda: at_commit.append(_level()))
        return real_claim(**kwargs)

    claim_case.__globals__["_claim"] = claim_noting_the_level
    try:
        claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())
    finally:
        claim_case.__globals__["_claim"] = real_claim
    assert at_commit == [NORMAL]
    assert _level() == FULL


@pytest.mark.django_db(transaction=False)
def test_a_batch_at_normal_takes_only_the_writes_before_the_first_that_needs_its_fsync():
    # What arrives while a batch begun at `normal` waits for the write lock: a piece that needs
    # its fsync, and all behind it, wait for the next batch, which is at `full`.
    def nothing():
        return None

    works = [groupcommit._Work(nothing, None, fsync=False),
             groupcommit._Work(nothing, None, fsync=False),
             groupcommit._Work(nothing, None),
             groupcommit._Work(nothing, None, fsync=False)]
    groupcommit._queue.extend(works)
    try:
        at_normal: list = []
        groupcommit.take(at_normal, fsync=False)
        at_full: list = []
        groupcommit.take(at_full)
    finally:
        groupcommit._queue.clear()
    assert at_normal == works[:2]
    assert at_full == works[2:]
