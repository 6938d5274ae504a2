"""The outgoing webhooks' periodic job: read new case events from the audit trail into
deliveries, and wake one delivery task per endpoint that has something due (new events, or a
retry whose back-off has passed)."""

from __future__ import annotations

from django.conf import settings

from tanggap.periodic.registry import JobContext

EVENTS = "hooks.events"


def events_job(ctx: JobContext) -> str:
    from tanggap.hooks import delivery, events

    run = events.catch_up(now=ctx.now, keep_going=ctx.keep_alive)
    woken = delivery.wake_due(now=ctx.now)
    return f"events={run.handled} cursor={run.last_id} endpoints_woken={woken}"


def register_jobs() -> None:
    from tanggap.periodic import registry

    registry.register(EVENTS, events_job, every=lambda: settings.TANGGAP_HOOKS_INTERVAL_SECONDS)
