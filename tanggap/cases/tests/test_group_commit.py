"""Group commit on SQLite (tanggap.conf.groupcommit): messages that arrive together share one
transaction, each caller is answered only after its own rows are committed, a failing row does
not fail its neighbours, and a crash between the batch and the answers loses nothing that was
acknowledged. Batches are lined up deterministically: the test holds the leader's turn until
every writer has queued its work."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from django.db import IntegrityError, connection, connections
from django.utils import timezone, translation

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Contact, Message
from tanggap.conf import groupcommit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="group commit is SQLite's"),
]


def _in_one_batch(calls) -> tuple[list, list[int]]:
    """Run each call in a thread of its own, all queued behind the leader's turn this test
    holds; their (outcome, value) and the sizes of the batches committed."""
    sizes: list[int] = []
    results: list = [None] * len(calls)

    def worker(i):
        try:
            results[i] = ("ok", calls[i]())
        except Exception as exc:
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    groupcommit.observer = sizes.append
    try:
        with groupcommit._leader:
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
            # One at a time, each queued before the next starts: the batch then holds the calls
            # in the order given, so which of two deliveries of one message is the first (and a
            # follow-up comes after its citizen's first message) does not depend on scheduling.
            for queued, thread in enumerate(threads, start=1):
                thread.start()
                assert groupcommit.waiting_at_least(queued, timeout=60)
        for thread in threads:
            thread.join()
    finally:
        groupcommit.observer = None
    return results, sizes


def _inbound(desk, i, author=None):
    return lambda: desk.inbound(external_id=f"b{i}", author_id=author or f"w{i}")


def test_messages_arriving_together_share_one_commit_and_each_is_stored_once(tx_desk):
    desk = tx_desk
    calls = [_inbound(desk, i) for i in range(5)]
    calls.append(_inbound(desk, 0))  # a redelivery inside the very same batch
    calls.append(_inbound(desk, 6, author="w1"))  # a follow-up of a citizen new in this batch
    results, sizes = _in_one_batch(calls)
    assert sizes == [7]
    assert [outcome for outcome, _ in results] == ["ok"] * 7
    answered = [value for _, value in results]
    assert [r.created for r in answered] == [True] * 5 + [False, True]
    assert answered[5].message.pk == answered[0].message.pk
    assert answered[6].case.pk == answered[1].case.pk
    assert Message.objects.count() == 6 and Case.objects.count() == 5
    # Every answer names rows that are committed, each audited.
    for result in answered:
        assert Message.objects.filter(pk=result.message.pk, case=result.case).exists()
    assert AuditEvent.objects.filter(action="case.opened").count() == 5
    assert AuditEvent.objects.filter(action="case.citizen_wrote").count() == 1


def test_a_failing_row_fails_only_its_own_caller(tx_desk):
    desk = tx_desk
    now = timezone.now()
    Contact.objects.create(workspace=desk.bpn, platform="web", external_id="ada", created_at=now)

    def duplicate_contact():
        # A real failing row: the second insert of one identity breaks contact_identity, after
        # a first write of its own that must go too.
        Contact.objects.create(workspace=desk.bpn, platform="web", external_id="lain",
                               created_at=now)
        Contact.objects.create(workspace=desk.bpn, platform="web", external_id="ada",
                               created_at=now)

    calls = [_inbound(desk, 0), lambda: groupcommit.run(duplicate_contact), _inbound(desk, 1)]
    results, sizes = _in_one_batch(calls)
    assert sizes == [3]
    assert results[0][0] == results[2][0] == "ok"
    assert results[1][0] == "error" and isinstance(results[1][1], IntegrityError)
    assert set(Message.objects.values_list("external_id", flat=True)) == {"b0", "b1"}
    assert not Contact.objects.filter(external_id="lain").exists()


def test_each_piece_runs_in_its_callers_language(tx_desk):
    def asks(language):
        def call():
            with translation.override(language):
                return groupcommit.run(translation.get_language)
        return call

    results, sizes = _in_one_batch([asks("en"), asks("id"), asks("en")])
    assert sizes == [3]
    assert [value for _, value in results] == ["en", "id", "en"]


def test_a_failed_commit_answers_every_caller_with_the_error_and_stores_nothing(tx_desk):
    desk = tx_desk

    def refuse(batch):
        raise OSError("disk full")

    groupcommit.before_commit = refuse
    try:
        results, sizes = _in_one_batch([_inbound(desk, 0), _inbound(desk, 1)])
    finally:
        groupcommit.before_commit = None
    assert sizes == []
    assert [(outcome, str(value)) for outcome, value in results] == [("error", "disk full")] * 2
    assert not Message.objects.exists() and not Contact.objects.exists()


CRASHING_DESK = """
import os, sys, django
django.setup()
from django.db import connections
from django.utils import timezone
from tanggap.cases.actions import ingest_inbound
from tanggap.conf import groupcommit
from tanggap.connectors.models import ChannelAccount
channel = ChannelAccount.objects.get(pk=int(sys.argv[2]))
connections.close_all()
setattr(groupcommit, sys.argv[1], lambda batch: os._exit(17))
threads = []
with groupcommit._leader:  # line the three messages up in one batch
    for i in range(3):
        def post(i=i):
            ingest_inbound(channel=channel, external_id=f"b{i}", author_id=f"w{i}",
                           author_name="Warga", text="Air PDAM mati", now=timezone.now())
        threads.append(__import__("threading").Thread(target=post))
        threads[-1].start()
    assert groupcommit.waiting_at_least(3, timeout=60)
