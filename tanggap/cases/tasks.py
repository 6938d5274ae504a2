"""Background jobs of the cases room: thin, id in, action out, safe to run twice."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone


@task()
def retrain_model(workspace_id: int) -> str:
    """Retrain a workspace's language model from its desk's labels (cases.learning)."""
    from tanggap.cases.learning import retrain

    return str(retrain(workspace_id=workspace_id, clock=timezone.now))
