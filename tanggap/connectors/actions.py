"""Writes of the connectors room: channel accounts, webhook intake and processing, statuses
reported by platforms. Each owns its transaction; side effects run on commit."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases.actions import ingest_inbound, record_delivery_update
from tanggap.cases.models import DeliveryStatus, Message
from tanggap.connectors.crypto import CredentialsUnreadable, encrypt_secret
from tanggap.connectors.models import (
    ChannelAccount,
    CommentModeration,
    IntakeQueue,
    ModerationState,
    Outbound,
    Platform,
    PollCursor,
    WebhookDelivery,
)
from tanggap.connectors.platforms import meta
from tanggap.connectors.platforms.base import Echo, InboundMessage, Skipped, StatusUpdate
from tanggap.errors import Conflict, InvalidInput
from tanggap.live.fanout import publish_on_commit

logger = logging.getLogger(__name__)


def _renewal_fields(*, platform: str, refresh_token: str, expires_in, client_id: str,
                    client_secret: str, now: datetime, kept: dict | None = None) -> dict:
    """The ChannelAccount fields for a token that may come with a refresh token (X only).

    Without a refresh token the access token is used until it fails, as before. `kept`: the
    channel's stored client pair, kept when the form leaves the client fields empty.
    """
    from tanggap.connectors.platforms.x import tokens as x_tokens

    refresh_token, client_id = (refresh_token or "").strip(), (client_id or "").strip()
    client_secret = (client_secret or "").strip()
    if (refresh_token or client_id or client_secret) and platform != Platform.X:
        raise InvalidInput(_("Refresh tokens are only used for X."), fields=["refresh_token"])
    if client_secret and not client_id:
        raise InvalidInput(_("A client secret needs its client id."), fields=["client_id"])
    if max(len(refresh_token), len(client_id), len(client_secret)) > 4000:
        raise InvalidInput(_("The access token is too long."), fields=["refresh_token"])
    if expires_in not in (None, ""):
        try:
            expires_in = int(expires_in)
        except (TypeError, ValueError):
            raise InvalidInput(_("expires_in must be a number of seconds."),
                               fields=["expires_in"]) from None
    if not client_id and kept:
        client_id, client_secret = kept["client_id"], kept["client_secret"]
    return {
        "refresh_encrypted": x_tokens.seal_refresh(
            refresh_token=refresh_token, client_id=client_id, client_secret=client_secret)
        if refresh_token else "",
        # Unknown lifetime (a pasted token): it is renewed after X's first 401 instead.
        "token_expires_at": x_tokens.expires_at(now, expires_in)
        if expires_in not in (None, "") else None,
        "token_refreshed_at": None, "token_failed_at": None, "token_error": "",
    }


def _refresh_audit(channel: ChannelAccount, has: bool | None = None) -> dict:
    """Whether a refresh token is stored, in audit payloads of the only platform that has them."""
    if channel.platform != Platform.X:
        return {}
    return {"has_refresh_token": channel.has_refresh_token if has is None else has}


def add_channel(
    *, workspace, platform: str, handle: str, now: datetime, actor=None, name: str = "",
    token: str = "", simulated: bool = False, refresh_token: str = "", expires_in=None,
    client_id: str = "", client_secret: str = "",
) -> ChannelAccount:
    if platform not in Platform.values:
        raise InvalidInput(f"platform must be one of {', '.join(Platform.values)}")
    handle = (handle or "").strip()
    if not handle or len(handle) > 120:
        raise InvalidInput("handle must be 1 to 120 characters")
    renewal = _renewal_fields(platform=platform, refresh_token=refresh_token,
                              expires_in=expires_in, client_id=client_id,
                              client_secret=client_secret, now=now)
    if renewal["refresh_encrypted"] and not token:
        raise InvalidInput(_("Paste the access token."), fields=["token"])
    try:
        with transaction.atomic():
            channel = ChannelAccount.objects.create(
                workspace=workspace,
                platform=platform,
                handle=handle,
                name=name or handle,
                credentials_encrypted=encrypt_secret(token) if token else "",
                simulated=simulated,
                created_at=now,
                **renewal,
            )
            events.record(
                workspace_id=workspace.pk, actor=actor, action="channel.added", now=now,
                obj=channel,
                after={"platform": platform, "handle": handle, "has_credentials": bool(token),
                       **_refresh_audit(channel)},
            )
    except IntegrityError:
        raise Conflict(f"a {platform} channel with handle {handle!r} already exists") from None
    return channel


def connect_channel(*, slug: str, actor, platform: str, handle: str, now: datetime,
                    name: str = "", token: str = "", refresh_token: str = "",
                    expires_in=None, client_id: str = "",
                    client_secret: str = "") -> ChannelAccount:
    """add_channel for a workspace admin (the admin page); others NotFound / Forbidden."""
    from tanggap.connectors.access import access_channel_admin

    membership = access_channel_admin(actor, slug)
    return add_channel(workspace=membership.workspace, platform=platform, handle=handle,
                       now=now, actor=actor, name=name, token=(token or "").strip(),
                       refresh_token=refresh_token, expires_in=expires_in,
                       client_id=client_id, client_secret=client_secret)


def _locked_channel_for_admin(channel_id: int, actor) -> ChannelAccount:
    from tanggap.connectors.access import access_channel_admin_by_id

    channel = access_channel_admin_by_id(actor, channel_id)
    return ChannelAccount.objects.select_for_update().get(pk=channel.pk)


def replace_channel_token(*, channel_id: int, actor, token: str, now: datetime,
                          refresh_token: str = "", expires_in=None, client_id: str = "",
                          client_secret: str = "") -> ChannelAccount:
    """Store a new access token for a channel (workspace admins only). The token is encrypted
    before it touches the database and appears in no event, log or answer.

    X: with a refresh token the access token is renewed before it expires; without one, a
    stored refresh token is dropped (it belonged to the earlier authorization). Saving clears a
    refused renewal, so renewing starts again."""
    token = (token or "").strip()
    if not token:
        raise InvalidInput(_("Paste the access token."), fields=["token"])
    if len(token) > 4000:
        raise InvalidInput(_("The access token is too long."), fields=["token"])
    with transaction.atomic():
        channel = _locked_channel_for_admin(channel_id, actor)
        had, had_refresh = channel.has_credentials, channel.has_refresh_token
        kept = None
        if channel.refresh_encrypted:
            from tanggap.connectors.platforms.x.tokens import open_refresh

            try:
                kept = open_refresh(channel.refresh_encrypted)
            except CredentialsUnreadable:
                kept = None  # a rotated key: the new token is what the admin is fixing that with
        renewal = _renewal_fields(platform=channel.platform, refresh_token=refresh_token,
                                  expires_in=expires_in, client_id=client_id,
                                  client_secret=client_secret, now=now, kept=kept)
        channel.credentials_encrypted = encrypt_secret(token)
        for name, value in renewal.items():
            setattr(channel, name, value)
        channel.save(update_fields=["credentials_encrypted", *renewal])
        # A new token may carry the scopes or tier X refused DMs for: ask again at the next poll.
        PollCursor.objects.filter(channel=channel).update(dm_refused_at=None)
        events.record(workspace_id=channel.workspace_id, actor=actor, now=now, obj=channel,
                      action="channel.credentials_replaced",
                      before={"has_credentials": had, **_refresh_audit(channel, had_refresh)},
                      after={"has_credentials": True, **_refresh_audit(channel)})
    return channel


# The options the connectors read (docs/platforms.md), and which platforms read each.
OPTION_PLATFORMS = {
    "human_agent": {Platform.FACEBOOK, Platform.INSTAGRAM},
    "api": {Platform.INSTAGRAM},
    "whatsapp_reply_template": {Platform.WHATSAPP},
}


def set_channel_options(*, channel_id: int, actor, now: datetime, human_agent: bool = False,
                        instagram_login: bool = False, whatsapp_template: str = "",
                        whatsapp_template_language: str = "id") -> ChannelAccount:
    """Set the options this channel's platform reads; others (e.g. the cached x_user_id) stay."""
    whatsapp_template = (whatsapp_template or "").strip()
    language = (whatsapp_template_language or "").strip() or "id"
    if len(whatsapp_template) > 512 or len(language) > 15:
        raise InvalidInput(_("The template name or language is too long."))
    with transaction.atomic():
        channel = _locked_channel_for_admin(channel_id, actor)
        before = dict(channel.options or {})
        options = {k: v for k, v in before.items() if k not in OPTION_PLATFORMS}
        wanted = {"human_agent": human_agent or None,
                  "api": "instagram" if instagram_login else None,
                  "whatsapp_reply_template": {"name": whatsapp_template, "language": language}
                  if whatsapp_template else None}
        for name, value in wanted.items():
            if channel.platform in OPTION_PLATFORMS[name] and value is not None:
                options[name] = value
        if options == before:
            return channel
        channel.options = options
        channel.save(update_fields=["options"])
        events.record(workspace_id=channel.workspace_id, actor=actor, now=now, obj=channel,
                      action="channel.options_changed", before=before, after=options)
    return channel


