"""What Facebook, Instagram and WhatsApp share: the webhook signature, the envelope, and the
Messenger-style `messaging[]` events (Messenger and Instagram Direct have the same shape).

Pure functions: bytes or dicts in, events out. The platforms import this module; it reaches them
only through the registry (each platform's adapter is a WebhookParser for its `object`).
Facts: docs/platforms.md and docs/platform-facts.md §1.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from tanggap.connectors.platforms import registry
from tanggap.connectors.platforms.base import (
    DM_THREAD,
    Echo,
    Event,
    InboundMessage,
    Skipped,
    from_unix,
    placeholder_text,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"


def sign(body: bytes, secret: str) -> str:
    """The header value Meta sends: sha256= and the lowercase hex HMAC of the raw bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secrets: list[str]) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    # Client libraries all send lowercase hex; accept either case rather than reject a
    # genuine delivery on an encoding detail Meta's text does not pin down.
    given = header[len("sha256="):].strip().lower()
    return any(
        hmac.compare_digest(sign(body, secret)[len("sha256="):], given)
        for secret in secrets if secret
    )


def entries(payload: Any) -> list[dict]:
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValueError("not a Meta webhook envelope (no entry list)")
    return [entry for entry in payload["entry"] if isinstance(entry, dict)]


def changes(entry: dict) -> list[dict]:
    """`changes[]`, or the Instagram-Login shape with field/value straight on the entry."""
    found = [c for c in entry.get("changes") or [] if isinstance(c, dict)]
    if not found and "field" in entry and "value" in entry:
        found = [{"field": entry["field"], "value": entry["value"]}]
    return found


def _attachments(message: dict) -> list[dict]:
    out = []
    for item in message.get("attachments") or []:
        if isinstance(item, dict):
            payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
            out.append({"type": str(item.get("type") or "file"), "url": payload.get("url", "")})
    return out


def parse_messaging(platform: str, entry: dict) -> list:
    """Messenger / Instagram Direct events of one entry: citizen messages and our echoes."""
    account_id = str(entry.get("id", ""))
    events: list = []
    for item in entry.get("messaging") or []:
        if not isinstance(item, dict):
            continue
        message = item.get("message")
        if not isinstance(message, dict) or not message.get("mid"):
            # Reads, deliveries, reactions, postbacks: nothing a citizen wrote.
            events.append(Skipped(platform, account_id, "messaging event without a message"))
            continue
        sender = str((item.get("sender") or {}).get("id", ""))
        if message.get("is_echo"):
            # Sent by the account (by us or from the Page inbox); `metadata` carries our key.
            events.append(Echo(platform, account_id, str(message["mid"]),
                               str(message.get("metadata") or "")))
            continue
        if message.get("is_deleted") or message.get("is_unsupported"):
            events.append(Skipped(platform, account_id, "deleted or unsupported message"))
            continue
        attachments = _attachments(message)
        text = message.get("text") or placeholder_text(attachments[0]["type"] if attachments
                                                       else "")
        events.append(InboundMessage(
            platform=platform, account_id=account_id, external_id=str(message["mid"]),
            author_id=sender, author_name="", text=str(text), thread_id=DM_THREAD,
            attachments=attachments, created_at=from_unix(item.get("timestamp"), millis=True),
        ))
    return events


@dataclass(frozen=True)
class RawEvent:
    """One event of a delivery as it came: a one-entry envelope around a single `changes[]` or
    `messaging[]` element (or an Instagram-Login entry, which is one event). The unit a delivery
    is processed, failed, and retried by, so one bad event never takes its neighbours down."""

    envelope: dict
    platform: str
    account_id: str  # where it would route (WhatsApp: the value's phone_number_id)

    def parse(self) -> list[Event]:
        parser = registry.webhook_parser(self.envelope.get("object"))
        if parser is None:
            raise ValueError(f"unknown webhook object {self.envelope.get('object')!r}")
        return parser.parse_entry(self.envelope["entry"][0])


def split(payload: Any) -> list[RawEvent]:
    """The events of one Meta webhook delivery, unparsed. Raises ValueError when the envelope
    itself is unusable (not a Meta envelope, an `object` no adapter parses)."""
    kind = payload.get("object") if isinstance(payload, dict) else None
    parser = registry.webhook_parser(kind)
    if parser is None:
        raise ValueError(f"unknown webhook object {kind!r}")
    raws = []
    for entry in entries(payload):
        lists = [key for key in ("changes", "messaging")
                 if isinstance(entry.get(key), list) and entry[key]]
        if not lists:  # the Instagram-Login shape, or an entry with nothing in it
            raws.append(_raw(kind, parser.platform, entry, None))
            continue
        for key in lists:
            for item in entry[key]:
                raws.append(_raw(kind, parser.platform, {
                    **{k: v for k, v in entry.items() if k not in ("changes", "messaging")},
                    key: [item]}, item))
    return raws


def _raw(kind: str, platform: str, entry: dict, item: Any) -> RawEvent:
    value = item.get("value") if isinstance(item, dict) else None
    metadata = value.get("metadata") if isinstance(value, dict) else None
    account = (metadata or {}).get("phone_number_id") if isinstance(metadata, dict) else None
    return RawEvent({"object": kind, "entry": [entry]}, platform,
                    str(account or entry.get("id") or ""))


def parse_payload(payload: Any) -> list[Event]:
    """Every event in one Meta webhook delivery, parsed by the registered adapter whose
    `webhook_object` is the delivery's `object` (a WebhookParser)."""
    return [event for raw in split(payload) for event in raw.parse()]
