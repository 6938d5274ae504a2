"""The reports' periodic job: bring the facts and roll-ups up to date with the audit trail
(reports.rollup), registered with the periodic runner in ReportsConfig.ready()."""

from __future__ import annotations

from django.conf import settings

from tanggap.periodic.registry import JobContext

ROLLUP = "reports.rollup"


def rollup_job(ctx: JobContext) -> str:
    from tanggap.reports.rollup import catch_up

    run = catch_up(now=ctx.now, keep_going=ctx.keep_alive)
    return f"events={run.handled} batches={run.batches} cursor={run.last_id}" + (
        "" if run.caught_up else " (more to do)")


def register_jobs() -> None:
    from tanggap.periodic import registry

    registry.register(ROLLUP, rollup_job,
                      every=lambda: settings.TANGGAP_REPORTS_INTERVAL_SECONDS)
