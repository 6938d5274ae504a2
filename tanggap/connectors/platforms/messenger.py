"""What Messenger and Instagram Direct share when the desk answers: the messaging window (and
the Human Agent tag after it), and looking for a lost DM through the Conversations API.

Used by the Facebook and Instagram adapters, so that neither imports the other.
Endpoints and rules: docs/platforms.md.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings

from tanggap.connectors.http import PlatformHTTP, TransportError
from tanggap.connectors.platforms.base import (
    SendContext,
    from_unix,
    lookup_refused,
    permanent,
    within,
)

logger = logging.getLogger(__name__)

# How many of the conversation's newest messages we read after a lost answer. Meta returns
# details for a conversation's 20 most recent messages only (Conversations API); ours went out
# seconds before, so a few more than the citizen could write meanwhile are enough.
RECONCILE_MESSAGES = 10
# Meta's clock and ours may differ, and created_time has whole seconds. Kept short: a wider
# margin lets an identical answer sent to the same person shortly before pass for this one.
CLOCK_SKEW = timedelta(minutes=2)


def messenger_window(ctx: SendContext) -> dict:
    """messaging_type (and tag) for a Messenger or Instagram DM, or a permanent refusal."""
    if within(ctx, timedelta(hours=settings.MESSAGING_WINDOW_HOURS)):
        return {"messaging_type": "RESPONSE"}
    if ctx.options.get("human_agent") and within(
            ctx, timedelta(days=settings.HUMAN_AGENT_WINDOW_DAYS)):
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    if ctx.options.get("human_agent"):
        raise permanent("window_closed", (
            f"the citizen last wrote more than {settings.HUMAN_AGENT_WINDOW_DAYS} days ago; "
            "the platform accepts no reply until they write again"))
    raise permanent("window_closed", (
        f"the citizen last wrote more than {settings.MESSAGING_WINDOW_HOURS} hours ago; only "
        "the Human Agent tag could answer now, and this channel does not have it (option "
        "human_agent, granted by Meta App Review)"))


def find_dm(http: PlatformHTTP, *, api: str, path: str, platform: str, token: str,
            user_id: str, account_id: str, text: str,
            not_before: datetime | None) -> str | None:
    """The id of our message with this text among the newest messages of our conversation with
    `user_id` (PSID or IGSID), sent no earlier than our first attempt; None when absent.

    One call: the Conversations API finds the conversation with one person through
    `platform` + `user_id` on the conversations edge, and `messages` is a field of a
    conversation; its subfields (`from`, `message`, `created_time`) and the `.limit()` come
    from the Message reference and Graph API field expansion. One call rather than one per
    message, because the Conversations API allows 2 calls a second per account.

    A refused lookup (a 4xx: a token without the read permissions, no Advanced Access) raises
    `lookup_refused`: delivery then sends the DM again as it did before we could look (a private
    answer twice is better than none), but after the last attempt it cannot call the send failed
    on that ground (it is `unknown`). A lookup that may succeed later raises as it came, and
    delivery retries it rather than sending blind.
    """
    fields = f"messages.limit({RECONCILE_MESSAGES}){{id,created_time,from,message}}"
    try:
        response = http.request(api, "GET", path, token=token, params={
            "platform": platform, "user_id": user_id, "fields": fields})
    except TransportError as exc:
        if not exc.permanent:
            raise
        raise lookup_refused(exc) from None
    for conversation in (response.data or {}).get("data") or []:
        messages = ((conversation or {}).get("messages") or {}).get("data") or []
        # The answer lists the newest first; the slice keeps us within what we asked for even
        # if a page comes back longer.
        for message in messages[:RECONCILE_MESSAGES]:
            sender = message.get("from") or {}
            if str(sender.get("id")) != account_id or \
                    (message.get("message") or "").strip() != text.strip():
                continue
            created = _created_time(message.get("created_time"))
            # The time bound keeps the same stock answer sent by hand last week from passing
            # for this one.
            if not_before is not None and (created is None or created < not_before - CLOCK_SKEW):
                continue
            return str(message["id"])
    return None


def _created_time(value) -> datetime | None:
    """created_time as the Message reference shows it (`2022-07-12T19:11:07+0000`), or the Unix
    timestamp the Conversations guide's placeholders name."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return from_unix(value)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Graph answers in UTC; a time without an offset is read as UTC rather than compared naive.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
