"""Sending for a Facebook Page: a public reply under a comment, or a Messenger message.

Endpoints and rules: docs/platforms.md (PLATFORMS.md §2). Messenger answers freely within
MESSAGING_WINDOW_HOURS of the citizen's last message; after that, only a human may answer with
the HUMAN_AGENT tag, for HUMAN_AGENT_WINDOW_DAYS, and only once Meta granted the feature (the
channel option `human_agent`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from tanggap.connectors.http import PlatformHTTP
from tanggap.connectors.platforms.base import DM_THREAD, SendContext, SendPlan, permanent, within


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
                  text: str, not_before=None) -> str | None:
    """Our reply under the comment, if an earlier attempt posted it after all."""
    if operation != "comment_reply":
        return None  # Messenger: the echo webhook fills the record's external_id instead
    response = http.request("graph", "GET", f"/{target_id}/comments", token=token,
                            params={"fields": "id,from,message", "limit": 100,
                                    "order": "reverse_chronological"})
    for comment in (response.data or {}).get("data") or []:
        author = comment.get("from") or {}
        if str(author.get("id")) == channel.handle and \
                (comment.get("message") or "").strip() == text.strip():
            return str(comment["id"])
    return None


def hide_comment(http: PlatformHTTP, *, channel, token: str, comment_id: str,
                 hidden: bool) -> None:
    """Hide or show a comment on the Page: POST /{comment-id} is_hidden [G-CMT]."""
    http.request("graph", "POST", f"/{comment_id}", token=token, json={"is_hidden": hidden})
