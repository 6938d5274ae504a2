"""Fetching the words of an Instagram mention after the drain stored it with a placeholder.

A `mentions` webhook carries only ids [IG-WH], so the drain stores a placeholder and queues the
task `fetch_mention_text` on commit. Like connectors.moderation, the work is split so no
database lock is held while the platform answers: read the message (no transaction), call the
platform through the one HTTP client (one attempt per task run; a failure that may pass queues
the task again after a back-off, and a GET changes nothing, so retrying is always safe), then
hand the result to cases.actions (record_fetched_text, record_text_fetch_failed), which writes
the message and its case in one short transaction.

`fetch_message_text` is what the task and the sweep call. It is safe to run twice: a message
that no longer shows its placeholder is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from tanggap.cases.actions import record_fetched_text, record_text_fetch_failed
from tanggap.cases.models import Direction, Message
from tanggap.cases.queries import text_fetch_failures
from tanggap.connectors.crypto import CredentialsUnreadable, decrypt_secret
from tanggap.connectors.http import PlatformHTTP, TransportError, backoff_seconds, given_or_own
from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.instagram import client as instagram
from tanggap.connectors.platforms.instagram.inbound import mention_ids, mention_placeholder


def pending_placeholder(message: Message, thread_id: str) -> tuple[str, str, str] | None:
    """(comment_id, media_id, placeholder) when `message` still waits for its words."""
    ids = mention_ids(message.external_id or "", thread_id)
    if ids is None:
        return None
    placeholder = mention_placeholder(comment_id=ids[0], media_id=ids[1])
    return (*ids, placeholder) if message.text == placeholder else None


def fetch_message_text(*, message_id: int, now: datetime, http: PlatformHTTP | None = None
                       ) -> str | None:
    """One attempt: 'fetched', 'failed' (shown on the message, not asked again), 'retry' (noted,
    and the task queued to run again after a back-off; the sweep too asks again), or None when
    there is nothing to do."""
    message = (Message.objects.filter(pk=message_id, direction=Direction.IN,
                                      channel__platform=Platform.INSTAGRAM)
               .select_related("channel", "case").first())
    if message is None or message.channel.simulated:
        return None  # the demo's channels have no platform to ask
    pending = pending_placeholder(message, message.case.thread_id)
    if pending is None:
        return None
    comment_id, media_id, placeholder = pending
    channel = message.channel

    def failed(error: str, *, final: bool, wait: float | None = None) -> str | None:
        # A refusal will not change by asking again; anything else is asked again (the task
        # queued after a back-off, and the sweep) until CONNECTORS_MAX_ATTEMPTS runs failed.
        failures = text_fetch_failures(message_id) + 1
        final = final or failures >= settings.CONNECTORS_MAX_ATTEMPTS
        done = record_text_fetch_failed(message_id=message_id, placeholder=placeholder,
                                        error=error, final=final, now=now)
        if done is None:
            return None
        if not final:
            from tanggap.connectors.tasks import enqueue_later, fetch_mention_text

            pause = wait if wait is not None else backoff_seconds(failures)
            enqueue_later(fetch_mention_text, now + timedelta(seconds=pause), message_id)
        return "failed" if final else "retry"

    if not channel.has_credentials:
        return failed(f"no_credentials: the account {channel.handle} has no access token",
                      final=True)
    try:
        token = decrypt_secret(channel.credentials_encrypted)
    except CredentialsUnreadable as exc:
        return failed(f"credentials_unreadable: {exc}", final=True)
    try:
        with given_or_own(http) as client:
            found = instagram.fetch_mention(client, channel=channel, token=token,
                                            comment_id=comment_id, media_id=media_id)
    except TransportError as exc:
        if exc.permanent:
            return failed(f"platform_refused: {exc.message}", final=True)
        return failed(f"platform_unavailable: {exc.message}", final=False,
                      wait=exc.retry_after)
    done = record_fetched_text(message_id=message_id, placeholder=placeholder, text=found.text,
                               author_name=found.author_name, source=found.source, now=now)
    return None if done is None else "fetched"
