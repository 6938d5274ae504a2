"""Facebook Page webhooks (`object: "page"`): comments from `feed`, Messenger from `messaging`."""

from __future__ import annotations

import logging

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.base import (
    InboundMessage,
    Skipped,
    from_unix,
    placeholder_text,
    post_thread,
)
from tanggap.connectors.platforms.meta import changes, parse_messaging

logger = logging.getLogger(__name__)

PLATFORM = Platform.FACEBOOK


def parse_comment(page_id: str, value: dict) -> InboundMessage | Skipped:
    if value.get("item") != "comment":
        return Skipped(PLATFORM, page_id, f"feed item {value.get('item')!r}")
    verb = value.get("verb")
    if verb != "add":
        # Edits, hides and removals have no event id of their own and would not change the
        # stored citizen message; the verb list is only partly documented, so log what we see.
        logger.info("facebook feed comment verb %r not stored", verb)
        return Skipped(PLATFORM, page_id, f"comment verb {verb!r}")
    author = value.get("from") or {}
    if str(author.get("id", "")) == page_id:
        # Our own replies come back through `feed` too.
        return Skipped(PLATFORM, page_id, "comment by the Page itself")
    attachments = [{"type": "photo", "url": value["photo"]}] if value.get("photo") else []
    return InboundMessage(
        platform=PLATFORM, account_id=page_id, external_id=str(value.get("comment_id", "")),
        author_id=str(author.get("id", "")), author_name=str(author.get("name", "")),
        text=str(value.get("message") or placeholder_text("foto" if attachments else "")),
        thread_id=post_thread(str(value.get("post_id", ""))), attachments=attachments,
        created_at=from_unix(value.get("created_time")),
    )


def parse_entry(entry: dict) -> list:
    page_id = str(entry.get("id", ""))
    events: list = []
    for change in changes(entry):
        value = change.get("value")
        if change.get("field") == "feed" and isinstance(value, dict):
            events.append(parse_comment(page_id, value))
        else:
            events.append(Skipped(PLATFORM, page_id, f"field {change.get('field')!r}"))
    events.extend(parse_messaging(PLATFORM, entry))
    return events
