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
from tanggap.connectors.platforms.base import (
    NotProven,
    ProvenAccount,
    SendContext,
    SendPlan,
    permanent,
    within,
)

# A token may serve several WhatsApp Business Accounts; a city has one or two.
MAX_WABAS = 10


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


def prove(http: PlatformHTTP, *, handle: str, token: str, account_id: str = "",
          options: dict | None = None) -> ProvenAccount:
    """The phone number is readable with the token (`GET /{phone-number-id}`, which needs
    access to the WhatsApp Business Account that owns it) and belongs to a WABA on which the
    token may send messages: `GET /debug_token?input_token=<token>` (the token inspecting
    itself) lists those WABAs in `granular_scopes` for `whatsapp_business_messaging`, and
    `GET /{waba-id}/phone_numbers` lists their numbers."""
    number = http.request("graph", "GET", f"/{handle}", token=token, params={
        "fields": "id,display_phone_number,verified_name"}).data or {}
    if str(number.get("id") or "") != handle:
        raise NotProven("the token cannot read this phone number")
    debug = (http.request("graph", "GET", "/debug_token", token=token,
                          params={"input_token": token}).data or {}).get("data") or {}
    wabas = [str(target) for scope in debug.get("granular_scopes") or []
             if isinstance(scope, dict) and scope.get("scope") == "whatsapp_business_messaging"
             for target in scope.get("target_ids") or []]
    for waba in wabas[:MAX_WABAS]:
        listed = http.request("graph", "GET", f"/{waba}/phone_numbers", token=token,
                              params={"fields": "id", "limit": 100}).data or {}
        if handle in {str(n.get("id")) for n in listed.get("data") or [] if isinstance(n, dict)}:
            return ProvenAccount(handle, handle, name=str(
                number.get("verified_name") or number.get("display_phone_number") or ""))
    raise NotProven("the token may not send WhatsApp messages (whatsapp_business_messaging) for "
                    "the business account of this phone number")
