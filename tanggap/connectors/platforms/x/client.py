"""Sending on X: a public reply with `reply.in_reply_to_tweet_id`, or a Direct Message into the
citizen's DM conversation; and reading the account.

Each call costs the city money (docs/platforms.md): a reply is a content create; looking for our
earlier reply reads our own timeline (an owned read, the cheapest) rather than search.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tanggap.connectors.http import PlatformHTTP
from tanggap.connectors.platforms.base import (
    NotProven,
    ProvenAccount,
    SendContext,
    SendPlan,
    permanent,
)
from tanggap.connectors.platforms.x.inbound import parse_time
from tanggap.connectors.platforms.x.tokens import XAuth

DM_PREFIX = "dm:"
# Looking for our earlier DM reads the conversation's newest events, each billed as a DM event
# read; a lost answer is found within seconds, so a few events are enough.
RECONCILE_DM_EVENTS = 10
# Our clock and X's may differ; an earlier DM of ours is searched from a little before the send.
CLOCK_SKEW = timedelta(minutes=5)


def plan(ctx: SendContext) -> SendPlan:
    if ctx.thread_id.startswith(DM_PREFIX):
        conversation = ctx.thread_id.removeprefix(DM_PREFIX)
        if not conversation:
            raise permanent("no_target", "no X DM conversation in this case")
        return SendPlan("direct", conversation, "x", "POST",
                        f"/2/dm_conversations/{conversation}/messages", json={"text": ctx.text})
    if not ctx.reply_to_id:
        raise permanent("no_target", "no post to answer in this case")
    return SendPlan("reply", ctx.reply_to_id, "x", "POST", "/2/tweets",
                    json={"text": ctx.text, "reply": {"in_reply_to_tweet_id": ctx.reply_to_id}})


def auth(http: PlatformHTTP, *, channel, now: datetime) -> XAuth:
    """The token source delivery uses for this channel: X user tokens expire after 2 hours."""
    return XAuth(http, channel=channel, now=now)


def sent_id(operation: str, data: dict) -> str:
    body = data.get("data") or {}
    return str(body.get("dm_event_id") if operation == "direct" else body.get("id"))


def user_id(http: PlatformHTTP, *, channel, token: str) -> str:
    """The numeric id of the account: proven when the channel was connected (account_id), or
    for a channel connected before that, looked up once and cached in its options."""
    known = channel.account_id or (channel.options or {}).get("x_user_id")
    if known:
        return str(known)
    response = http.request("x", "GET", "/2/users/me", token=token)
    found = str(((response.data or {}).get("data") or {}).get("id") or "")
    if not found:
        raise permanent("x_user_unknown", "X did not say which account this token belongs to")
    # A cache of a fact the platform owns, not a desk decision: no audit event.
    options = {**(channel.options or {}), "x_user_id": found}
    type(channel).objects.filter(pk=channel.pk).update(options=options)
    channel.options = options
    return found


def find_existing(http: PlatformHTTP, *, channel, token: str, operation: str, target_id: str,
                  text: str, not_before: datetime | None = None) -> str | None:
    me = user_id(http, channel=channel, token=token)
    if operation == "direct":
        return _find_dm(http, token=token, me=me, conversation=target_id, text=text,
                        not_before=not_before)
    response = http.request("x", "GET", f"/2/users/{me}/tweets", token=token,
                            params={"max_results": 20, "tweet.fields": "referenced_tweets"})
    for tweet in (response.data or {}).get("data") or []:
        for ref in tweet.get("referenced_tweets") or []:
            if ref.get("type") == "replied_to" and str(ref.get("id")) == target_id:
                return str(tweet["id"])
    return None


def _find_dm(http: PlatformHTTP, *, token: str, me: str, conversation: str, text: str,
             not_before: datetime | None) -> str | None:
    """Our DM with this text in the conversation, sent since our first attempt. The time bound
    keeps a stock answer sent by hand last week from passing for this one."""
    response = http.request("x", "GET", f"/2/dm_conversations/{conversation}/dm_events",
                            token=token, params={
                                "max_results": RECONCILE_DM_EVENTS,
                                "dm_event.fields": "id,event_type,text,sender_id,created_at"})
    for event in (response.data or {}).get("data") or []:
        if str(event.get("sender_id")) != me or (event.get("text") or "").strip() != text.strip():
            continue
        created = parse_time(event.get("created_at"))
        if not_before is not None and (created is None or created < not_before - CLOCK_SKEW):
            continue
        return str(event["id"])
    return None


def prove(http: PlatformHTTP, *, handle: str, token: str, account_id: str = "",
          options: dict | None = None) -> ProvenAccount:
    """`GET /2/users/me` names the account the user token belongs to: its `id` must be the
    channel's stored user id (a new token) or, for a new channel, its `username` the handle
    typed (with or without @). The id is what makes the account unique in the desk."""
    data = (http.request("x", "GET", "/2/users/me", token=token).data or {}).get("data") or {}
    found, username = str(data.get("id") or ""), str(data.get("username") or "")
    matches = found == account_id if account_id else (
        username.lower() == handle.removeprefix("@").lower())
    if not found or not matches:
        raise NotProven("the token belongs to another X account")
    return ProvenAccount(found, username or handle, name=f"@{username}" if username else "",
                         options={"x_user_id": found})
