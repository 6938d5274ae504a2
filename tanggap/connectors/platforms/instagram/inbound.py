"""Instagram webhooks (`object: "instagram"`): comments, mentions and Direct messages."""

from __future__ import annotations

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.base import InboundMessage, Skipped, media_thread
from tanggap.connectors.platforms.meta import changes, parse_messaging

PLATFORM = Platform.INSTAGRAM


def parse_comment(account_id: str, value: dict) -> InboundMessage | Skipped:
    # The reference names the id `id`; one Facebook-Login example names it `comment_id`.
    comment_id = str(value.get("id") or value.get("comment_id") or "")
    author = value.get("from") or {}
    if not comment_id:
        return Skipped(PLATFORM, account_id, "comment without an id")
    if str(author.get("id", "")) == account_id or author.get("self_ig_scoped_id"):
        return Skipped(PLATFORM, account_id, "comment by the account itself")
    media = value.get("media") or {}
    return InboundMessage(
        platform=PLATFORM, account_id=account_id, external_id=comment_id,
        author_id=str(author.get("id", "")), author_name=str(author.get("username", "")),
        text=str(value.get("text") or "[komentar]"),
        thread_id=media_thread(str(media.get("id", ""))),
    )


def parse_mention(account_id: str, value: dict) -> InboundMessage | Skipped:
    # A mention carries no text and no author, only ids: the desk shows where to look. The
    # text can be fetched with the mentioned_comment field (not done yet, see docs/platforms.md).
    comment_id = str(value.get("comment_id") or "")
    media_id = str(value.get("media_id") or "")
    if not media_id:
        return Skipped(PLATFORM, account_id, "mention without a media id")
    return InboundMessage(
        platform=PLATFORM, account_id=account_id,
        external_id=f"mention:{comment_id or media_id}",
        author_id=f"mention:{media_id}", author_name="",
        text=f"[disebut dalam {'komentar ' + comment_id if comment_id else 'postingan'} "
             f"pada media {media_id}]",
        thread_id=media_thread(media_id),
    )


def parse_entry(entry: dict) -> list:
    account_id = str(entry.get("id", ""))
    events: list = []
    for change in changes(entry):
        field, value = change.get("field"), change.get("value")
        if not isinstance(value, dict):
            events.append(Skipped(PLATFORM, account_id, f"field {field!r} without a value"))
        elif field in ("comments", "live_comments"):
            events.append(parse_comment(account_id, value))
        elif field == "mentions":
            events.append(parse_mention(account_id, value))
        else:
            events.append(Skipped(PLATFORM, account_id, f"field {field!r}"))
    events.extend(parse_messaging(PLATFORM, entry))
    return events
