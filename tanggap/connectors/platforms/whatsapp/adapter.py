"""The WhatsApp Cloud API adapter.

Sender, WebhookParser (`object: "whatsapp_business_account"`); see platforms.capabilities.
WhatsApp has no public comments to hide.
"""

from __future__ import annotations

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.whatsapp import client, inbound


class WhatsAppAdapter:
    platform = Platform.WHATSAPP
    webhook_object = "whatsapp_business_account"

    plan = staticmethod(client.plan)
    sent_id = staticmethod(client.sent_id)
    find_existing = staticmethod(client.find_existing)
    prove = staticmethod(client.prove)
    parse_entry = staticmethod(inbound.parse_entry)

    @staticmethod
    def can_look(operation: str) -> bool:
        # No endpoint lists sent messages: only a status webhook (our key in
        # biz_opaque_callback_data) tells that one went out.
        return False
