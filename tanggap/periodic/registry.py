"""The periodic jobs of this desk: a port that any room fills in its AppConfig.ready().

    from tanggap.periodic import registry
    registry.register("connectors.sweep", sweep_job,
                      every=lambda: settings.CONNECTORS_SWEEP_INTERVAL_SECONDS)

A job is a function of a `JobContext` that returns a one-line summary (or None). The runner
(periodic.runner, `tanggap periodic`) calls it about every `every` seconds, on one runner at a
time across all machines (a database lease), with no transaction open; an exception is logged,
recorded on the job's row and retried later with a growing back-off, and never stops the runner
or the other jobs. A job must be safe to run twice and should be short: work that takes long
calls `ctx.keep_alive()` between units (it extends the lease, and answers False when the lease
was lost, e.g. after a stall, so the job should stop).

`every` and `lease` are seconds, or callables returning seconds (read at each run, so settings
changed at run time and in tests apply). The default lease is ten minutes or twice `every`.
Registering the same function under the same name again is harmless (ready() may run twice);
another function under a taken name is a configuration error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("tanggap.periodic")

type Seconds = float | Callable[[], float]


@dataclass
class JobContext:
    """What a job is given: the time its run started (read once by the runner), a clock for
    jobs made of several units of work, the lease keeper, and where to note problems."""

    now: datetime
    clock: Callable[[], datetime]
    keep_alive: Callable[[], bool]
    say: Callable[[str], None] = logger.info
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        """A part of the run failed and the rest went on (one X account of many): the run
        counts as done, on time, and the problem shows as the job's last error."""
        self.problems.append(text)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[JobContext], str | None]
    every: Seconds
    lease: Seconds | None = None

    def every_seconds(self) -> float:
        return float(self.every() if callable(self.every) else self.every)

    def lease_seconds(self) -> float:
        if self.lease is None:
            return max(600.0, 2 * self.every_seconds())
        return float(self.lease() if callable(self.lease) else self.lease)


_jobs: dict[str, Job] = {}


def register(name: str, run: Callable[[JobContext], str | None], *, every: Seconds,
             lease: Seconds | None = None) -> Job:
    if not name or len(name) > 100:
        raise ImproperlyConfigured(f"a periodic job needs a name of 1 to 100 characters: {name!r}")
    taken = _jobs.get(name)
    if taken is not None and taken.run is not run:
        raise ImproperlyConfigured(f"periodic job {name!r} is already registered: {taken.run!r}")
    job = Job(name, run, every, lease)
    _jobs[name] = job
    return job


def unregister(name: str) -> None:
    """For tests that register a job of their own."""
    _jobs.pop(name, None)


def jobs(only: list[str] | None = None) -> list[Job]:
    """The registered jobs (in registration order), or those named in `only`; an unknown name
    is a configuration error rather than a runner that silently runs nothing."""
    if only is None:
        return list(_jobs.values())
    unknown = [name for name in only if name not in _jobs]
    if unknown:
        raise ImproperlyConfigured(
            f"no periodic job named {', '.join(unknown)}; registered: {', '.join(_jobs) or '-'}")
    return [_jobs[name] for name in only]
