"""Applying the desk's wish to hide or show a citizen's comment on its platform.

Like connectors.delivery, in three steps so no database lock is held while a platform answers:
claim the record (one transaction), call the platform once through the one HTTP client, finish
(one transaction: result, audit event, live event on commit). A failure that may pass (429, 5xx,
timeout) is tried again by the task queued to run after the back-off (`retry_at`), never by
sleeping in a worker; hiding is idempotent on the platform, so a retry after a lost answer cannot
do harm. After CONNECTORS_MAX_ATTEMPTS attempts it fails visibly. The wish may change while the
call is in flight: `generation` tells, and the worker then goes again with the newest wish.

The entry point `apply_moderation` is what the task `moderate_comment` and the sweep call; it is
safe to run twice and does nothing when there is nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from tanggap.audit import events
from tanggap.connectors.actions.moderation import (
    enqueue_moderation_on_commit,
    publish_moderation_on_commit,
)
from tanggap.connectors.crypto import CredentialsUnreadable, decrypt_secret
from tanggap.connectors.delivery import MAX_ERROR_CHARS, in_flight_lease
from tanggap.connectors.http import PlatformHTTP, TransportError, given_or_own, retry_wait
from tanggap.connectors.models import CommentModeration, ModerationState
from tanggap.connectors.platforms import registry
from tanggap.connectors.platforms.capabilities import CommentModerator


@dataclass(frozen=True)
class _Claim:
    record_id: int
    generation: int
    hidden: bool
    channel: object
    comment_id: str
    attempt: int


def _claimable(now: datetime) -> Q:
    # Pending (and its retry due), or in flight past its lease (the worker died mid-call).
    due = Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    return (Q(due, state=ModerationState.PENDING)
            | Q(state=ModerationState.IN_FLIGHT, updated_at__lt=now - in_flight_lease()))


def _claim(message_id: int, now: datetime) -> _Claim | str | None:
    with transaction.atomic():
        record = (
            # Only the record: the joined channel, message and case are read, not locked (a
            # joined FOR UPDATE would also lock the channel that every send and token refresh
            # of that account locks).
            CommentModeration.objects.select_for_update(of=("self",))
            .filter(_claimable(now), message_id=message_id)
            .select_related("channel", "message__case")
            .first()
        )
        if record is None:
            return None
        channel = record.channel
        if channel.simulated or record.platform_hidden == record.hidden:
            # The demo has no platform; a wish already fulfilled needs no call.
            return _settle(record, record.generation, "", now)
        if not channel.has_credentials:
            return _settle(record, record.generation, (
                f"no_credentials: the {channel.get_platform_display()} account {channel.handle} "
                "has no access token; connect it, then try again"), now)
        record.state = ModerationState.IN_FLIGHT
        record.attempts += 1
        record.retry_at = None
        record.updated_at = now
        record.save(update_fields=["state", "attempts", "retry_at", "updated_at"])
        return _Claim(record.pk, record.generation, record.hidden, channel,
                      record.message.external_id, record.attempts)


@dataclass(frozen=True)
class _Again:
    """The attempt failed in a way that may pass: try again after `wait` seconds."""

    error: str
    wait: float


def _call(claim: _Claim, http: PlatformHTTP) -> str | _Again:
    """'' when the platform did it, the error to show (code first, as for deliveries), or _Again
    while attempts are left for a failure that may pass."""
    channel = claim.channel
    try:
        token = decrypt_secret(channel.credentials_encrypted)
    except CredentialsUnreadable as exc:
        return f"credentials_unreadable: {exc}"
    adapter = registry.capable(channel.platform, CommentModerator)
    if adapter is None:
        return f"no_connector: hiding comments on {channel.get_platform_display()} is not available"
    try:
        adapter.hide_comment(http, channel=channel, token=token, comment_id=claim.comment_id,
                             hidden=claim.hidden)
    except TransportError as exc:
        if exc.permanent:
            return f"platform_refused: {exc.message}"
        wait = retry_wait(exc, claim.attempt)
        if claim.attempt < settings.CONNECTORS_MAX_ATTEMPTS and \
                wait <= settings.CONNECTORS_MAX_RETRY_WAIT_SECONDS:
            return _Again(f"platform_unavailable: {exc.message}", wait)
        return f"platform_unavailable: {exc.message}"
    return ""


def _settle(record: CommentModeration, generation: int, error: str, now: datetime,
            applied: bool | None = None) -> str:
    """Write one attempt's result on a locked record (inside the caller's transaction)."""
    wanted = record.hidden
    if record.generation != generation:
        # The desk changed its mind during the call: what we applied is no longer the wish.
        if not error:
            record.platform_hidden = applied
        record.state = ModerationState.PENDING
        record.updated_at = now
        record.save(update_fields=["platform_hidden", "state", "updated_at"])
        enqueue_moderation_on_commit(record.message_id)
        return "superseded"
    if error:
        record.state, record.error = ModerationState.FAILED, error[:MAX_ERROR_CHARS]
    else:
        record.state, record.error, record.platform_hidden = ModerationState.DONE, "", wanted
    record.updated_at = now
    record.save(update_fields=["state", "error", "platform_hidden", "updated_at"])
    message = record.message
    if error:
        action = "message.hide_failed" if wanted else "message.unhide_failed"
    else:
        action = "message.hidden" if wanted else "message.unhidden"
    events.record(workspace_id=message.workspace_id, actor=None, now=now,
                  case=message.case, obj=message, action=action,
                  after={"hidden": wanted, "error": record.error})
    publish_moderation_on_commit(record, message)
    return record.state


def _finish(claim: _Claim, result: str | _Again, now: datetime) -> str:
    with transaction.atomic():
        record = (CommentModeration.objects.select_for_update(of=("self",))
                  .select_related("message__case")
                  .get(pk=claim.record_id))
        if record.generation == claim.generation and record.state != ModerationState.IN_FLIGHT:
            return record.state  # settled meanwhile (a sweep after a long stall)
        if isinstance(result, _Again):
            if record.generation != claim.generation:
                return _settle(record, claim.generation, result.error, now)  # goes again
            # Not a desk event yet: the outcome is audited when it is known.
            record.state, record.error = ModerationState.PENDING, result.error[:MAX_ERROR_CHARS]
            record.retry_at = now + timedelta(seconds=result.wait)
            record.updated_at = now
            record.save(update_fields=["state", "error", "retry_at", "updated_at"])
            from tanggap.connectors.tasks import enqueue_later, moderate_comment

            enqueue_later(moderate_comment, record.retry_at, record.message_id)
            return "retry"
        return _settle(record, claim.generation, result, now, applied=claim.hidden)


def apply_moderation(*, message_id: int, now: datetime, http: PlatformHTTP | None = None
                     ) -> str | None:
    """One attempt at the newest wish for one comment: 'done', 'failed', 'superseded', 'retry'
    (queued to run again after a back-off), or None when there was nothing to do (already
    applied, its retry not due yet, or another worker holds it)."""
    claim = _claim(message_id, now)
    if not isinstance(claim, _Claim):
        return claim
    with given_or_own(http) as client:
        result = _call(claim, client)
    return _finish(claim, result, now)
