"""Bringing the roll-ups up to date before a report is read.

A few batches are read inline (a report opened a few seconds after the last periodic run finds
little to read); a longer backlog (a restored backup, a desk that ran without its periodic
runner) is handed to one catch-up task, at most one queued at a time, and the report shows how
current it is (Report.as_of)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tanggap.audit import feed
from tanggap.reports import rollup

INLINE_BATCHES = 4
# A mark older than this is from a catch-up task that was lost: queue another.
QUEUED_MARK_STALE = timedelta(minutes=10)


def freshen(*, now: datetime) -> feed.FeedRun:
    run = rollup.catch_up(now=now, max_batches=INLINE_BATCHES)
    if not run.caught_up and feed.mark_catch_up_queued(rollup.FEED, now=now,
                                                       stale_after=QUEUED_MARK_STALE):
        from tanggap.reports.tasks import catch_up

        catch_up.enqueue()
    return run
