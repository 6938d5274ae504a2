"""X API v2 mentions timeline answers turned into citizen messages (pure)."""

from __future__ import annotations

from datetime import datetime

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.base import InboundMessage, conversation_thread

PLATFORM = Platform.X


def _parse_time(value) -> datetime | None:
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
            created_at=_parse_time(tweet.get("created_at")),
        ))
    return out


def newest_id(ids: list[str]) -> str:
    """X ids are integers that grow with time; compare them as numbers, not strings."""
    return max(ids, key=int) if ids else ""
