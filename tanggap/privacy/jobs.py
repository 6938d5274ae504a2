"""The periodic job of the privacy room: the retention run (privacy.retention), a few times a day
on one runner at a time (tanggap/periodic)."""

from __future__ import annotations

from tanggap.periodic import registry
from tanggap.periodic.registry import JobContext

# Retention counts in months: running four times a day keeps a case's personal data at most six
# hours past its period, and a failed run is tried again well within the day.
EVERY_SECONDS = 6 * 60 * 60
# Each batch renews the lease; a runner that dies mid-run frees the job within 15 minutes.
LEASE_SECONDS = 15 * 60


def retention_job(ctx: JobContext) -> str:
    from tanggap.privacy.retention import run_retention

    return run_retention(now=ctx.now, keep_alive=ctx.keep_alive).summary()


def register_jobs() -> None:
    registry.register("privacy.retention", retention_job, every=EVERY_SECONDS,
                      lease=LEASE_SECONDS)
