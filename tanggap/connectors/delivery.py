"""Delivering an outbound message to its platform, at most once.

The `web` channel (the citizen reads the answer on the tracking page) and the demo's simulated
channels deliver locally. Every other platform goes through its adapter
(`platforms/<name>/client.py`) in three steps, so that no database lock is held while we wait on
a platform (on SQLite that would stall every webhook):

  1. prepare (one transaction): lock the pending message, write the Outbound record with its
     idempotency key and the planned request, mark it in flight;
  2. send (no transaction): the one HTTP client, retries with backoff; before re-sending after an
     attempt that may have reached the platform, look for our earlier post (adapter.find_existing,
     or an echo/status webhook that already filled the record);
  3. finish (one transaction): the outbound record, and the delivery status, error and platform
     id on the message (cases.actions.record_delivery: an audit event, a live event on commit).

A record found in flight and younger than the lease belongs to another worker: we leave it.
Older, it is an attempt that died mid-way: we reconcile before sending again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from tanggap.cases.actions import record_delivery
from tanggap.cases.models import DeliveryStatus, Direction, Message
from tanggap.connectors.crypto import CredentialsUnreadable, decrypt_secret
from tanggap.connectors.http import PlatformHTTP, TransportError, given_or_own, with_retries
from tanggap.connectors.models import Outbound, OutboundState, Platform
from tanggap.connectors.platforms import registry
from tanggap.connectors.platforms.base import SendContext
from tanggap.connectors.platforms.capabilities import ExpiringTokens, Sender

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    external_id: str | None = None
    error: str = ""


@dataclass(frozen=True)
class _Prepared:
    message_id: int
    outbound_id: int
    channel: object
    operation: str
    target_id: str
    text: str
    request: dict
    ambiguous: bool
    first_attempt_at: datetime


def in_flight_lease() -> timedelta:
    """How long a send may take at worst before its record counts as abandoned."""
    attempts = settings.CONNECTORS_MAX_ATTEMPTS
    worst = attempts * (2 * settings.CONNECTORS_HTTP_TIMEOUT_SECONDS
                        + settings.CONNECTORS_MAX_RETRY_WAIT_SECONDS)
    return timedelta(seconds=worst + 60)


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
            Message.objects.select_for_update()
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
            ambiguous = False
        else:
            if record.state == OutboundState.IN_FLIGHT and \
                    record.updated_at > now - in_flight_lease():
                return None  # another worker is sending it right now
            # In flight and past its lease: an attempt died after (maybe) posting.
            ambiguous = record.state == OutboundState.IN_FLIGHT
            record.state = OutboundState.IN_FLIGHT
            record.attempts += 1
            record.updated_at = now
            record.save(update_fields=["state", "attempts", "updated_at"])
        return _Prepared(message.pk, record.pk, channel, record.operation, record.target_id,
                         message.text, record.request, ambiguous, record.created_at)


def _send(prepared: _Prepared, http: PlatformHTTP, sleep: Callable[[float], None],
          now: datetime) -> DeliveryOutcome:
    channel = prepared.channel
    adapter = registry.capable(channel.platform, Sender)
    try:
        token = decrypt_secret(channel.credentials_encrypted)
    except CredentialsUnreadable as exc:
        return DeliveryOutcome(DeliveryStatus.FAILED, error=f"credentials_unreadable: {exc}")
    req = prepared.request
    # Adapters whose tokens expire (X) hand out the token per call: renewed shortly before it
    # expires, and once after a 401 (platforms/x/tokens.py).
    auth = (adapter.auth(http, channel=channel, now=now)
            if isinstance(adapter, ExpiringTokens) else None)

    def authorized[T](fn: Callable[[str], T]) -> T:
        return auth.call(fn) if auth is not None else fn(token)

    def call() -> str:
        response = authorized(lambda t: http.request(
            req["api"], req["method"], req["path"], token=t, json=req.get("json"),
            params=req.get("params")))
        return adapter.sent_id(prepared.operation, response.data or {})

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

    try:
        external_id = with_retries(call, reconcile=reconcile,
                                   already_ambiguous=prepared.ambiguous, sleep=sleep)
    except TransportError as exc:
        # "cannot_check" is our own refusal to post again without looking, not the platform's.
        if exc.permanent and exc.code != "cannot_check":
            return DeliveryOutcome(DeliveryStatus.FAILED,
                                   error=f"platform_refused: {exc.message}")
        note = (" An attempt may have reached the platform: check there before sending again."
                if exc.ambiguous else "")
        return DeliveryOutcome(DeliveryStatus.FAILED,
                               error=f"platform_unavailable: {exc.message}.{note}")
    return DeliveryOutcome(DeliveryStatus.SENT, external_id=external_id)


def _finish(prepared: _Prepared, outcome: DeliveryOutcome, now: datetime) -> DeliveryOutcome:
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=prepared.message_id, delivery_status=DeliveryStatus.PENDING)
            .select_related("case")
            .first()
        )
        Outbound.objects.filter(pk=prepared.outbound_id).update(
            state=OutboundState.SENT if outcome.status == DeliveryStatus.SENT
            else OutboundState.FAILED,
            external_id=outcome.external_id, error=outcome.error[:MAX_ERROR_CHARS],
            updated_at=now,
        )
        if message is None:
            return outcome  # finished meanwhile by a status webhook
        return _finalize(message, outcome, now)


def deliver_message_now(*, message_id: int, now: datetime, http: PlatformHTTP | None = None,
                        sleep: Callable[[float], None] = time.sleep) -> DeliveryOutcome | None:
    """Deliver one pending outbound message; None when there is nothing (more) to do."""
    prepared = _prepare(message_id, now)
    if not isinstance(prepared, _Prepared):
        return prepared
    with given_or_own(http) as client:
        outcome = _send(prepared, client, sleep, now)
    return _finish(prepared, outcome, now)
