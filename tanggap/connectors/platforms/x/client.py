"""Sending on X: a public reply with `reply.in_reply_to_tweet_id`, and reading the account.

Each call costs the city money (docs/platforms.md): a reply is a content create; looking for our
earlier reply reads our own timeline (an owned read, the cheapest) rather than search.
"""

from __future__ import annotations

from tanggap.connectors.http import PlatformHTTP
from tanggap.connectors.platforms.base import SendContext, SendPlan, permanent


def plan(ctx: SendContext) -> SendPlan:
    if not ctx.reply_to_id:
        raise permanent("no_target", "no post to answer in this case")
    return SendPlan("reply", ctx.reply_to_id, "x", "POST", "/2/tweets",
                    json={"text": ctx.text, "reply": {"in_reply_to_tweet_id": ctx.reply_to_id}})


def sent_id(operation: str, data: dict) -> str:
    return str((data.get("data") or {}).get("id"))


def user_id(http: PlatformHTTP, *, channel, token: str) -> str:
    """The numeric id of the account, cached in the channel's options once known."""
    known = (channel.options or {}).get("x_user_id")
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
                  text: str) -> str | None:
    me = user_id(http, channel=channel, token=token)
    response = http.request("x", "GET", f"/2/users/{me}/tweets", token=token,
                            params={"max_results": 20, "tweet.fields": "referenced_tweets"})
    for tweet in (response.data or {}).get("data") or []:
        for ref in tweet.get("referenced_tweets") or []:
            if ref.get("type") == "replied_to" and str(ref.get("id")) == target_id:
                return str(tweet["id"])
    return None
