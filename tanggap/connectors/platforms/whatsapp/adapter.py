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
    parse_entry = staticmethod(inbound.parse_entry)
