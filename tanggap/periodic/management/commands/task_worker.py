"""`tanggap task_worker`: django-tasks-db's `db_worker` (same options), whose idle polls take
no write lock. `tanggap worker` and `tanggap serve` run this one.

db_worker looks for a task by opening a write transaction (BEGIN EXCLUSIVE on SQLite, to lock
the row it takes) every `--interval` seconds, work or no work. On the embedded SQLite that is
the desk's one write lock: two idle workers polling every 0.2 s took it ten times a second, and a
claim or an inbound message arriving meanwhile waited for them (for the whole time slice when the
worker was preempted while holding it, on a busy machine). Here an idle worker first asks with a
plain read (WAL readers never block the writer, nor wait for it) and starts db_worker's own
loop, unchanged, only when a task is ready: it runs tasks until the queue is empty, as
`db_worker --batch` does, and the worker goes back to reading. Taking a task is still
db_worker's locked transaction, so no task runs twice, and a task queued while a worker reads
is seen at the next read, one interval later at most, as before.
"""

from __future__ import annotations

import random
import time

from django.db import close_old_connections
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult


class Worker(db_worker.Worker):
    def ready(self):
        """The tasks this worker would take, as db_worker's loop selects them."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def run(self) -> None:
        if self.batch:
            super().run()
            return
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - db_worker's thundering-herd delay
        # db_worker's loop, from here on, runs until the queue is empty and then returns.
        self.batch, self.startup_delay = True, False
        while self.running:
            if self.ready().exists():
                super().run()
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
            if self.running:
                self.idle()

    def idle(self) -> None:
        """Between two reads of an idle queue (tests stop the loop here)."""
        close_old_connections()
        time.sleep(self.interval)


class Command(db_worker.Command):
    help = "Run a database background worker whose idle polls take no write lock"

    def handle(self, *args, **options):
        # db_worker's handle() builds its Worker by the module's name for it; lend it ours for
        # the call rather than copy handle() (this is a process of its own: nothing else runs).
        original = db_worker.Worker
        db_worker.Worker = Worker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