# ---------------------------------------------------------------------------------------------
# Webhook intake and processing


@dataclass(frozen=True)
class Receipt:
    delivery_id: int
    created: bool


def receive_webhook(*, source: str, body: bytes, now: datetime) -> Receipt:
    """Store one signed webhook body durably; the caller answers 200 only after this returns.

    One transaction, one commit: the body, and (when no drain is queued yet for this source) the
    drain task itself, so nothing is half-written: either both are stored or neither. Task
    backends outside our database (the immediate backend of tests) are enqueued on commit.

    No audit event: this is the platform's message log, not a desk decision, and it belongs to
    no workspace yet. The messages it yields are audited when the worker ingests them.
    """
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                source=source, body=body, body_sha256=digest, received_at=now)
            _queue_drain(source)
    except IntegrityError:
        # The very same bytes again (Meta retried, or someone replays): stored once, ack again.
        existing = WebhookDelivery.objects.only("id").get(body_sha256=digest)
        return Receipt(existing.pk, False)
    return Receipt(delivery.pk, True)


def _queue_drain(source: str, *, force: bool = False) -> None:
    """Inside the caller's transaction: make sure a drain of `source` is queued."""
    # The row lock orders us against a drain clearing the flag (Postgres); on SQLite writers
    # are serialised anyway.
    queued = IntakeQueue.objects.select_for_update().filter(source=source).values_list(
        "drain_queued", flat=True).first()
    if queued and not force:
        return
    if queued is None:
        IntakeQueue.objects.create(source=source, drain_queued=True)
    else:
        IntakeQueue.objects.filter(source=source).update(drain_queued=True)
    from tanggap.connectors.tasks import drain_webhooks

    if _tasks_in_our_database(drain_webhooks):
        drain_webhooks.enqueue(source)
    else:
        transaction.on_commit(lambda: drain_webhooks.enqueue(source))


