"""Background jobs of the reports room: thin, safe to run twice."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone


@task()
def catch_up() -> int:
    """Read the audit trail up to now (queued by reports.freshness when a report found a long
    backlog; at most one queued at a time)."""
    from tanggap.audit import feed
    from tanggap.reports import rollup

    feed.clear_catch_up(rollup.FEED)
    return rollup.catch_up(now=timezone.now()).handled
