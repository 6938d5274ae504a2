"""Calls for an Instagram professional account: a reply under a comment, a Direct message, and
reading the words of a mention (the webhook carries only ids).

Facebook-Login accounts (the default) go through graph.facebook.com with a Page token;
accounts with the option {"api": "instagram"} go through graph.instagram.com with an Instagram
User token. Windows as for Messenger (connectors.platforms.facebook.client.messenger_window).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class MentionText:
    text: str
    author_name: str  # the media owner's username for a caption; "" for a comment (not offered)
    source: str  # the IG User field it came from: mentioned_comment or mentioned_media


def fetch_mention(http: PlatformHTTP, *, channel, token: str, comment_id: str,
                  media_id: str) -> MentionText:
    """The words of a mention, through the field expansions on our own IG User node
    (developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/
    mentioned_comment and .../mentioned_media):
    `mentioned_comment.comment_id(<id>){...}` for a comment, `mentioned_media.media_id(<id>)
    {...}` for a caption. Only fields the reference lists are asked for: an unknown field fails
    the whole call. The reference offers no author for a comment, only the media's `username`.
    Raises TransportError; permanent when there is nothing to read.
    """
    if comment_id:
        source = "mentioned_comment"
        fields = f"mentioned_comment.comment_id({comment_id}){{id,text}}"
    else:
        source = "mentioned_media"
        fields = f"mentioned_media.media_id({media_id}){{id,caption,username}}"
    response = http.request(_api(channel), "GET", f"/{channel.handle}", token=token,
                            params={"fields": fields})
    found = (response.data or {}).get(source) or {}
    text = str(found.get("text" if comment_id else "caption") or "").strip()
    if not text:
        raise permanent("no_text", f"{source} answered without text")
    return MentionText(text=text, author_name=str(found.get("username") or ""), source=source)
