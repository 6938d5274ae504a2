"""Polling X for mentions of the city's account (X's webhooks are enterprise-priced).

One poll = fetch every page since the cursor, then ONE transaction that stores the messages and
moves `since_id`. A crash before that commit stores nothing and moves nothing, so the next poll
fetches the same posts again; ingest_inbound stores each post id once. Nothing lost, nothing
doubled. Rate-limit headers of every answer are kept on the cursor for admins, and a poll while
the window is exhausted is skipped without a call (each call costs the city money).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from tanggap.cases.actions import ingest_inbound
from tanggap.connectors.crypto import decrypt_secret
from tanggap.connectors.http import PlatformHTTP, TransportError
from tanggap.connectors.models import ChannelAccount, Platform, PollCursor
from tanggap.connectors.platforms.x import client as x_client
from tanggap.connectors.platforms.x.inbound import newest_id, parse_mentions

MENTION_PARAMS = {
    "max_results": 100,
    "tweet.fields": "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "username,name",
}
# A first poll without a cursor reads one page only: backfilling the 800 most recent mentions
# would cost money for complaints long answered elsewhere.
MAX_PAGES = 8


@dataclass(frozen=True)
class PollResult:
    status: str  # "ok", "rate_limited", "error", "no_credentials"
    stored: int = 0
    read: int = 0
    since_id: str = ""
    error: str = ""


def _rate_fields(headers: dict) -> dict:
    out = {}
    for header, name in (("x-rate-limit-limit", "rate_limit"),
                         ("x-rate-limit-remaining", "rate_remaining")):
        if str(headers.get(header, "")).isdigit():
            out[name] = int(headers[header])
    if str(headers.get("x-rate-limit-reset", "")).isdigit():
        out["rate_reset_at"] = datetime.fromtimestamp(int(headers["x-rate-limit-reset"]), tz=UTC)
    return out


def poll_x_mentions(*, channel_id: int, now: datetime, http: PlatformHTTP | None = None,
                    store=ingest_inbound) -> PollResult:
    channel = ChannelAccount.objects.get(pk=channel_id, platform=Platform.X)
    cursor, _ = PollCursor.objects.get_or_create(channel=channel)
    if cursor.rate_remaining == 0 and cursor.rate_reset_at and cursor.rate_reset_at > now:
        return PollResult("rate_limited", since_id=cursor.since_id)
    if not channel.has_credentials:
        return PollResult("no_credentials", error="the X account has no access token")
    token = decrypt_secret(channel.credentials_encrypted)
    own = http is None
    http = http or PlatformHTTP()
    pages: list[dict] = []
    rate: dict = {}
    calls = 0
    try:
        user_id = x_client.user_id(http, channel=channel, token=token)
        params = dict(MENTION_PARAMS)
        if cursor.since_id:
            params["since_id"] = cursor.since_id
        for _page in range(MAX_PAGES if cursor.since_id else 1):
            response = http.request("x", "GET", f"/2/users/{user_id}/mentions", token=token,
                                    params=params)
            calls += 1
            rate = _rate_fields(response.headers) or rate
            pages.append(response.data or {})
            next_token = ((response.data or {}).get("meta") or {}).get("next_token")
            if not next_token:
                break
            params["pagination_token"] = next_token
    except TransportError as exc:
        calls += 1
        PollCursor.objects.filter(pk=cursor.pk).update(
            last_polled_at=now, last_error=exc.message[:500], calls_made=cursor.calls_made + calls,
            **_rate_fields(exc.headers))
        return PollResult("rate_limited" if exc.status == 429 else "error", error=exc.message)
    finally:
        if own:
            http.close()

    messages = [m for page in pages for m in parse_mentions(channel.handle, user_id, page)]
    read = sum(len(page.get("data") or []) for page in pages)
    with transaction.atomic():
        cursor = PollCursor.objects.select_for_update().get(pk=cursor.pk)
        stored = 0
        # Oldest first, so cases open in the order citizens wrote.
        for message in sorted(messages, key=lambda m: int(m.external_id)):
            result = store(
                channel=channel, external_id=message.external_id, author_id=message.author_id,
                author_name=message.author_name, text=message.text, thread_id=message.thread_id,
                platform_created_at=message.created_at, now=now)
            stored += int(result.created)
        newest = newest_id([m.external_id for m in messages] + (
            [cursor.since_id] if cursor.since_id else []))
        # The cursor is a position in the platform's stream, not a desk decision: no audit
        # event (the stored messages have theirs).
        cursor.since_id = newest
        cursor.last_polled_at = now
        cursor.last_error = ""
        cursor.calls_made += calls
        cursor.posts_read += read
        for name, value in rate.items():
            setattr(cursor, name, value)
        cursor.save()
    return PollResult("ok", stored=stored, read=read, since_id=newest)


def x_channels():
    return ChannelAccount.objects.filter(platform=Platform.X, is_active=True, simulated=False)


def poll_interval() -> int:
    return settings.X_POLL_INTERVAL_SECONDS
