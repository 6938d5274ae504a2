"""The referrals room's periodic job, registered with the periodic runner (tanggap.periodic) in
ReferralsConfig.ready(): `referrals.remind`, the reminders to late bodies, the escalations to
supervisors and the retries of bodies' failed e-mails (tanggap.referrals.reminders)."""

from __future__ import annotations

from django.conf import settings

from tanggap.periodic.registry import JobContext

REMIND = "referrals.remind"


def remind_job(ctx: JobContext) -> str:
    from tanggap.referrals.reminders import remind_and_escalate

    run = remind_and_escalate(now=ctx.now, keep_alive=ctx.keep_alive)
    for problem in run.problems:
        ctx.problem(problem)
    return run.summary()


def register_jobs() -> None:
    from tanggap.periodic import registry

    registry.register(REMIND, remind_job,
                      every=lambda: settings.TANGGAP_REFERRAL_REMIND_INTERVAL_SECONDS)
