"""Exactly one answer under contention: many claimers at once, threads and separate processes.

These run against the suite's real database (a WAL-mode SQLite file, or PostgreSQL when
DATABASE_URL says so), each claimer on its own connection, released together by a barrier.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from tanggap.cases.models import Message
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token

pytestmark = pytest.mark.django_db(transaction=True)


def _operators(desk, count):
    from django.utils import timezone

    now = timezone.now()
    tokens = []
    for i in range(count):
        membership = add_member(workspace=desk.bpn, username=f"op{i}", role="operator",
                                password="kata-sandi-uji", now=now)
        tokens.append((membership.user.username, create_token(user=membership.user, now=now)))
    return tokens


def _post(token, path, body=None):
    response = Client().post(path, data=json.dumps(body or {}), content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code, response.json()


def _claim_in_thread(barrier, token, case_id):
    try:
        barrier.wait()
        return _post(token, f"/api/v1/cases/{case_id}/claim")
    finally:
        connections.close_all()


def test_fifty_threads_claim_one_case_exactly_one_wins(tx_desk):
    case = tx_desk.inbound().case
    tokens = _operators(tx_desk, 50)
    barrier = threading.Barrier(50)
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda t: _claim_in_thread(barrier, t[1], case.pk), tokens))
    winners = [body for status, body in results if status == 200]
    losers = [body for status, body in results if status == 409]
    assert len(winners) == 1
    assert len(losers) == 49
    assert {body["claimed_by"] for body in losers} == {winners[0]["claimed_by"]}


def _operator_run(token, case_ids, seed, barrier):
    rng = random.Random(seed)
    order = list(case_ids)
    rng.shuffle(order)
    sent = 0
    try:
        barrier.wait()
        for case_id in order:
            status, body = _post(token, f"/api/v1/cases/{case_id}/claim")
            # Losers try to reply anyway: the holder rule must refuse them.
            version = body["version"] if status == 200 else 1
            status, _ = _post(token, f"/api/v1/cases/{case_id}/replies",
                              {"text": "Terima kasih, laporan Anda kami tindak lanjuti.",
                               "idempotency_key": f"{token[:8]}-{case_id}",
                               "base_version": version})
            sent += status == 201
        return sent
    finally:
        connections.close_all()


def test_ten_threads_race_over_twenty_cases_one_reply_each(tx_desk):
    cases = [tx_desk.inbound(external_id=f"m{i}", author_id=f"w{i}").case.pk for i in range(20)]
    tokens = _operators(tx_desk, 10)
    barrier = threading.Barrier(10)
    with ThreadPoolExecutor(max_workers=10) as pool:
        sent = list(pool.map(lambda it: _operator_run(it[1][1], cases, it[0], barrier),
                             enumerate(tokens)))
    assert sum(sent) == 20
    per_case = {pk: Message.objects.filter(case_id=pk, direction="out").count() for pk in cases}
    assert per_case == {pk: 1 for pk in cases}


# --- separate processes ---------------------------------------------------------------------


def _claim_in_process(barrier, token, case_id, results):
    barrier.wait()
    results.put(_post(token, f"/api/v1/cases/{case_id}/claim")[0])
    connections.close_all()


def _operator_process(token, case_ids, seed, barrier, results):
    results.put(_operator_run(token, case_ids, seed, barrier))


def _fork_all(target, args_list):
    # Fork after closing our connections: each child opens its own to the same test database.
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=target, args=args) for args in args_list]
    for proc in procs:
        proc.start()
    return procs


@pytest.mark.slow
def test_processes_claim_one_case_exactly_one_wins(tx_desk):
    case = tx_desk.inbound().case
    tokens = _operators(tx_desk, 12)
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(12), ctx.Queue()
    procs = _fork_all(_claim_in_process, [(barrier, t, case.pk, results) for _, t in tokens])
    statuses = sorted(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    assert statuses == [200] + [409] * 11
    assert all(proc.exitcode == 0 for proc in procs)


@pytest.mark.slow
def test_processes_race_over_twenty_cases_one_reply_each(tx_desk):
    cases = [tx_desk.inbound(external_id=f"m{i}", author_id=f"w{i}").case.pk for i in range(20)]
    tokens = _operators(tx_desk, 10)
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(10), ctx.Queue()
    procs = _fork_all(_operator_process,
                      [(t, cases, i, barrier, results) for i, (_, t) in enumerate(tokens)])
    sent = [results.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert sum(sent) == 20
    per_case = {pk: Message.objects.filter(case_id=pk, direction="out").count() for pk in cases}
    assert per_case == {pk: 1 for pk in cases}


def _inbound_in_thread(barrier, token, body):
    try:
        barrier.wait()
        return _post(token, "/api/v1/inbound", body)
    finally:
        connections.close_all()


def test_same_platform_message_delivered_concurrently_is_stored_once(tx_desk):
    body = {"channel_id": tx_desk.web.pk, "external_id": "fb-123_456",
            "author": {"id": "warga9", "name": "Warga"}, "text": "Air PDAM mati dua hari"}
    barrier = threading.Barrier(20)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _inbound_in_thread(barrier, tx_desk.gerbang.token, body),
                                range(20)))
    assert sorted(status for status, _ in results) == [200] * 19 + [201]
    assert len({body["message_id"] for _, body in results}) == 1
    assert Message.objects.filter(external_id="fb-123_456").count() == 1
