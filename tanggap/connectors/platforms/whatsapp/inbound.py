"""WhatsApp Cloud API webhooks (`object: "whatsapp_business_account"`, field `messages`):
citizen messages, and statuses of ours. Routed by `metadata.phone_number_id`, not the WABA id."""

from __future__ import annotations

from tanggap.connectors.models import Platform
from tanggap.connectors.platforms.base import (
    InboundMessage,
    Skipped,
    StatusUpdate,
    from_unix,
    placeholder_text,
)
from tanggap.connectors.platforms.meta import changes

PLATFORM = Platform.WHATSAPP
# One conversation per number: WhatsApp has no threads.
THREAD = "wa"


def _text_and_attachments(message: dict) -> tuple[str, list]:
    kind = str(message.get("type") or "")
    if kind == "text":
        return str((message.get("text") or {}).get("body") or ""), []
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "location":
        where = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        text = f"[lokasi {body.get('latitude')},{body.get('longitude')}] {where}".strip()
        return text, [{"type": "location", "latitude": body.get("latitude"),
                       "longitude": body.get("longitude")}]
    if kind in ("image", "video", "audio", "document", "sticker"):
        # Media come as ids to fetch with the token later, never as public URLs.
        return str(body.get("caption") or placeholder_text(kind)), [
            {"type": kind, "media_id": str(body.get("id", "")),
             "mime_type": body.get("mime_type", "")}]
    if kind == "button":
        return str((message.get("button") or {}).get("text") or placeholder_text(kind)), []
    return placeholder_text(kind), []


def parse_value(value: dict) -> list:
    phone_number_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
    names = {str(c.get("wa_id")): str((c.get("profile") or {}).get("name", ""))
             for c in value.get("contacts") or [] if isinstance(c, dict)}
    events: list = []
    for message in value.get("messages") or []:
        if not isinstance(message, dict) or not message.get("id"):
            continue
        text, attachments = _text_and_attachments(message)
        sender = str(message.get("from", ""))
        events.append(InboundMessage(
            platform=PLATFORM, account_id=phone_number_id, external_id=str(message["id"]),
            author_id=sender, author_name=names.get(sender, ""),
            text=text or placeholder_text(str(message.get("type") or "")), thread_id=THREAD,
            attachments=attachments, created_at=from_unix(message.get("timestamp")),
        ))
    for status in value.get("statuses") or []:
        if not isinstance(status, dict) or not status.get("id"):
            continue
        errors = status.get("errors") or []
        error = ""
        if errors and isinstance(errors[0], dict):
            first = errors[0]
            details = (first.get("error_data") or {}).get("details") or first.get("message")
            error = f"{first.get('code')}: {first.get('title', '')}" + (
                f" ({details})" if details else "")
        events.append(StatusUpdate(PLATFORM, phone_number_id, str(status["id"]),
                                   str(status.get("status", "")), error,
                                   str(status.get("biz_opaque_callback_data") or "")))
    return events


def parse_entry(entry: dict) -> list:
    events: list = []
    for change in changes(entry):
        value = change.get("value")
        if change.get("field") == "messages" and isinstance(value, dict):
            events.extend(parse_value(value))
        else:
            events.append(Skipped(PLATFORM, str(entry.get("id", "")),
                                  f"field {change.get('field')!r}"))
    return events
