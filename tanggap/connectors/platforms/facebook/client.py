"""Sending for a Facebook Page: a public reply under a comment, or a Messenger message.

Endpoints and rules: docs/platforms.md (docs/platform-facts.md §2). Messenger answers freely within
MESSAGING_WINDOW_HOURS of the citizen's last message; after that, only a human may answer with
the HUMAN_AGENT tag, for HUMAN_AGENT_WINDOW_DAYS, and only once Meta granted the feature (the
channel option `human_agent`).

After a lost answer, a DM is looked for in the citizen's conversation (Conversations API,
`platforms.messenger.find_dm`, shared with Instagram Direct) before it is sent again.
"""

from __future__ import annotations

from datetime import datetime

from tanggap.connectors.http import PlatformHTTP
from tanggap.connectors.platforms.base import (
    DM_THREAD,
    NotProven,
    ProvenAccount,
    SendContext,
    SendPlan,
    permanent,
)
from tanggap.connectors.platforms.messenger import find_dm, messenger_window


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


def hide_comment(http: PlatformHTTP, *, channel, token: str, comment_id: str,
                 hidden: bool) -> None:
    """Hide or show a comment on the Page: POST /{comment-id} is_hidden [G-CMT]."""
    http.request("graph", "POST", f"/{comment_id}", token=token, json={"is_hidden": hidden})


def prove(http: PlatformHTTP, *, handle: str, token: str, account_id: str = "",
          options: dict | None = None) -> ProvenAccount:
    """A Page access token answers `GET /me?fields=id,name` with its Page (the same `/me` that
    the Send API's `/me/messages` resolves to the Page); a user token answers with the user."""
    data = http.request("graph", "GET", "/me", token=token,
                        params={"fields": "id,name"}).data or {}
    if str(data.get("id") or "") != handle:
        raise NotProven("the token is not a Page access token of this Page")
    return ProvenAccount(handle, handle, name=str(data.get("name") or ""))
