"""Polling X for mentions of the city's account and its Direct Messages (X's webhooks are
enterprise-priced).

One poll = fetch every page since the cursor, then ONE transaction that stores the messages and
moves `since_id`. A crash before that commit stores nothing and moves nothing, so the next poll
fetches the same posts again; ingest_inbound stores each post id once. Nothing lost, nothing
doubled. Rate-limit headers of every answer are kept on the cursor for admins, and a poll while
the window is exhausted is skipped without a call (each call costs the city money).

Direct messages (GET /2/dm_events) take no since_id: events come newest first, so a poll walks
pages until it reaches the newest event id it stored before, then stores and moves that id in one
transaction, as above. A refusal (403: the tier or the token's scopes do not cover DMs) is noted
on the cursor and not asked again before X_DM_RECHECK_HOURS or a new token, rather than billed
and refused on every poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from tanggap.cases.actions import ingest_inbound
from tanggap.connectors.crypto import CredentialsUnreadable
from tanggap.connectors.http import PlatformHTTP, TransportError, given_or_own
from tanggap.connectors.models import ChannelAccount, Platform, PollCursor
from tanggap.connectors.platforms.x import client as x_client
from tanggap.connectors.platforms.x.inbound import newest_id, parse_dm_events, parse_mentions
from tanggap.connectors.platforms.x.tokens import XAuth

MENTION_PARAMS = {
    "max_results": 100,
    "tweet.fields": "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "username,name",
}
# A first poll without a cursor reads one page only: backfilling the 800 most recent mentions
# would cost money for complaints long answered elsewhere.
MAX_PAGES = 8

DM_PARAMS = {
    "max_results": 100,
    "event_types": "MessageCreate",
    "dm_event.fields": "id,event_type,text,sender_id,dm_conversation_id,created_at,attachments",
    "expansions": "sender_id",
    "user.fields": "username,name",
}
# DM lookups allow 15 calls per 15 minutes per user: a poll spends at most a third of that.
# More than 500 new DMs between two polls would leave the oldest unread (docs/platforms.md).
DM_MAX_PAGES = 5


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
    own = http is None
    http = http or PlatformHTTP()
    # Every call takes its token from `auth`: renewed before it expires and once after a 401.
    try:
        auth = XAuth(http, channel=channel, now=now)
    except CredentialsUnreadable as exc:
        if own:
            http.close()
        message = f"credentials_unreadable: {exc}; save the token again"[:500]
        PollCursor.objects.filter(pk=cursor.pk).update(last_polled_at=now, last_error=message)
        return PollResult("error", error=message)
    pages: list[dict] = []
    rate: dict = {}
    calls = 0
    try:
        user_id = auth.call(lambda t: x_client.user_id(http, channel=channel, token=t))
        params = dict(MENTION_PARAMS)
        if cursor.since_id:
            params["since_id"] = cursor.since_id
        for _page in range(MAX_PAGES if cursor.since_id else 1):
            response = auth.call(lambda t, p=dict(params): http.request(
                "x", "GET", f"/2/users/{user_id}/mentions", token=t, params=p))
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
        stored = _store_batch(channel, messages, now, store)
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


def _store_batch(channel, messages, now, store) -> int:
    stored = 0
    # Oldest first, so cases open in the order citizens wrote.
    for message in sorted(messages, key=lambda m: int(m.external_id.removeprefix("dm:"))):
        result = store(
            channel=channel, external_id=message.external_id, author_id=message.author_id,
            author_name=message.author_name, text=message.text, thread_id=message.thread_id,
            # A long post or DM the desk's limit cannot hold is kept shortened and marked.
            platform_created_at=message.created_at, now=now, truncate=True)
        stored += int(result.created)
    return stored


def _dm_rate_fields(headers: dict) -> dict:
    return {f"dm_{name}": value for name, value in _rate_fields(headers).items()}


def dm_polling_paused(cursor: PollCursor, now: datetime) -> bool:
    """Whether X refused DMs for this account recently enough that asking again is pointless."""
    recheck = timedelta(hours=settings.X_DM_RECHECK_HOURS)
    return cursor.dm_refused_at is not None and now - cursor.dm_refused_at < recheck


def poll_x_dms(*, channel_id: int, now: datetime, http: PlatformHTTP | None = None,
               store=ingest_inbound) -> PollResult:
    """Store the Direct Messages citizens sent the account since the last poll (idempotent)."""
    channel = ChannelAccount.objects.get(pk=channel_id, platform=Platform.X)
    cursor, _ = PollCursor.objects.get_or_create(channel=channel)
    if dm_polling_paused(cursor, now):
        return PollResult("refused", since_id=cursor.dm_newest_id, error=cursor.dm_error)
    if cursor.dm_rate_remaining == 0 and cursor.dm_rate_reset_at and \
            cursor.dm_rate_reset_at > now:
        return PollResult("rate_limited", since_id=cursor.dm_newest_id)
    if not channel.has_credentials:
        return PollResult("no_credentials", error="the X account has no access token")
    pages: list[dict] = []
    rate: dict = {}
    calls = 0
    with given_or_own(http) as client:
        # Every call takes its token from `auth`: renewed before it expires and once after a 401.
        try:
            auth = XAuth(client, channel=channel, now=now)
        except CredentialsUnreadable as exc:
            message = f"credentials_unreadable: {exc}; save the token again"[:500]
            PollCursor.objects.filter(pk=cursor.pk).update(dm_last_polled_at=now,
                                                           dm_error=message)
            return PollResult("error", error=message)
        try:
            user_id = auth.call(lambda t: x_client.user_id(client, channel=channel, token=t))
            params = dict(DM_PARAMS)
            for _page in range(DM_MAX_PAGES if cursor.dm_newest_id else 1):
                response = auth.call(lambda t, p=dict(params): client.request(
                    "x", "GET", "/2/dm_events", token=t, params=p))
                calls += 1
                rate = _dm_rate_fields(response.headers) or rate
                page = response.data or {}
                pages.append(page)
                ids = [int(e["id"]) for e in page.get("data") or []
                       if isinstance(e, dict) and str(e.get("id") or "").isdigit()]
                next_token = (page.get("meta") or {}).get("next_token")
                # Newest first: once a page reaches what we stored, older pages are known.
                reached = cursor.dm_newest_id and ids and min(ids) <= int(cursor.dm_newest_id)
                if not next_token or reached:
                    break
                params["pagination_token"] = next_token
        except TransportError as exc:
            calls += 1
            # 403 is X's answer for "not on your tier / not in your scopes / app not enrolled";
            # 401 (an expired token) stays an ordinary error: the mentions poll shows it too.
            refused = exc.permanent and exc.status == 403
            message = (f"dm_not_allowed: X refused Direct Messages for this account ({exc.message}"
                       "); check the access tier and the token's dm.read/dm.write scopes, then "
                       "replace the token" if refused else exc.message)[:500]
            PollCursor.objects.filter(pk=cursor.pk).update(
                dm_last_polled_at=now, dm_error=message, calls_made=F("calls_made") + calls,
                **({"dm_refused_at": now} if refused else {}), **_dm_rate_fields(exc.headers))
            status = "refused" if refused else ("rate_limited" if exc.status == 429 else "error")
            return PollResult(status, error=message)

    messages = [m for page in pages
                for m in parse_dm_events(channel.handle, user_id, page,
                                         after_id=cursor.dm_newest_id)]
    read = sum(len(page.get("data") or []) for page in pages)
    seen = [str(e["id"]) for page in pages for e in page.get("data") or []
            if isinstance(e, dict) and str(e.get("id") or "").isdigit()]
    with transaction.atomic():
        cursor = PollCursor.objects.select_for_update().get(pk=cursor.pk)
        stored = _store_batch(channel, messages, now, store)
        # Our own sends and joins move the cursor too: they are read and need no second look.
        newest = newest_id(seen + ([cursor.dm_newest_id] if cursor.dm_newest_id else []))
        cursor.dm_newest_id = newest
        cursor.dm_last_polled_at = now
        cursor.dm_error = ""
        cursor.dm_refused_at = None
        cursor.calls_made += calls
        cursor.dm_events_read += read
        for name, value in rate.items():
            setattr(cursor, name, value)
        cursor.save()
    return PollResult("ok", stored=stored, read=read, since_id=newest)


def poll_x_account(*, channel_id: int, now: datetime, http: PlatformHTTP | None = None
                   ) -> dict[str, PollResult]:
    """One poll of everything we read from an X account: mentions, then Direct Messages."""
    with given_or_own(http) as client:
        return {"mentions": poll_x_mentions(channel_id=channel_id, now=now, http=client),
                "dms": poll_x_dms(channel_id=channel_id, now=now, http=client)}


def x_channels():
    return ChannelAccount.objects.filter(platform=Platform.X, is_active=True, simulated=False)
