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


def mention_placeholder(*, comment_id: str, media_id: str) -> str:
    """What the desk shows for a mention until its words are fetched (connectors.mentions)."""
    where = f"komentar {comment_id}" if comment_id else "postingan"
    return f"[disebut dalam {where} pada media {media_id}]"


def mention_ids(external_id: str, thread_id: str) -> tuple[str, str] | None:
    """(comment_id, media_id) of a stored mention; comment_id is "" for a caption mention.

    A mention is stored as `mention:<comment id>` (in a comment) or `mention:<media id>` (in a
    caption) on the thread `media:<media id>`, so the two ids tell the kinds apart without a
    column of their own. None when the message is not a mention.
    """
    if not external_id.startswith("mention:") or not thread_id.startswith("media:"):
        return None
    mentioned, media_id = external_id[len("mention:"):], thread_id[len("media:"):]
    if not mentioned or not media_id:
        return None
    return ("" if mentioned == media_id else mentioned), media_id


def parse_mention(account_id: str, value: dict) -> InboundMessage | Skipped:
    # A mention carries no text and no author, only ids [IG-WH]: it is stored with a
    # placeholder, and connectors.mentions fetches the words afterwards, outside the drain's
    # transaction (a platform call must never hold the intake's locks).
    comment_id = str(value.get("comment_id") or "")
    media_id = str(value.get("media_id") or "")
    if not media_id:
        return Skipped(PLATFORM, account_id, "mention without a media id")
    return InboundMessage(
        platform=PLATFORM, account_id=account_id,
        external_id=f"mention:{comment_id or media_id}",
        author_id=f"mention:{media_id}", author_name="",
        text=mention_placeholder(comment_id=comment_id, media_id=media_id),
        thread_id=media_thread(media_id), text_pending=True,
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
