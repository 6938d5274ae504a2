"""The cases room's periodic job, registered with the periodic runner (tanggap.periodic) in
CasesConfig.ready(): the fallback that queues a retraining for labels that waited too long."""

from __future__ import annotations

from django.conf import settings

from tanggap.periodic.registry import JobContext

RETRAIN_MODELS = "cases.retrain_models"


def retrain_models_job(ctx: JobContext) -> str:
    from tanggap.cases.learning import queue_due

    queued = queue_due(now=ctx.now)
    return f"queued={len(queued)}" + (f" workspaces={','.join(map(str, queued))}" if queued else "")


def register_jobs() -> None:
    from tanggap.periodic import registry

    # Looked at often; a workspace is queued at most once per TANGGAP_RETRAIN_INTERVAL_SECONDS.
    registry.register(RETRAIN_MODELS, retrain_models_job,
                      every=lambda: min(600, settings.TANGGAP_RETRAIN_INTERVAL_SECONDS))
