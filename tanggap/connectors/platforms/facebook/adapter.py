"""The Facebook Page adapter: comments under the Page's posts and Messenger.

Sender, CommentModerator, WebhookParser (`object: "page"`); see platforms.capabilities.
"""

from __future__ import annotations

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.facebook import client, inbound


class FacebookAdapter:
    platform = Platform.FACEBOOK
    webhook_object = "page"

    plan = staticmethod(client.plan)
    sent_id = staticmethod(client.sent_id)
    find_existing = staticmethod(client.find_existing)
    prove = staticmethod(client.prove)
    hide_comment = staticmethod(client.hide_comment)
    parse_entry = staticmethod(inbound.parse_entry)

    @staticmethod
    def can_look(operation: str) -> bool:
        return operation in {"comment_reply", "messenger"}
