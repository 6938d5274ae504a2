"""Sending deliveries to an endpoint: signed, in order per case, retried with back-off, recorded,
and the endpoint switched off after persistent failure with a notice to the workspace's admins.

One drainer per endpoint at a time (a lease on the endpoint row, taken with a conditional
UPDATE), so the order of one case's events can only be kept by the drainer itself: it walks the
endpoint's pending deliveries in id order and skips every case that has an earlier delivery still
waiting for its retry. A failure of one case holds up that case only; the others go on.

The HTTP call goes through the desk's one HTTP client (tanggap.connectors.http) with no database
transaction open: on SQLite a transaction holds the write lock, and an endpoint may take its
full timeout to answer.

Signature: `X-Tanggap-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body bytes with the
endpoint's secret (docs/reports.md, "Outgoing webhooks", shows how to check it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tanggap.audit import events as audit
from tanggap.connectors.crypto import decrypt_secret
from tanggap.connectors.http import PlatformHTTP, TransportError, given_or_own
from tanggap.hooks.models import Delivery, DeliveryState, Endpoint
from tanggap.workspaces.models import Membership, Role

logger = logging.getLogger(__name__)

BATCH = 100
# At most one queued task per endpoint; a mark older than this is from a lost task.
QUEUED_MARK_STALE = timedelta(minutes=10)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... after the 1st, 2nd, 3rd failure, capped at an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


@dataclass
class DrainResult:
    delivered: int = 0
    failed: int = 0
    disabled: bool = False
    busy: bool = False

    def summary(self) -> str:
        if self.busy:
            return "busy"
        return f"delivered={self.delivered} failed={self.failed}" + (
            " disabled" if self.disabled else "")


def wake_due(*, now: datetime) -> int:
    """Queue one delivery task for each active endpoint with a delivery due and none queued."""
    from tanggap.hooks.tasks import deliver_endpoint

    due = (Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now,
                                   endpoint__active=True)
           .values_list("endpoint_id", flat=True).distinct())
    woken = 0
    for endpoint_id in list(due):
        free = Q(drain_queued_at__isnull=True) | Q(drain_queued_at__lt=now - QUEUED_MARK_STALE)
        if Endpoint.objects.filter(free, pk=endpoint_id).update(drain_queued_at=now) == 1:
            deliver_endpoint.enqueue(endpoint_id)
            woken += 1
    return woken


def _take_lease(endpoint_id: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    until = now + timedelta(seconds=4 * settings.CONNECTORS_HTTP_TIMEOUT_SECONDS + 60)
    return Endpoint.objects.filter(free, pk=endpoint_id, active=True).update(
        lease_until=until, drain_queued_at=None) == 1


def drain(*, endpoint_id: int, clock: Callable[[], datetime],
          http: PlatformHTTP | None = None) -> DrainResult:
    result = DrainResult()
    if not _take_lease(endpoint_id, clock()):
        result.busy = True
        return result
    try:
        with given_or_own(http) as client:
            _drain(endpoint_id, clock, client, result)
    finally:
        Endpoint.objects.filter(pk=endpoint_id).update(lease_until=None)
    return result


def _drain(endpoint_id: int, clock, client: PlatformHTTP, result: DrainResult) -> None:
    endpoint = Endpoint.objects.select_related("workspace").get(pk=endpoint_id)
    secret = decrypt_secret(endpoint.secret_encrypted)
    blocked: set[int] = set()
    after = 0
    while True:
        now = clock()
        batch = list(Delivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING,
                                             pk__gt=after).order_by("pk")[:BATCH])
        if not batch:
            return
        for delivery in batch:
            after = delivery.pk
            if delivery.case_id in blocked:
                continue
            if delivery.next_attempt_at > now:
                blocked.add(delivery.case_id)  # waiting for its retry: later events wait too
                continue
            if _send(endpoint, delivery, secret, client, clock()):
                result.delivered += 1
            else:
                result.failed += 1
                blocked.add(delivery.case_id)
                endpoint.refresh_from_db(fields=["active"])
                if not endpoint.active:
                    result.disabled = True
                    return


def _send(endpoint: Endpoint, delivery: Delivery, secret: str, client: PlatformHTTP,
          now: datetime) -> bool:
    content = delivery.body.encode()
    headers = {"Content-Type": "application/json", "X-Tanggap-Event": delivery.event_type,
               "X-Tanggap-Delivery": str(delivery.pk),
               "X-Tanggap-Signature": sign(secret, content)}
    try:
        response = client.post_bytes(endpoint.url, content=content, headers=headers)
    except TransportError as exc:
        _failed(endpoint, delivery, str(exc.status or ""), exc.message, now)
        return False
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED, attempts=delivery.attempts + 1, delivered_at=now,
            last_status=str(response.status), last_error="")
        Endpoint.objects.filter(pk=endpoint.pk).update(
            last_attempt_at=now, last_success_at=now, last_status=str(response.status),
            failures_in_row=0)
    return True


def _failed(endpoint: Endpoint, delivery: Delivery, status: str, error: str,
            now: datetime) -> None:
    attempts = delivery.attempts + 1
    give_up = attempts >= settings.TANGGAP_HOOKS_MAX_ATTEMPTS
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, next_attempt_at=now + backoff(attempts),
            last_status=status or "error", last_error=error[:300])
        Endpoint.objects.filter(pk=endpoint.pk).update(
            last_attempt_at=now, last_status=status or "error",
            failures_in_row=endpoint.failures_in_row + 1)
        endpoint.failures_in_row += 1
        if give_up:
            _disable(endpoint, delivery, attempts, error, now)


def _disable(endpoint: Endpoint, delivery: Delivery, attempts: int, error: str,
             now: datetime) -> None:
    reason = _("Delivery %(id)s failed %(n)d times in a row (last: %(error)s).") % {
        "id": delivery.pk, "n": attempts, "error": error[:150]}
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_at=now,
                                                   disabled_reason=reason[:300])
    audit.record(workspace_id=endpoint.workspace_id, actor=None, action="webhook.disabled",
                 now=now, obj=endpoint,
                 after={"url": endpoint.url, "reason": reason, "delivery_id": delivery.pk})
    admins = list(Membership.objects.filter(workspace_id=endpoint.workspace_id, role=Role.ADMIN)
                  .exclude(user__email="").values_list("user__email", flat=True))
    url, workspace = endpoint.url, endpoint.workspace.name
    logger.warning("webhook endpoint %s of %s switched off: %s", url, workspace, reason)
    if admins:
        transaction.on_commit(lambda: _notify(admins, url, workspace, reason))


def _notify(admins: list[str], url: str, workspace: str, reason: str) -> None:
    try:
        send_mail(
            subject=_("[Tanggap] A webhook of %(workspace)s was switched off")
            % {"workspace": workspace},
            message=_("The webhook %(url)s of %(workspace)s kept failing and was switched off. "
                      "%(reason)s Its events are kept: switch it on again on the Webhooks page "
                      "once it answers, and it receives them in order.")
            % {"url": url, "workspace": workspace, "reason": reason},
            from_email=None, recipient_list=admins, fail_silently=False)
    except Exception:  # the notice is a courtesy; the page and the audit trail show it anyway
        logger.exception("could not e-mail the admins about webhook %s", url)
