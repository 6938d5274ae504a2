"""Sending for a Facebook Page: a public reply under a comment, or a Messenger message.

Endpoints and rules: docs/platforms.md (PLATFORMS.md §2). Messenger answers freely within
MESSAGING_WINDOW_HOURS of the citizen's last message; after that, only a human may answer with
the HUMAN_AGENT tag, for HUMAN_AGENT_WINDOW_DAYS, and only once Meta granted the feature (the
channel option `human_agent`).

After a lost answer, a DM is looked for in the citizen's conversation (Conversations API,
`find_dm`, shared with the Instagram adapter) before it is sent again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings

from tanggap.connectors.http import PlatformHTTP, TransportError
from tanggap.connectors.platforms.base import (
    DM_THREAD,
    SendContext,
    SendPlan,
    from_unix,
    permanent,
    within,
)

logger = logging.getLogger(__name__)

# How many of the conversation's newest messages we read after a lost answer. Meta returns
# details for a conversation's 20 most recent messages only (Conversations API); ours went out
# seconds before, so a few more than the citizen could write meanwhile are enough.
RECONCILE_MESSAGES = 10
# Meta's clock and ours may differ, and created_time has whole seconds. Kept short: a wider
# margin lets an identical answer sent to the same person shortly before pass for this one.
CLOCK_SKEW = timedelta(minutes=2)


def messenger_window(ctx: SendContext) -> dict:
    """messaging_type (and tag) for a Messenger or Instagram DM, or a permanent refusal."""
    if within(ctx, timedelta(hours=settings.MESSAGING_WINDOW_HOURS)):
        return {"messaging_type": "RESPONSE"}
    if ctx.options.get("human_agent") and within(
            ctx, timedelta(days=settings.HUMAN_AGENT_WINDOW_DAYS)):
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    if ctx.options.get("human_agent"):
        raise permanent("window_closed", (
            f"the citizen last wrote more than {settings.HUMAN_AGENT_WINDOW_DAYS} days ago; "
            "the platform accepts no reply until they write again"))
    raise permanent("window_closed", (
        f"the citizen last wrote more than {settings.MESSAGING_WINDOW_HOURS} hours ago; only "
        "the Human Agent tag could answer now, and this channel does not have it (option "
        "human_agent, granted by Meta App Review)"))


def plan(ctx: SendContext) -> SendPlan:
    if ctx.thread_id.startswith("post:"):
        return SendPlan("comment_reply", ctx.reply_to_id, "graph", "POST",
                        f"/{ctx.reply_to_id}/comments", json={"message": ctx.text})
    if ctx.thread_id == DM_THREAD:
        body = {"recipient": {"id": ctx.recipient_id},
                # metadata comes back in the message_echoes webhook: our key, to reconcile.
                "message": {"text": ctx.text, "metadata": ctx.key},
                **messenger_window(ctx)}
        return SendPlan("messenger", ctx.recipient_id, "graph", "POST",
                        f"/{ctx.channel.handle}/messages", json=body)
    raise permanent("no_target", f"cannot tell how to answer thread {ctx.thread_id!r}")


def sent_id(operation: str, data: dict) -> str:
    return str(data.get("message_id") if operation == "messenger" else data.get("id"))


def find_existing(http: PlatformHTTP, *, channel, token: str, operation: str, target_id: str,
                  text: str, not_before: datetime | None = None) -> str | None:
    """Our reply under the comment, or our Messenger message in the citizen's conversation, if
    an earlier attempt sent it after all. (The message_echoes webhook may have filled the
    record's external_id before this runs; delivery looks there first.)"""
    if operation == "messenger":
        return find_dm(http, api="graph", path=f"/{channel.handle}/conversations",
                       platform="messenger", token=token, user_id=target_id,
                       account_id=channel.handle, text=text, not_before=not_before)
    if operation != "comment_reply":
        return None
    response = http.request("graph", "GET", f"/{target_id}/comments", token=token,
                            params={"fields": "id,from,message", "limit": 100,
                                    "order": "reverse_chronological"})
    for comment in (response.data or {}).get("data") or []:
        author = comment.get("from") or {}
        if str(author.get("id")) == channel.handle and \
                (comment.get("message") or "").strip() == text.strip():
            return str(comment["id"])
    return None


def find_dm(http: PlatformHTTP, *, api: str, path: str, platform: str, token: str,
            user_id: str, account_id: str, text: str,
            not_before: datetime | None) -> str | None:
    """The id of our message with this text among the newest messages of our conversation with
    `user_id` (PSID or IGSID), sent no earlier than our first attempt; None when absent.

    One call: the Conversations API finds the conversation with one person through
    `platform` + `user_id` on the conversations edge, and `messages` is a field of a
    conversation; its subfields (`from`, `message`, `created_time`) and the `.limit()` come
    from the Message reference and Graph API field expansion. One call rather than one per
    message, because the Conversations API allows 2 calls a second per account.

    A refused lookup (a 4xx: a token without the read permissions, no Advanced Access) returns
    None, so the DM is sent again as it was before we could look: a private answer twice is
    better than none. A lookup that may succeed later raises, and delivery retries it rather
    than sending blind.
    """
    fields = f"messages.limit({RECONCILE_MESSAGES}){{id,created_time,from,message}}"
    try:
        response = http.request(api, "GET", path, token=token, params={
            "platform": platform, "user_id": user_id, "fields": fields})
    except TransportError as exc:
        if not exc.permanent:
            raise
        logger.warning("cannot look for our earlier %s DM (%s); sending it again",
                       platform, exc.message)
        return None
    for conversation in (response.data or {}).get("data") or []:
        messages = ((conversation or {}).get("messages") or {}).get("data") or []
        # The answer lists the newest first; the slice keeps us within what we asked for even
        # if a page comes back longer.
        for message in messages[:RECONCILE_MESSAGES]:
            sender = message.get("from") or {}
            if str(sender.get("id")) != account_id or \
                    (message.get("message") or "").strip() != text.strip():
                continue
            created = _created_time(message.get("created_time"))
            # The time bound keeps the same stock answer sent by hand last week from passing
            # for this one.
            if not_before is not None and (created is None or created < not_before - CLOCK_SKEW):
                continue
            return str(message["id"])
    return None


def _created_time(value) -> datetime | None:
    """created_time as the Message reference shows it (`2022-07-12T19:11:07+0000`), or the Unix
    timestamp the Conversations guide's placeholders name."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return from_unix(value)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Graph answers in UTC; a time without an offset is read as UTC rather than compared naive.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def hide_comment(http: PlatformHTTP, *, channel, token: str, comment_id: str,
                 hidden: bool) -> None:
    """Hide or show a comment on the Page: POST /{comment-id} is_hidden [G-CMT]."""
    http.request("graph", "POST", f"/{comment_id}", token=token, json={"is_hidden": hidden})
