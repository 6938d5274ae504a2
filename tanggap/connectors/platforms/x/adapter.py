"""The X adapter: public replies and Direct Messages.

Sender, ExpiringTokens (X user tokens expire after 2 hours); see platforms.capabilities. X has
no webhooks we can afford: connectors.polling reads mentions and DMs.
"""

from __future__ import annotations

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.x import client


class XAdapter:
    platform = Platform.X

    plan = staticmethod(client.plan)
    sent_id = staticmethod(client.sent_id)
    find_existing = staticmethod(client.find_existing)
    prove = staticmethod(client.prove)
    auth = staticmethod(client.auth)

    @staticmethod
    def can_look(operation: str) -> bool:
        return operation in {"reply", "direct"}
