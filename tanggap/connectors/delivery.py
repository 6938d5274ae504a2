"""Delivering an outbound message to its platform, at most once.

The `web` channel (the citizen reads the answer on the tracking page) and the demo's simulated
channels deliver locally. Every other platform goes through its adapter
(`platforms/<name>/client.py`) in three steps, so that no database lock is held while we wait on
a platform (on SQLite that would stall every webhook):

  1. prepare (one transaction): lock the pending message, write the Outbound record with its
     idempotency key and the planned request, mark it in flight;
  2. send (no transaction): ONE attempt through the one HTTP client; if an earlier attempt may
     have reached the platform, first look for our earlier post (adapter.find_existing, or an
     echo/status webhook that already filled the record);
  3. finish (one transaction): the outbound record, and the delivery status, error and platform
     id on the message (cases.actions.record_delivery: an audit event, a live event on commit).

Lock order: the message row, then its outbound record, and no other row (`of=("self",)`: a
joined case or channel is read, not locked). The status and echo webhooks (actions/outbound.py)
keep the same order, so they cannot deadlock with a finishing deliverer on PostgreSQL.

A retryable failure (429, 5xx, timeout) does not sleep in the worker: the record waits in state
`retry` and the task is queued again to run after the back-off (`run_after`), so a worker is
never held by a platform's Retry-After. After CONNECTORS_MAX_ATTEMPTS attempts, a send whose
attempts may have reached the platform is not reported failed blind: one more run, after
CONNECTORS_SETTLE_AFTER_SECONDS, only looks for it (the "settle" run): found, it is sent; the
platform lists our posts and it is not there, it failed; the platform cannot be asked (WhatsApp)
or the look itself fails, its status is `unknown` (shown as "needs checking") with the reason.

A record found in flight and younger than the lease belongs to another worker: we leave it.
Older, it is an attempt that died mid-way: we reconcile before sending again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from tanggap.cases.actions import record_delivery
from tanggap.cases.models import DeliveryStatus, Direction, Message
from tanggap.connectors.crypto import CredentialsUnreadable, decrypt_secret
from tanggap.connectors.http import PlatformHTTP, TransportError, given_or_own, retry_wait
from tanggap.connectors.models import Outbound, OutboundState, Platform
from tanggap.connectors.platforms import registry
from tanggap.connectors.platforms.base import LOOKUP_REFUSED, SendContext
from tanggap.connectors.platforms.capabilities import ExpiringTokens, Sender

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # a DeliveryStatus, or PENDING while it waits to be tried again
    external_id: str | None = None
    error: str = ""
    retry_at: datetime | None = None


@dataclass(frozen=True)
class _Prepared:
    message_id: int
    outbound_id: int
    channel: object
    operation: str
    target_id: str
    text: str
    request: dict
    ambiguous: bool  # an earlier attempt may have reached the platform
    first_attempt_at: datetime
    attempt: int
    settle: bool  # every attempt is spent: only look for our post, never post
    last_error: str


@dataclass(frozen=True)
class _Retry:
    """One attempt failed in a way that may pass: try again after `wait` seconds."""

    error: str
    wait: float
    ambiguous: bool


def in_flight_lease() -> timedelta:
    """How long one attempt may take at worst before its record counts as abandoned: the call,
    and before it the look for an earlier post (each within the HTTP timeout)."""
    return timedelta(seconds=4 * settings.CONNECTORS_HTTP_TIMEOUT_SECONDS + 60)


def outbound_key(message_id: int) -> str:
    return f"tanggap-out-{message_id}"


def _finalize(message: Message, outcome: DeliveryOutcome, now: datetime) -> DeliveryOutcome:
    """Report the outcome on a locked, pending message (inside the caller's transaction); the
    cases room writes it."""
    record_delivery(message=message, status=outcome.status, external_id=outcome.external_id,
                    error=outcome.error, now=now)
    return outcome


def _context(message: Message, now: datetime) -> SendContext:
    case = message.case
    inbound = (
        Message.objects.filter(case=case, direction=Direction.IN)
        .only("external_id", "platform_created_at", "created_at")
        .order_by("-id")
        .first()
    )
    last_at = None
    if inbound is not None:
        # The platform's own time decides the window when we have it; our receipt time may be
        # hours later if the webhook was retried.
        last_at = inbound.platform_created_at or inbound.created_at
    return SendContext(
        channel=message.channel, text=message.text, key=outbound_key(message.pk),
        thread_id=case.thread_id, recipient_id=case.contact.external_id,
        reply_to_id=(inbound.external_id or "") if inbound is not None else "",
        last_inbound_at=last_at, now=now,
    )


def _prepare(message_id: int, now: datetime) -> _Prepared | DeliveryOutcome | None:
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .filter(pk=message_id, direction=Direction.OUT, delivery_status=DeliveryStatus.PENDING)
            .select_related("channel")
            .first()
        )
        if message is None:
            return None
        channel = message.channel
        if channel.platform == Platform.WEB or channel.simulated:
            return _finalize(message, DeliveryOutcome(
                DeliveryStatus.SENT, external_id=f"local-{message.pk}"), now)
        adapter = registry.capable(channel.platform, Sender)
        if adapter is None:
            return _finalize(message, DeliveryOutcome(DeliveryStatus.FAILED, error=(
                f"no_connector: sending to {channel.get_platform_display()} is not available"
            )), now)
        if not channel.has_credentials:
            return _finalize(message, DeliveryOutcome(DeliveryStatus.FAILED, error=(
                f"no_credentials: the {channel.get_platform_display()} account {channel.handle} "
                "has no access token; connect it (docs/platforms.md), then send again"
            )), now)
        record = Outbound.objects.select_for_update().filter(message=message).first()
        settle = False
        if record is None:
            ctx = _context(message, now)
            try:
                plan = adapter.plan(ctx)
            except TransportError as exc:
                return _finalize(message, DeliveryOutcome(DeliveryStatus.FAILED,
                                                          error=exc.message), now)
            record = Outbound.objects.create(
                message=message, channel=channel, idempotency_key=ctx.key,
                operation=plan.operation, target_id=plan.target_id, request=plan.as_request(),
                state=OutboundState.IN_FLIGHT, attempts=1, created_at=now, updated_at=now,
            )
        else:
            if record.state == OutboundState.IN_FLIGHT and \
                    record.updated_at > now - in_flight_lease():
                return None  # another worker is sending it right now
            if record.state == OutboundState.RETRY and record.retry_at and record.retry_at > now:
                return None  # woken early (a duplicate task, the sweep): its time comes later
            # In flight and past its lease: an attempt died after (maybe) posting.
            record.ambiguous = record.ambiguous or record.state == OutboundState.IN_FLIGHT
            settle = record.ambiguous and record.attempts >= settings.CONNECTORS_MAX_ATTEMPTS
            if not settle:
                record.attempts += 1
            record.state = OutboundState.IN_FLIGHT
            record.retry_at = None
            record.updated_at = now
            record.save(update_fields=["state", "attempts", "ambiguous", "retry_at",
                                       "updated_at"])
        return _Prepared(message.pk, record.pk, channel, record.operation, record.target_id,
                         message.text, record.request, record.ambiguous, record.created_at,
                         record.attempts, settle, record.error)


def _send(prepared: _Prepared, http: PlatformHTTP, now: datetime
          ) -> DeliveryOutcome | _Retry:
    channel = prepared.channel
    adapter = registry.capable(channel.platform, Sender)
    try:
        token = decrypt_secret(channel.credentials_encrypted)
    except CredentialsUnreadable as exc:
        if prepared.ambiguous:
            return DeliveryOutcome(DeliveryStatus.UNKNOWN, error=(
                f"cannot_check: credentials_unreadable: {exc}. {MAY_HAVE_REACHED}"))
        return DeliveryOutcome(DeliveryStatus.FAILED, error=f"credentials_unreadable: {exc}")
    req = prepared.request
    # Adapters whose tokens expire (X) hand out the token per call: renewed shortly before it
    # expires, and once after a 401 (platforms/x/tokens.py).
    auth = (adapter.auth(http, channel=channel, now=now)
            if isinstance(adapter, ExpiringTokens) else None)

    def authorized[T](fn: Callable[[str], T]) -> T:
        return auth.call(fn) if auth is not None else fn(token)

    def reconcile() -> str | None:
        # An echo or status webhook may already have told us the platform id.
        echoed = Outbound.objects.filter(pk=prepared.outbound_id).values_list(
            "external_id", flat=True).first()
        if echoed:
            return echoed
        return authorized(lambda t: adapter.find_existing(
            http, channel=channel, token=t, operation=prepared.operation,
            target_id=prepared.target_id, text=prepared.text,
            not_before=prepared.first_attempt_at))

    if prepared.settle:
        return _settle(prepared, adapter, reconcile)
    if prepared.ambiguous:
        try:
            found = reconcile()
        except TransportError as exc:
            if exc.code == LOOKUP_REFUSED:
                # Not allowed to look (a DM: a private answer twice is better than none).
                logger.warning("cannot look for our earlier post of message %s (%s); sending "
                               "it again", prepared.message_id, exc.message)
                found = None
            elif exc.permanent:
                # We cannot look (the platform refused the look, or offers none): never post
                # again blind, and never call it failed, since it may be there.
                return DeliveryOutcome(DeliveryStatus.UNKNOWN, error=_cannot_check(exc))
            else:
                return _Retry(f"looking for our earlier post: {exc.message}", retry_wait(
                    exc, prepared.attempt), ambiguous=True)
        if found:
            return DeliveryOutcome(DeliveryStatus.SENT, external_id=found)
    try:
        response = authorized(lambda t: http.request(
            req["api"], req["method"], req["path"], token=t, json=req.get("json"),
            params=req.get("params")))
    except TransportError as exc:
        if exc.permanent:
            return DeliveryOutcome(DeliveryStatus.FAILED,
                                   error=f"platform_refused: {exc.message}")
        return _Retry(exc.message, retry_wait(exc, prepared.attempt),
                      ambiguous=prepared.ambiguous or exc.ambiguous)
    return DeliveryOutcome(DeliveryStatus.SENT, external_id=adapter.sent_id(
        prepared.operation, response.data or {}))


MAY_HAVE_REACHED = "An attempt may have reached the platform: check there before sending again."


def _sentence(text: str) -> str:
    return text.rstrip().rstrip(".")


def _cannot_check(exc: TransportError) -> str:
    detail = exc.message.removeprefix("cannot_check: ")
    return f"cannot_check: {_sentence(detail)}. {MAY_HAVE_REACHED}"


def _settle(prepared: _Prepared, adapter, reconcile) -> DeliveryOutcome:
    """Every attempt is spent and one of them may have reached the platform: look, don't post."""
    last = _sentence(prepared.last_error or "the platform did not answer")
    if not adapter.can_look(prepared.operation):
        echoed = reconcile()  # only what an echo or status webhook told us
        if echoed:
            return DeliveryOutcome(DeliveryStatus.SENT, external_id=echoed)
        return DeliveryOutcome(DeliveryStatus.UNKNOWN, error=(
            f"delivery_unknown: {last}; the platform gives no way to look for our message and "
            f"has not confirmed it. {MAY_HAVE_REACHED}"))
    try:
        found = reconcile()
    except TransportError as exc:
        return DeliveryOutcome(DeliveryStatus.UNKNOWN, error=(
            f"delivery_unknown: {last}; looking for it afterwards failed too "
            f"({_sentence(exc.message)}). {MAY_HAVE_REACHED}"))
    if found:
        return DeliveryOutcome(DeliveryStatus.SENT, external_id=found)
    return DeliveryOutcome(DeliveryStatus.FAILED, error=(
        f"platform_unavailable: {last}; checked on the platform afterwards: it was not posted."))


def _finish(prepared: _Prepared, result: DeliveryOutcome | _Retry,
            now: datetime) -> DeliveryOutcome:
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .filter(pk=prepared.message_id, delivery_status=DeliveryStatus.PENDING)
            .select_related("case")
            .first()
        )
        if message is None:
            # Settled meanwhile by a status webhook (WhatsApp): the record follows the message.
            shown = Message.objects.filter(pk=prepared.message_id).values_list(
                "delivery_status", flat=True).first()
            Outbound.objects.filter(pk=prepared.outbound_id).update(
                state=_RECORD_STATES.get(shown, OutboundState.SENT), retry_at=None,
                updated_at=now)
            return result if isinstance(result, DeliveryOutcome) else DeliveryOutcome(shown)
        if isinstance(result, _Retry):
            result = _schedule_retry(prepared, result, now)
            if result.status == DeliveryStatus.PENDING:
                return result
        Outbound.objects.filter(pk=prepared.outbound_id).update(
            state=_RECORD_STATES[result.status], retry_at=None,
            external_id=result.external_id, error=result.error[:MAX_ERROR_CHARS],
            updated_at=now,
        )
        return _finalize(message, result, now)


