"""Calls for an Instagram professional account: a reply under a comment, a Direct message, and
reading the words of a mention (the webhook carries only ids).

Facebook-Login accounts (the default) go through graph.facebook.com with a Page token;
accounts with the option {"api": "instagram"} go through graph.instagram.com with an Instagram
User token. Windows as for Messenger (platforms.messenger.messenger_window); after a lost
Direct answer, our message is looked for as for Messenger (platforms.messenger.find_dm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tanggap.connectors.http import PlatformHTTP, TransportError
from tanggap.connectors.platforms.base import (
    DM_THREAD,
    NotProven,
    ProvenAccount,
    SendContext,
    SendPlan,
    permanent,
    unverifiable,
)
from tanggap.connectors.platforms.instagram.inbound import mention_ids
from tanggap.connectors.platforms.messenger import find_dm, messenger_window


def _api(channel) -> str:
    return "instagram" if (channel.options or {}).get("api") == "instagram" else "graph"


def plan(ctx: SendContext) -> SendPlan:
    api = _api(ctx.channel)
    if ctx.thread_id.startswith("media:"):
        if ctx.reply_to_id.startswith("mention:"):
            return _mention_plan(ctx, api)
        return SendPlan("comment_reply", ctx.reply_to_id, api, "POST",
                        f"/{ctx.reply_to_id}/replies", json={"message": ctx.text})
    if ctx.thread_id == DM_THREAD:
        body = {"recipient": {"id": ctx.recipient_id}, "message": {"text": ctx.text},
                **messenger_window(ctx)}
        # /me resolves to the Page (Page token) or the IG user (Instagram token).
        return SendPlan("direct", ctx.recipient_id, api, "POST", "/me/messages", json=body)
    raise permanent("no_target", f"cannot tell how to answer thread {ctx.thread_id!r}")


def _mention_plan(ctx: SendContext, api: str) -> SendPlan:
    """A mention on someone else's media is answered through our own IG User node, POST
    /{ig-user-id}/mentions (IG User Mentions reference): with media_id and comment_id the answer
    is a reply under the comment; with media_id alone, a comment on the captioned media. The
    reference names them query parameters; like our other Graph posts they go as a JSON body."""
    ids = mention_ids(ctx.reply_to_id, ctx.thread_id)
    if ids is None:
        raise permanent("no_target", f"cannot tell which mention {ctx.reply_to_id!r} is")
    comment_id, media_id = ids
    path = f"/{ctx.channel.handle}/mentions"
    if comment_id:
        return SendPlan("mention_reply", comment_id, api, "POST", path, json={
            "media_id": media_id, "comment_id": comment_id, "message": ctx.text})
    return SendPlan("mention_caption_reply", media_id, api, "POST", path,
                    json={"media_id": media_id, "message": ctx.text})


def sent_id(operation: str, data: dict) -> str:
    return str(data.get("message_id") if operation == "direct" else data.get("id"))


def find_existing(http: PlatformHTTP, *, channel, token: str, operation: str, target_id: str,
                  text: str, not_before: datetime | None = None) -> str | None:
    if operation == "direct":
        # /me is the Page for a Page token (Facebook Login: the guide's /PAGE-ID/conversations
        # with platform=instagram; the Page id is not stored, the IG account id is) and the
        # account for an Instagram token (the Instagram-Login guide's /me/conversations). Our
        # messages come `from` the IG account id, which is the channel's handle.
        return find_dm(http, api=_api(channel), path="/me/conversations", platform="instagram",
                       token=token, user_id=target_id, account_id=channel.handle, text=text,
                       not_before=not_before)
    if operation == "mention_caption_reply":
        return _find_caption_mention_reply(http, channel=channel, token=token,
                                           media_id=target_id, text=text)
    if operation == "mention_reply":
        # mentioned_comment lists no replies, and reading replies of a comment on media we do
        # not own is not documented: we cannot look, so we must not post again blind.
        raise unverifiable("Instagram offers no documented way to find our earlier reply to "
                           "a comment that mentions the account")
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


def _find_caption_mention_reply(http: PlatformHTTP, *, channel, token: str, media_id: str,
                                text: str) -> str | None:
    """Our comment on a media whose caption mentions us, if the first page of its comments has
    it. `comments` is a listed field of mentioned_media and `username` one of IG Comment; that
    our own comment comes back in that page is unconfirmed. Our username is asked in the same
    call (a field of the IG User node), so no option has to hold it."""
    response = http.request(_api(channel), "GET", f"/{channel.handle}", token=token, params={
        "fields": f"username,mentioned_media.media_id({media_id}){{comments{{id,text,username}}}}"})
    data = response.data or {}
    ours = data.get("username")
    comments = ((data.get("mentioned_media") or {}).get("comments") or {}).get("data") or []
    for comment in comments:
        if ours and comment.get("username") == ours and \
                (comment.get("text") or "").strip() == text.strip():
            return str(comment["id"])
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


def prove(http: PlatformHTTP, *, handle: str, token: str, account_id: str = "",
          options: dict | None = None) -> ProvenAccount:
    """Which Instagram professional account the token controls, for both login kinds:
    Facebook Login (a Page token): `GET graph.facebook.com/me?fields=id,name,
    instagram_business_account{id,username}`, the IG account linked to the token's Page
    (Page reference, field `instagram_business_account`); Instagram Login (an Instagram User
    token): `GET graph.instagram.com/me?fields=user_id,username`, whose `user_id` is the
    professional account id the webhooks carry (Instagram Login "Get started"). The kind the
    channel says it uses is tried first; a token the first host refuses is tried on the other,
    and the kind that answered is saved in the channel's options."""
    order = ["instagram", "graph"] if (options or {}).get("api") == "instagram" \
        else ["graph", "instagram"]
    refused = []
    for api in order:
        try:
            if api == "graph":
                data = http.request("graph", "GET", "/me", token=token, params={
                    "fields": "id,name,instagram_business_account{id,username}"}).data or {}
                account = data.get("instagram_business_account") or {}
                found, username = str(account.get("id") or ""), account.get("username")
            else:
                data = http.request("instagram", "GET", "/me", token=token, params={
                    "fields": "user_id,username"}).data or {}
                found, username = str(data.get("user_id") or ""), data.get("username")
        except TransportError as exc:
            if not exc.permanent:
                raise
            refused.append(exc.message)
            continue
        if found != handle:
            raise NotProven("the token belongs to another Instagram account (or to a Page "
                            "without this linked Instagram account)")
        return ProvenAccount(handle, handle, name=f"@{username}" if username else "",
                             options={"api": "instagram" if api == "instagram" else None})
    raise NotProven("; ".join(refused))
