"""The roster's periodic job (tanggap.periodic): per rostered workspace, note when nobody is at
the desk (alerting its supervisors once per gap) and review the fair-assignment offers."""

from __future__ import annotations

import logging

from django.conf import settings

from tanggap.periodic.registry import JobContext

logger = logging.getLogger(__name__)

CHECK = "roster.check"


def check_job(ctx: JobContext) -> str:
    from tanggap.roster.actions.assignment import review_offers
    from tanggap.roster.actions.coverage import check_coverage
    from tanggap.roster.models import PatternSlot, RosterSettings
    from tanggap.workspaces.models import Workspace

    ids = set(PatternSlot.objects.values_list("workspace_id", flat=True).distinct())
    ids |= set(RosterSettings.objects.filter(fair_assignment=True)
               .values_list("workspace_id", flat=True))
    gaps = offered = 0
    for workspace in Workspace.objects.filter(pk__in=ids).order_by("pk"):
        if not ctx.keep_alive():
            ctx.problem("the lease was lost mid-run; the next run checks the rest")
            break
        now = ctx.clock()  # one instant per workspace: both checks see the same roster
        try:
            gaps += check_coverage(workspace=workspace, now=now) == "started"
            offered += sum(review_offers(workspace=workspace, now=now).values())
        except Exception as exc:
            logger.exception("roster check of %s failed; the others go on", workspace.slug)
            ctx.problem(f"{workspace.slug}: {type(exc).__name__}: {exc}")
    return f"workspaces={len(ids)} new_gaps={gaps} offers={offered}"


def register_jobs() -> None:
    from tanggap.periodic import registry

    registry.register(CHECK, check_job, every=lambda: settings.TANGGAP_ROSTER_CHECK_SECONDS)
