"""Applying the desk's wish to hide or show a citizen's comment on its platform.

Like connectors.delivery, in three steps so no database lock is held while a platform answers:
claim the record (one transaction), call the platform through the one HTTP client (retries with
backoff; hiding is idempotent there, so a retry after a lost answer cannot do harm), finish (one
transaction: result, audit event, live event on commit). The wish may change while the call is in
flight: `generation` tells, and the worker then goes again with the newest wish.

The entry point `apply_moderation` is what the task `moderate_comment` and the sweep call; it is
safe to run twice and does nothing when there is nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from tanggap.audit import events
from tanggap.connectors.actions.moderation import (
    enqueue_moderation_on_commit,
    publish_moderation_on_commit,
)
from tanggap.connectors.crypto import CredentialsUnreadable, decrypt_secret
from tanggap.connectors.delivery import MAX_ERROR_CHARS, in_flight_lease
from tanggap.connectors.http import PlatformHTTP, TransportError, given_or_own, with_retries
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


def _claimable(now: datetime) -> Q:
    # Pending, or in flight past its lease (the worker died mid-call).
    return Q(state=ModerationState.PENDING) | Q(state=ModerationState.IN_FLIGHT,
                                                 updated_at__lt=now - in_flight_lease())


def _claim(message_id: int, now: datetime) -> _Claim | str | None:
    with transaction.atomic():
        record = (
            CommentModeration.objects.select_for_update()
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
        record.updated_at = now
        record.save(update_fields=["state", "attempts", "updated_at"])
        return _Claim(record.pk, record.generation, record.hidden, channel,
                      record.message.external_id)


def _call(claim: _Claim, http: PlatformHTTP, sleep: Callable[[float], None]) -> str:
    """'' when the platform did it, else the error to show (code first, as for deliveries)."""
    channel = claim.channel
    try:
        token = decrypt_secret(channel.credentials_encrypted)
    except CredentialsUnreadable as exc:
        return f"credentials_unreadable: {exc}"
    adapter = registry.capable(channel.platform, CommentModerator)
    if adapter is None:
        return f"no_connector: hiding comments on {channel.get_platform_display()} is not available"
    try:
        with_retries(lambda: adapter.hide_comment(http, channel=channel, token=token,
                                                  comment_id=claim.comment_id,
                                                  hidden=claim.hidden), sleep=sleep)
    except TransportError as exc:
        code = "platform_refused" if exc.permanent else "platform_unavailable"
        return f"{code}: {exc.message}"
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


def _finish(claim: _Claim, error: str, now: datetime) -> str:
    with transaction.atomic():
        record = (CommentModeration.objects.select_for_update().select_related("message__case")
                  .get(pk=claim.record_id))
        if record.generation == claim.generation and record.state != ModerationState.IN_FLIGHT:
            return record.state  # settled meanwhile (a sweep after a long stall)
        return _settle(record, claim.generation, error, now, applied=claim.hidden)


def apply_moderation(*, message_id: int, now: datetime, http: PlatformHTTP | None = None,
                     sleep: Callable[[float], None] = time.sleep) -> str | None:
    """Apply the newest wish for one comment: 'done', 'failed', 'superseded', or None when
    there was nothing to do (already applied, or another worker holds it)."""
    claim = _claim(message_id, now)
    if not isinstance(claim, _Claim):
        return claim
    with given_or_own(http) as client:
        error = _call(claim, client, sleep)
    return _finish(claim, error, now)
