"""The task worker's idle polls are plain reads: on SQLite a transaction holds the desk's one
write lock, so an idle worker must never open one; a ready task is still taken under
db_worker's own lock and run once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.tasks import task
from django_tasks_db.models import DBTaskResult

from tanggap.periodic.management.commands.task_worker import Worker

ran: list[str] = []


@task()
def note(word: str) -> None:
    ran.append(word)


def _worker(idle_polls: int) -> Worker:
    worker = Worker(queue_names=["*"], interval=0.2, batch=False, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="test-worker",
                    excluded_queue_names=[])
    polls = []

    def idle() -> None:  # instead of sleeping: count, and stop after `idle_polls`
        polls.append(1)
        worker.running = len(polls) < idle_polls

    worker.idle = idle
    return worker


@pytest.fixture
def write_transactions(monkeypatch) -> list[int]:
    """One entry per transaction the connection opens (leaving autocommit: on SQLite that is
    BEGIN IMMEDIATE or EXCLUSIVE, which takes the write lock)."""
    opened: list[int] = []
    set_autocommit = connection.set_autocommit

    def counting(autocommit, *args, **kwargs) -> None:
        if not autocommit:
            opened.append(1)
        set_autocommit(autocommit, *args, **kwargs)

    monkeypatch.setattr(connection, "set_autocommit", counting)
    return opened


@pytest.mark.django_db(transaction=True)
def test_an_idle_worker_polls_without_a_write_transaction(write_transactions):
    _worker(idle_polls=5).run()

    assert write_transactions == []


@pytest.mark.django_db(transaction=True)
def test_a_ready_task_is_taken_and_run_once_then_the_worker_reads_again(write_transactions):
    ran.clear()
    result = note.enqueue("halo")
    queued = len(write_transactions)

    _worker(idle_polls=3).run()

    assert ran == ["halo"]
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    # Taking the task and the empty poll that ends db_worker's loop are write transactions;
    # the three idle polls after it are not.
    taken = len(write_transactions) - queued
    ran.clear()
    _worker(idle_polls=3).run()
    assert ran == []
    assert len(write_transactions) - queued == taken
