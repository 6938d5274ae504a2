"""Running the registered periodic jobs, supervised, once per interval across all machines.

`Runner.tick()` looks at every job once: a job that is due and not held by another runner is
taken with one conditional UPDATE of its row (`next_run_at <= now` and no live lease; 0 rows
means another runner has it), run with no transaction open, and given back with its next time:
`every` seconds after this run started, or after a failure a back-off that doubles with each
failure in a row (up to MAX_BACKOFF_SECONDS). A job's exception is logged with its traceback and
recorded on its row; it never reaches the runner, so one broken job cannot stop the others.

`Runner.serve(stop)` repeats ticks until `stop` is set (SIGTERM, Ctrl-C), waiting between them
on `stop` itself, so stopping never waits out a pause. An exception of the tick itself (the
database went away) is logged, the connection is dropped so the next tick opens a fresh one,
and the runner backs off and goes on.

Time: the clock is read once per tick (and by a job's `ctx.clock()` per unit of work); tests
inject it and call tick() themselves.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django import db
from django.db.models import F, Q
from django.utils import timezone

from tanggap.periodic.models import PeriodicJob
from tanggap.periodic.registry import Job, JobContext, jobs

logger = logging.getLogger("tanggap.periodic")

MAX_BACKOFF_SECONDS = 900
# Between ticks: at least this long (a busy loop helps nobody), at most this long (a job whose
# interval was shortened, or freed by a dead runner, is picked up soon).
MIN_IDLE_SECONDS = 1.0
MAX_IDLE_SECONDS = 30.0


def backoff_seconds(every: float, failures: int) -> float:
    """The pause after `failures` failed runs in a row: 2, 4, 8... intervals, capped."""
    return min(every * 2 ** failures, max(every, MAX_BACKOFF_SECONDS))


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Runner:
    def __init__(self, *, only: list[str] | None = None,
                 clock: Callable[[], datetime] = timezone.now, holder: str | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        self.jobs: list[Job] = jobs(only)
        self.clock = clock
        self.holder = holder or runner_id()
        self.say = say or logger.info

    # -- one pass ---------------------------------------------------------------------------

    def tick(self, *, force: bool = False) -> float:
        """Run every job that is due (or, with `force`, every job not held elsewhere); return
        the seconds until the next one is due."""
        now = self.clock()
        for job in self.jobs:
            self._ensure_row(job, now)
            if self._claim(job, now, force=force):
                self._run(job, now)
        due = (PeriodicJob.objects.filter(name__in=[j.name for j in self.jobs])
               .order_by("next_run_at").values_list("next_run_at", flat=True).first())
        wait = (due - now).total_seconds() if due is not None else MAX_IDLE_SECONDS
        return min(max(wait, MIN_IDLE_SECONDS), MAX_IDLE_SECONDS)

    def _ensure_row(self, job: Job, now: datetime) -> None:
        if not PeriodicJob.objects.filter(name=job.name).exists():
            # Two runners starting together may both try: the unique name keeps one row.
            try:
                PeriodicJob.objects.create(name=job.name, next_run_at=now)
            except db.IntegrityError:
                pass

    def _claim(self, job: Job, now: datetime, *, force: bool) -> bool:
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        rows = PeriodicJob.objects.filter(free, name=job.name)
        if not force:
            rows = rows.filter(next_run_at__lte=now)
        return rows.update(lease_until=now + timedelta(seconds=job.lease_seconds()),
                           holder=self.holder, last_started_at=now) == 1

    def _keep_alive(self, job: Job) -> bool:
        until = self.clock() + timedelta(seconds=job.lease_seconds())
        return PeriodicJob.objects.filter(name=job.name, holder=self.holder).update(
            lease_until=until) == 1

    def _run(self, job: Job, now: datetime) -> None:
        ctx = JobContext(now=now, clock=self.clock, keep_alive=lambda: self._keep_alive(job),
                         say=self.say)
        failures = PeriodicJob.objects.filter(name=job.name).values_list(
            "failures", flat=True).first() or 0
        every = job.every_seconds()
        try:
            summary = job.run(ctx) or ""
        except Exception as exc:
            failures += 1
            pause = backoff_seconds(every, failures)
            logger.exception("periodic job %s failed (%d in a row); next try in %.0f s",
                             job.name, failures, pause)
            fields = {"failures": failures, "last_error": f"{type(exc).__name__}: {exc}"[:500],
                      "next_run_at": now + timedelta(seconds=pause)}
        else:
            if summary:
                self.say(f"{job.name}: {summary}")
            for problem in ctx.problems:
                logger.warning("periodic job %s: %s", job.name, problem)
            fields = {"failures": 0, "last_error": "; ".join(ctx.problems)[:500],
                      "last_summary": summary[:500], "next_run_at": now + timedelta(seconds=every)}
        # Given back only if still ours: a run that outlived its lease must not overwrite the
        # schedule of the runner that took the job over.
        kept = PeriodicJob.objects.filter(name=job.name, holder=self.holder).update(
            lease_until=None, holder="", last_finished_at=self.clock(), runs=F("runs") + 1,
            **fields)
        if not kept:
            logger.warning("periodic job %s outlived its lease; another runner took it over",
                           job.name)

    # -- the loop ---------------------------------------------------------------------------

    def serve(self, stop: threading.Event, *, wait: Callable[[float], object] | None = None,
              reconnect: Callable[[], None] = db.connections.close_all) -> None:
        """Tick until `stop` is set. `wait(seconds)` pauses (default: stop.wait); `reconnect`
        drops the database connections after a failed tick."""
        wait = wait or stop.wait
        errors = 0
        while not stop.is_set():
            try:
                pause = self.tick()
                errors = 0
            except Exception:
                errors += 1
                pause = backoff_seconds(MIN_IDLE_SECONDS * 5, errors)
                logger.exception("periodic runner: a tick failed (%d in a row); next in %.0f s",
                                 errors, pause)
                # A broken connection stays broken: open a fresh one at the next tick.
                reconnect()
            if not stop.is_set():
                wait(pause)