def _tasks_in_our_database(task) -> bool:
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[task.backend], DatabaseBackend)


@dataclass(frozen=True)
class DrainResult:
    processed: int
    failed: list[int]
    more: bool


def _yield_to_a_burst(source: str, newest_seen, seen_at, pause) -> tuple[int | None, float]:
    """While webhooks pour in faster than CONNECTORS_DRAIN_YIELD_RATE a second, step aside for
    a moment before parsing more: on a small machine parsing takes the CPU and the SQLite write
    lock that acknowledging needs, and Meta wants its 200 quickly. Parsing catches up when the
    burst ends; nothing is skipped, only later."""
    rate_limit = settings.CONNECTORS_DRAIN_YIELD_RATE
    newest = (WebhookDelivery.objects.filter(source=source).order_by("-id")
              .values_list("id", flat=True).first())
    now = time.monotonic()
    if rate_limit and newest_seen is not None and newest is not None:
        elapsed = max(now - seen_at, 1e-3)
        if (newest - newest_seen) / elapsed > rate_limit:
            pause(settings.CONNECTORS_DRAIN_YIELD_SECONDS)
    return newest, now


def drain_webhook_deliveries(*, source: str, clock, limit: int,
                             pause=time.sleep) -> DrainResult:
    """Process stored deliveries of `source`, oldest first, each in its own transaction.

    Clears the queued flag first, so a body stored after our last look queues the next drain.
    A delivery whose processing raises (a bug, not a bad payload) is noted on it and skipped, so
    one poison body cannot stall the queue; the sweep offers it again later. After `limit`
    deliveries we queue a successor and stop, so other tasks (replies) are not starved.
    """
    IntakeQueue.objects.filter(source=source).update(drain_queued=False)
    processed, failed = 0, []
    newest_seen, seen_at = None, None
    while processed < limit:
        ids = list(WebhookDelivery.objects.filter(source=source, processed_at__isnull=True)
                   .exclude(pk__in=failed).order_by("id").values_list("id", flat=True)[:50])
        if not ids:
            return DrainResult(processed, failed, False)
        newest_seen, seen_at = _yield_to_a_burst(source, newest_seen, seen_at, pause)
        for delivery_id in ids:
            try:
                process_webhook_delivery(delivery_id=delivery_id, now=clock())
            except Exception as exc:
                logger.exception("webhook delivery %s could not be processed", delivery_id)
                failed.append(delivery_id)
                WebhookDelivery.objects.filter(pk=delivery_id).update(
                    attempts=F("attempts") + 1, error=f"processing failed: {exc!r}"[:500])
            processed += 1
            if processed >= limit:
                break
    with transaction.atomic():
        _queue_drain(source, force=True)
    return DrainResult(processed, failed, True)