for thread in threads:
    thread.join()
os._exit(3)  # never reached: the hook ends the process before anyone is answered
"""


def _crash_in_child(desk, hook_name: str, tmp_path) -> int:
    """A desk process of its own on the test database lines up three messages in one batch
    and dies (os._exit) at `hook_name`, before answering anyone. Its exit status."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "TANGGAP_"))}
    env.update(DJANGO_SETTINGS_MODULE="tanggap.settings", TANGGAP_DATA_DIR=str(tmp_path / "var"),
               DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
               SECRET_KEY="crash-test-" + "k" * 40, LOG_LEVEL="WARNING")
    done = subprocess.run([sys.executable, "-c", CRASHING_DESK, hook_name, str(desk.web.pk)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 17, done.stderr
    return done.returncode


def test_a_crash_after_the_commit_and_before_the_answers_keeps_every_row(tx_desk, tmp_path):
    assert _crash_in_child(tx_desk, "after_commit", tmp_path) == 17
    # Nobody was answered, yet all three are stored: what a client retries is stored once.
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["b0", "b1", "b2"]
    again = tx_desk.inbound(external_id="b1", author_id="w1")
    assert again.created is False and Message.objects.count() == 3


def test_a_crash_before_the_commit_stores_nothing_and_answered_nobody(tx_desk, tmp_path):
    assert _crash_in_child(tx_desk, "before_commit", tmp_path) == 17
    assert not Message.objects.exists() and not Case.objects.exists()
    assert connection.vendor == "sqlite"


def test_after_commit_callbacks_run_in_their_own_callers_thread_and_only_if_kept(tx_desk):
    ran = []

    def piece(fail: bool):
        def call():
            def work():
                from django.db import transaction

                transaction.on_commit(lambda: ran.append((threading.get_ident(), fail)))
                if fail:
                    raise ValueError("refused")
                return threading.get_ident()
            return groupcommit.run(work), threading.get_ident()
        return call

    results, sizes = _in_one_batch([piece(False), piece(True), piece(False)])
    assert sizes == [3]
    assert results[1][0] == "error"
    kept = [value for outcome, value in results if outcome == "ok"]
    # Both ran their work in the leader's thread, and their callbacks in their own.
    assert kept[0][0] == kept[1][0]
    assert sorted(ran) == sorted((caller, False) for _leader, caller in kept)
