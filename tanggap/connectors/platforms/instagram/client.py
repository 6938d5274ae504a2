"""Sending for an Instagram professional account: a reply under a comment, or a Direct message.

Facebook-Login accounts (the default) go through graph.facebook.com with a Page token;
accounts with the option {"api": "instagram"} go through graph.instagram.com with an Instagram
User token. Windows as for Messenger (connectors.platforms.facebook.client.messenger_window).
"""

from __future__ import annotations

from tanggap.connectors.http import PlatformHTTP
from tanggap.connectors.platforms.base import DM_THREAD, SendContext, SendPlan, permanent
from tanggap.connectors.platforms.facebook.client import messenger_window


def _api(channel) -> str:
    return "instagram" if (channel.options or {}).get("api") == "instagram" else "graph"


def plan(ctx: SendContext) -> SendPlan:
    api = _api(ctx.channel)
    if ctx.thread_id.startswith("media:"):
        if ctx.reply_to_id.startswith("mention:"):
            raise permanent("no_target", "a mention elsewhere cannot be answered from the desk "
                            "yet; answer it on Instagram")
        return SendPlan("comment_reply", ctx.reply_to_id, api, "POST",
                        f"/{ctx.reply_to_id}/replies", json={"message": ctx.text})
    if ctx.thread_id == DM_THREAD:
        body = {"recipient": {"id": ctx.recipient_id}, "message": {"text": ctx.text},
                **messenger_window(ctx)}
        # /me resolves to the Page (Page token) or the IG user (Instagram token).
        return SendPlan("direct", ctx.recipient_id, api, "POST", "/me/messages", json=body)
    raise permanent("no_target", f"cannot tell how to answer thread {ctx.thread_id!r}")


def sent_id(operation: str, data: dict) -> str:
    return str(data.get("message_id") if operation == "direct" else data.get("id"))


def find_existing(http: PlatformHTTP, *, channel, token: str, operation: str, target_id: str,
                  text: str, not_before=None) -> str | None:
    if operation != "comment_reply":
        return None
    response = http.request(_api(channel), "GET", f"/{target_id}/replies", token=token,
                            params={"fields": "id,text,from,username"})
    username = (channel.options or {}).get("username", "")
    for reply in (response.data or {}).get("data") or []:
        author = reply.get("from") or {}
        ours = str(author.get("id")) == channel.handle or (
            username and reply.get("username") == username)
        if ours and (reply.get("text") or "").strip() == text.strip():
            return str(reply["id"])
    return None


def hide_comment(http: PlatformHTTP, *, channel, token: str, comment_id: str,
                 hidden: bool) -> None:
    http.request(_api(channel), "POST", f"/{comment_id}", token=token,
                 params={"hide": "true" if hidden else "false"})
