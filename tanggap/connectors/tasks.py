"""Background jobs of the connectors room: thin, id in, action out, safe to run twice.

Imported at start-up (ConnectorsConfig.ready() registers `enqueue_delivery`), so the work each
job does is imported when it first runs: every `tanggap` command would otherwise pay for the
HTTP client and the desk's actions.
"""

from __future__ import annotations

from datetime import datetime

from django.tasks import task, task_backends
from django.utils import timezone


@task()
def deliver_message(message_id: int) -> str | None:
    from tanggap.connectors.delivery import deliver_message_now

    outcome = deliver_message_now(message_id=message_id, now=timezone.now())
    return outcome.status if outcome else None


def enqueue_delivery(message_id: int) -> None:
    """The deliverer of the cases room's outbox (cases.outbox), registered in
    ConnectorsConfig.ready(): send_reply calls it after commit."""
    deliver_message.enqueue(message_id)


def enqueue_later(task_, when: datetime, *args) -> None:
    """Queue `task_` to run at `when` (a retry after a platform's Retry-After or a back-off),
    so no worker sleeps waiting for it. With a backend that cannot defer (the immediate one of
    TANGGAP_TASKS_IMMEDIATE), nothing is queued: the sweep takes up what waited too long."""
    if task_backends[task_.backend].supports_defer:
        task_.using(run_after=when).enqueue(*args)


@task()
def process_webhook(delivery_id: int) -> int | None:
    from tanggap.connectors.actions.webhooks import process_webhook_delivery

    result = process_webhook_delivery(delivery_id=delivery_id, now=timezone.now())
    return result.stored if result else None


@task()
def drain_webhooks(source: str, helper: bool = False) -> int:
    """Process every stored, unprocessed webhook of `source` (queued by intake, at most one
    queued at a time per source; `helper` drains are queued by a drain for a large backlog)."""
    from django.conf import settings

    from tanggap.connectors.actions.webhooks import drain_webhook_deliveries

    return drain_webhook_deliveries(source=source, clock=timezone.now,
                                    limit=settings.CONNECTORS_DRAIN_BATCH,
                                    helper=helper).processed


@task()
def sweep() -> dict:
    from tanggap.connectors.sweep import sweep_stalled

    return sweep_stalled(now=timezone.now()).as_dict()


@task()
def poll_x(channel_id: int) -> str:
    """Mentions, then Direct Messages; e.g. "mentions=ok dms=refused"."""
    from tanggap.connectors.polling import poll_x_account

    results = poll_x_account(channel_id=channel_id, now=timezone.now())
    return " ".join(f"{kind}={result.status}" for kind, result in results.items())


@task()
def moderate_comment(message_id: int) -> str | None:
    from tanggap.connectors.moderation import apply_moderation

    return apply_moderation(message_id=message_id, now=timezone.now())


@task()
def fetch_mention_text(message_id: int) -> str | None:
    """The words of an Instagram mention stored with a placeholder (queued by the drain)."""
    from tanggap.connectors.mentions import fetch_message_text

    return fetch_message_text(message_id=message_id, now=timezone.now())
