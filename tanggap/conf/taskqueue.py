"""Queueing a background task as part of the caller's transaction.

With the database task backend (django-tasks-db, the desk's default) a task is a row in our own
database: written inside the caller's transaction it commits with the change that needs it, in
the same commit, and is never lost between the two. Any other backend (the immediate backend of
tests and debugging) is told after commit instead, so it never sees uncommitted rows.
"""

from __future__ import annotations

from django.db import transaction


def in_our_database(task) -> bool:
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[task.backend], DatabaseBackend)


def enqueue_with_transaction(task, *args) -> None:
    """Inside the caller's transaction: `task.enqueue(*args)` in it, or after its commit."""
    if in_our_database(task):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))
