"""Background jobs of the roster room: id in, one action out, safe to run twice."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from tanggap.conf.taskqueue import enqueue_with_transaction


@task()
def offer_case(case_id: int) -> int | None:
    """A case is waiting: offer it to an operator at the desk (fair assignment), or, when
    nobody is at the desk, alert whoever is on call."""
    from tanggap.roster.actions.assignment import offer_case as offer
    from tanggap.roster.actions.coverage import alert_unattended

    now = timezone.now()
    found = offer(case_id=case_id, now=now)
    alert_unattended(case_id=case_id, now=now)
    return found.user_id if found else None


def enqueue_offer(case_id: int) -> None:
    """The handler of the cases room's arrivals port (cases.arrivals), called inside the
    transaction that made the case wait: with the database task backend the task row commits
    with the case (no second write transaction per message). A workspace that neither assigns
    nor keeps a roster gets no task at all: it would only look and find nothing to do (a task
    run is several write transactions of the worker, on every citizen message)."""
    from tanggap.roster.queries import needs_offer

    if needs_offer(case_id):
        enqueue_with_transaction(offer_case, case_id)
