"""Sending on WhatsApp Cloud API: text inside the customer service window, an approved template
outside it.

Outside WHATSAPP_WINDOW_HOURS only a template may go. The channel option
{"whatsapp_reply_template": {"name": "...", "language": "id"}} names an approved template whose
body has exactly one parameter, filled with the operator's reply; without one the send is
refused with a clear error instead of being tried and failing with 131047.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from tanggap.connectors.http import PlatformHTTP
from tanggap.connectors.platforms.base import SendContext, SendPlan, permanent, within


def plan(ctx: SendContext) -> SendPlan:
    body = {"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": ctx.recipient_id,
            # Echoed in every status webhook of this message: our key, to reconcile.
            "biz_opaque_callback_data": ctx.key}
    path = f"/{ctx.channel.handle}/messages"
    if within(ctx, timedelta(hours=settings.WHATSAPP_WINDOW_HOURS)):
        body.update({"type": "text", "text": {"body": ctx.text, "preview_url": False}})
        if ctx.reply_to_id:
            body["context"] = {"message_id": ctx.reply_to_id}
        return SendPlan("text", ctx.recipient_id, "graph", "POST", path, json=body)
    template = ctx.options.get("whatsapp_reply_template")
    if not isinstance(template, dict) or not template.get("name"):
        raise permanent("window_closed", (
            f"the citizen last wrote more than {settings.WHATSAPP_WINDOW_HOURS} hours ago, so "
            "WhatsApp accepts only an approved template, and this channel has none that fits "
            "(option whatsapp_reply_template: a template with one body parameter)"))
    body.update({"type": "template", "template": {
        "name": template["name"],
        "language": {"code": template.get("language") or "id"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": ctx.text}]}],
    }})
    return SendPlan("template", ctx.recipient_id, "graph", "POST", path, json=body)


def sent_id(operation: str, data: dict) -> str:
    messages = data.get("messages") or [{}]
    return str(messages[0].get("id"))


def find_existing(http: PlatformHTTP, *, channel, token: str, operation: str, target_id: str,
                  text: str, not_before=None) -> str | None:
    # There is no endpoint to list sent messages; the status webhook (with our key in
    # biz_opaque_callback_data) is the only confirmation, and it fills the record instead.
    return None