@dataclass
class ProcessResult:
    stored: int = 0
    duplicates: int = 0
    statuses: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def process_webhook_delivery(*, delivery_id: int, now: datetime) -> ProcessResult | None:
    """Parse one stored delivery and store what it says, all in one transaction.

    None if it was processed already. A malformed body is marked processed with its error (it
    will never parse better); an unknown account is noted and its events dropped, since nobody
    in this desk asked for them.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery_id, processed_at__isnull=True)
            .first()
        )
        if delivery is None:
            return None
        result = ProcessResult()
        try:
            parsed = meta.parse_payload(json.loads(bytes(delivery.body).decode("utf-8")))
        except (ValueError, UnicodeDecodeError) as exc:
            result.problems.append(f"malformed: {exc}")
            parsed = []
        channels: dict[tuple[str, str], ChannelAccount | None] = {}
        for event in parsed:
            if isinstance(event, Skipped):
                result.skipped += 1
                continue
            key = (event.platform, event.account_id)
            if key not in channels:
                channels[key] = ChannelAccount.objects.filter(
                    platform=event.platform, handle=event.account_id, is_active=True).first()
            channel = channels[key]
            if channel is None:
                problem = f"no active {event.platform} channel {event.account_id}"
                if problem not in result.problems:
                    result.problems.append(problem)
                continue
            if isinstance(event, InboundMessage):
                _store_inbound(channel, event, now, result)
            elif isinstance(event, StatusUpdate):
                result.statuses += apply_status(channel=channel, update=event, now=now)
            elif isinstance(event, Echo):
                apply_echo(channel=channel, echo=event)
        seen = [c.pk for c in channels.values() if c is not None]
        if seen:
            ChannelAccount.objects.filter(pk__in=seen).update(last_webhook_at=now)
        delivery.processed_at = now
        delivery.attempts += 1
        delivery.stored_messages = result.stored
        delivery.error = "; ".join(result.problems)[:500]
        delivery.save(update_fields=["processed_at", "attempts", "stored_messages", "error"])
        return result


def _store_inbound(channel, event: InboundMessage, now: datetime, result: ProcessResult) -> None:
    try:
        outcome = ingest_inbound(
            channel=channel, external_id=event.external_id, author_id=event.author_id,
            author_name=event.author_name, text=event.text, thread_id=event.thread_id,
            attachments=event.attachments, platform_created_at=event.created_at, now=now,
        )
    except InvalidInput as exc:
        result.problems.append(f"{event.platform} {event.external_id}: {exc}")
        return
    if outcome.created:
        result.stored += 1
        if event.text_pending:
            # The words are fetched by a task of their own after this body commits: a platform
            # call inside the drain's transaction would hold its locks for seconds.
            enqueue_text_fetch_on_commit(outcome.message.pk)
    else:
        result.duplicates += 1


def enqueue_text_fetch_on_commit(message_id: int) -> None:
    def enqueue() -> None:
        from tanggap.connectors.tasks import fetch_mention_text

        fetch_mention_text.enqueue(message_id)

    transaction.on_commit(enqueue)


# WhatsApp statuses can arrive out of order; only ever move forward.
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def apply_status(*, channel, update: StatusUpdate, now: datetime) -> int:
    """Record what the platform says became of one of our sends; 1 if it changed anything."""
    record = (
        Outbound.objects.select_for_update()
        .filter(channel=channel, external_id=update.external_id)
        .select_related("message")
        .first()
    )
    if record is None and update.key:
        # An attempt timed out before we learnt the platform id; the key identifies it.
        record = (
            Outbound.objects.select_for_update()
            .filter(channel=channel, idempotency_key=update.key)
            .select_related("message")
            .first()
        )
    if record is None:
        return 0  # sent from outside the desk (the WhatsApp app), nothing of ours to update
    if _STATUS_RANK.get(update.status, 0) <= _STATUS_RANK.get(record.platform_status, 0):
        return 0
    record.platform_status = update.status
    record.external_id = record.external_id or update.external_id
    record.updated_at = now
    record.save(update_fields=["platform_status", "external_id", "updated_at"])
    if update.status == "failed":
        status, error = DeliveryStatus.FAILED, f"platform_failed: {update.error}"
    else:
        status, error = DeliveryStatus.SENT, ""
    record_delivery_update(message=record.message, status=status, platform_status=update.status,
                           error=error, external_id=update.external_id, now=now)
    return 1


def apply_echo(*, channel, echo: Echo) -> None:
    """A message the account sent came back: if it carries our key, remember its platform id."""
    if not echo.key.startswith("tanggap-out-"):
        return  # sent from the Page inbox or another tool
    Outbound.objects.filter(channel=channel, idempotency_key=echo.key,
                            external_id__isnull=True).update(external_id=echo.external_id)


# ---------------------------------------------------------------------------------------------
# Hiding abusive comments


def hide_comment(*, message_id: int, actor, hidden: bool, now: datetime) -> CommentModeration:
    """Ask the platform to hide (or show again) a citizen's public comment.

    Operators and above; auditors get Forbidden, outsiders NotFound. The platform call runs in
    the task `moderate_comment` after commit; its result lands on the returned record. Asking
    for what is already asked (or done) changes nothing and records nothing; asking again after
    a failure tries again.
    """
    from tanggap.cases.access import access_message
    from tanggap.connectors.queries import is_hideable

    if not isinstance(hidden, bool):
        raise InvalidInput(_("'hidden' must be true or false."))
    with transaction.atomic():
        message, _membership = access_message(actor, message_id, write=True)
        if not is_hideable(message):
            raise InvalidInput(_("Only a citizen's comment on Facebook or Instagram can be "
                                 "hidden."))
        record = CommentModeration.objects.select_for_update().filter(message=message).first()
        if record is not None and record.hidden == hidden and \
                record.state != ModerationState.FAILED:
            return record
        before = {} if record is None else {"hidden": record.hidden, "state": record.state}
        if record is None:
            record = CommentModeration.objects.create(
                message=message, channel=message.channel, hidden=hidden, requested_by=actor,
                requested_at=now, updated_at=now)
        else:
            record.hidden = hidden
            record.generation += 1
            record.error = ""
            record.requested_by = actor
            record.requested_at = now
            record.updated_at = now
            # A call in flight finishes, sees the new generation and goes again; only an idle
            # record is queued anew.
            if record.state != ModerationState.IN_FLIGHT:
                record.state = ModerationState.PENDING
            record.save(update_fields=["hidden", "generation", "error", "requested_by",
                                       "requested_at", "updated_at", "state"])
        events.record(
            workspace_id=message.workspace_id, actor=actor, now=now, case=message.case,
            obj=message, action="message.hide_requested" if hidden
            else "message.unhide_requested",
            before=before, after={"hidden": hidden, "platform": message.channel.platform,
                                  "comment_id": message.external_id},
        )
        if record.state == ModerationState.PENDING:
            enqueue_moderation_on_commit(message.pk)
        publish_moderation_on_commit(record, message)
    return record


def enqueue_moderation_on_commit(message_id: int) -> None:
    def enqueue() -> None:
        from tanggap.connectors.tasks import moderate_comment

        moderate_comment.enqueue(message_id)

    transaction.on_commit(enqueue)


def publish_moderation_on_commit(record: CommentModeration, message: Message) -> None:
    publish_on_commit(message.workspace_id, {
        "kind": "delivery", "case_id": message.case_id, "message_id": message.pk,
        "moderation": record.state, "hidden": record.hidden})
