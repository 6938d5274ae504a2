"""The Instagram adapter: comments, mentions and Direct messages of a professional account.

Sender, CommentModerator, WebhookParser (`object: "instagram"`); see platforms.capabilities.
The words of a mention are fetched by connectors.mentions (Instagram's alone).
"""

from __future__ import annotations

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.instagram import client, inbound


class InstagramAdapter:
    platform = Platform.INSTAGRAM
    webhook_object = "instagram"

    plan = staticmethod(client.plan)
    sent_id = staticmethod(client.sent_id)
    find_existing = staticmethod(client.find_existing)
    prove = staticmethod(client.prove)
    hide_comment = staticmethod(client.hide_comment)
    parse_entry = staticmethod(inbound.parse_entry)

    @staticmethod
    def can_look(operation: str) -> bool:
        # mention_reply: find_existing raises base.unverifiable (no documented way to look).
        return operation in {"comment_reply", "direct", "mention_caption_reply"}
