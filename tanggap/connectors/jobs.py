"""The connectors' periodic jobs, registered with the periodic runner (tanggap.periodic) in
ConnectorsConfig.ready(): the sweep of stalled work and the X poller.

Both are supervised by the runner (an exception is logged and retried with back-off), and each
isolates its own parts: one X account whose poll raises (unreadable credentials, a bug) is noted
and skipped, and the other accounts are polled in the same run.
"""

from __future__ import annotations

import logging

from django.conf import settings

from tanggap.periodic.registry import JobContext

logger = logging.getLogger(__name__)

SWEEP = "connectors.sweep"
POLL_X = "connectors.poll_x"


def sweep_job(ctx: JobContext) -> str:
    from tanggap.connectors.sweep import sweep_stalled

    result = sweep_stalled(now=ctx.now)
    for part, error in result.errors.items():
        ctx.problem(f"{part}: {error}")
    return result.summary()


def poll_x_job(ctx: JobContext) -> str:
    from tanggap.connectors.polling import poll_x_account, x_channels

    polled = failed = 0
    for channel_id, handle in list(x_channels().order_by("pk").values_list("pk", "handle")):
        if not ctx.keep_alive():
            ctx.problem("the lease was lost mid-run; the next run polls the rest")
            break
        try:
            results = poll_x_account(channel_id=channel_id, now=ctx.clock())
        except Exception as exc:
            logger.exception("polling X account %s failed; the others go on", handle)
            ctx.problem(f"x {handle}: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        polled += 1
        for kind, result in results.items():
            ctx.say(f"x {handle} {kind}: {result.status} stored={result.stored} "
                    f"read={result.read} cursor={result.since_id or '-'}"
                    + (f" error={result.error}" if result.error else ""))
    return f"accounts={polled} failed={failed}"


def register_jobs() -> None:
    from tanggap.periodic import registry

    registry.register(SWEEP, sweep_job, every=lambda: settings.CONNECTORS_SWEEP_INTERVAL_SECONDS)
    # A run of many accounts keeps its lease alive between accounts (ctx.keep_alive).
    registry.register(POLL_X, poll_x_job, every=lambda: settings.X_POLL_INTERVAL_SECONDS,
                      lease=lambda: max(300, 4 * settings.CONNECTORS_HTTP_TIMEOUT_SECONDS))