_RECORD_STATES = {DeliveryStatus.SENT: OutboundState.SENT,
                  DeliveryStatus.FAILED: OutboundState.FAILED,
                  DeliveryStatus.UNKNOWN: OutboundState.UNKNOWN}


def _schedule_retry(prepared: _Prepared, retry: _Retry, now: datetime) -> DeliveryOutcome:
    """Inside _finish's transaction: the record waits in `retry` and the task is queued to run
    then; or, with the attempts spent, the outcome (a settle run first if it may have posted)."""
    attempts_left = prepared.attempt < settings.CONNECTORS_MAX_ATTEMPTS
    too_long = retry.wait > settings.CONNECTORS_MAX_RETRY_WAIT_SECONDS
    error = retry.error[:MAX_ERROR_CHARS]
    if too_long:
        error = (f"{retry.error} (the platform asks to wait {retry.wait:.0f} s, more than "
                 f"CONNECTORS_MAX_RETRY_WAIT_SECONDS={settings.CONNECTORS_MAX_RETRY_WAIT_SECONDS})"
                 )[:MAX_ERROR_CHARS]
    if attempts_left and not too_long:
        wait = retry.wait
    elif retry.ambiguous:
        wait = settings.CONNECTORS_SETTLE_AFTER_SECONDS
    else:
        return DeliveryOutcome(DeliveryStatus.FAILED, error=f"platform_unavailable: {error}")
    retry_at = now + timedelta(seconds=wait)
    fields = {"state": OutboundState.RETRY, "retry_at": retry_at, "error": error,
              "ambiguous": retry.ambiguous, "updated_at": now}
    if not (attempts_left and not too_long):
        # The next run only looks for our post.
        fields["attempts"] = settings.CONNECTORS_MAX_ATTEMPTS
    Outbound.objects.filter(pk=prepared.outbound_id).update(**fields)
    from tanggap.connectors.tasks import deliver_message, enqueue_later

    enqueue_later(deliver_message, retry_at, prepared.message_id)
    return DeliveryOutcome(DeliveryStatus.PENDING, error=error, retry_at=retry_at)


def deliver_message_now(*, message_id: int, now: datetime, http: PlatformHTTP | None = None
                        ) -> DeliveryOutcome | None:
    """One run of the delivery of a pending outbound message (one attempt, or the settle run);
    None when there is nothing (more) to do now. A PENDING outcome carries `retry_at`, when the
    task queued again will run."""
    prepared = _prepare(message_id, now)
    if not isinstance(prepared, _Prepared):
        return prepared
    with given_or_own(http) as client:
        result = _send(prepared, client, now)
    return _finish(prepared, result, now)
