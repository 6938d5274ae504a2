"""X API v2 answers (mentions timeline, Direct Message events) turned into citizen messages
(pure)."""

from __future__ import annotations

from datetime import datetime

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.base import (
    InboundMessage,
    conversation_thread,
    dm_conversation_thread,
    placeholder_text,
)

PLATFORM = Platform.X


def parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_mentions(account_handle: str, our_user_id: str, page: dict) -> list[InboundMessage]:
    users = {str(u.get("id")): u for u in (page.get("includes") or {}).get("users") or []
             if isinstance(u, dict)}
    out = []
    for tweet in page.get("data") or []:
        if not isinstance(tweet, dict) or not tweet.get("id"):
            continue
        author_id = str(tweet.get("author_id", ""))
        if author_id == our_user_id:
            continue  # our own replies mention the citizen's thread, not a complaint
        user = users.get(author_id, {})
        name = user.get("name") or ""
        username = user.get("username") or ""
        out.append(InboundMessage(
            platform=PLATFORM, account_id=account_handle, external_id=str(tweet["id"]),
            author_id=author_id or "unknown",
            author_name=f"{name} (@{username})" if username else name,
            text=str(tweet.get("text") or "[post]"),
            thread_id=conversation_thread(str(tweet.get("conversation_id") or tweet["id"])),
            created_at=parse_time(tweet.get("created_at")),
        ))
    return out


def newest_id(ids: list[str]) -> str:
    """X ids are integers that grow with time; compare them as numbers, not strings."""
    return max(ids, key=int) if ids else ""


def parse_dm_events(account_handle: str, our_user_id: str, page: dict, *,
                    after_id: str = "") -> list[InboundMessage]:
    """Messages citizens sent us in one page of GET /2/dm_events, newer than `after_id`.

    Our own sends (from the desk or the X app) and joins/leaves of group conversations are not
    complaints. Each conversation is a thread, so a reply goes back into it.
    """
    users = {str(u.get("id")): u for u in (page.get("includes") or {}).get("users") or []
             if isinstance(u, dict)}
    out = []
    for event in page.get("data") or []:
        if not isinstance(event, dict) or not str(event.get("id") or "").isdigit():
            continue
        if event.get("event_type", "MessageCreate") != "MessageCreate":
            continue
        if after_id and int(event["id"]) <= int(after_id):
            continue
        sender = str(event.get("sender_id") or "")
        conversation = str(event.get("dm_conversation_id") or "")
        if not sender or not conversation or sender == our_user_id:
            continue
        user = users.get(sender, {})
        name = user.get("name") or ""
        username = user.get("username") or ""
        text = event.get("text") or placeholder_text("lampiran" if event.get("attachments")
                                                     else "pesan")
        out.append(InboundMessage(
            platform=PLATFORM, account_id=account_handle, external_id=f"dm:{event['id']}",
            author_id=sender, author_name=f"{name} (@{username})" if username else name,
            text=str(text), thread_id=dm_conversation_thread(conversation),
            created_at=parse_time(event.get("created_at")),
        ))
    return out
