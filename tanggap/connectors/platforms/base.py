"""What every platform shares: the events inbound parsers produce, the plan of a send, and the
helpers adapters build them with.

A platform is a sub-package `platforms/<name>/` with `inbound.py` (webhook or poll answers ->
the events below; pure: no database, no clock, no HTTP), `client.py` (calls through the one HTTP
client) and `adapter.py` (the object registered in platforms.registry, implementing the
protocols of platforms.capabilities that the platform offers). docs/platforms.md, "Adding a
platform".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tanggap.connectors.http import TransportError

# Case thread ids: the prefix tells the adapter how to answer (public comment reply vs DM).
DM_THREAD = "dm"


def post_thread(post_id: str) -> str:
    return f"post:{post_id}"


def media_thread(media_id: str) -> str:
    return f"media:{media_id}"


def conversation_thread(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


def dm_conversation_thread(conversation_id: str) -> str:
    """An X Direct Message conversation: replies go into it, not as a public post."""
    return f"dm:{conversation_id}"


@dataclass(frozen=True)
class InboundMessage:
    platform: str
    account_id: str  # routes to ChannelAccount.handle
    external_id: str
    author_id: str
    author_name: str
    text: str
    thread_id: str
    attachments: list = field(default_factory=list)
    created_at: datetime | None = None
    # The text is a placeholder and the platform must be asked for the words (an Instagram
    # mention carries only ids); the drain queues that call after the message is stored.
    text_pending: bool = False


@dataclass(frozen=True)
class StatusUpdate:
    """The platform tells us what became of one of our sends (WhatsApp statuses)."""

    platform: str
    account_id: str
    external_id: str
    status: str
    error: str = ""
    key: str = ""  # our idempotency key, when the platform echoes it


@dataclass(frozen=True)
class Echo:
    """The platform echoes a message the account sent (Messenger/Instagram message_echoes)."""

    platform: str
    account_id: str
    external_id: str
    key: str


@dataclass(frozen=True)
class Skipped:
    """Something we understood and deliberately do not store (our own comment, an edit)."""

    platform: str
    account_id: str
    reason: str


# What a parser yields for one platform event.
type Event = InboundMessage | StatusUpdate | Echo | Skipped


@dataclass(frozen=True)
class SendPlan:
    operation: str
    target_id: str
    api: str
    method: str
    path: str
    json: Any = None
    params: dict | None = None

    def as_request(self) -> dict:
        return {"api": self.api, "method": self.method, "path": self.path, "json": self.json,
                "params": self.params}


@dataclass(frozen=True)
class SendContext:
    """Everything an adapter may use to plan a reply; built by connectors.delivery."""

    channel: Any
    text: str
    key: str
    thread_id: str
    recipient_id: str  # the contact's platform id (PSID, IGSID, wa_id, X user id)
    reply_to_id: str  # the platform id of the citizen message we answer
    last_inbound_at: datetime | None
    now: datetime

    @property
    def options(self) -> dict:
        return self.channel.options or {}


@dataclass(frozen=True)
class ProvenAccount:
    """What a platform confirmed about the account a token controls (AccountProver.prove)."""

    account_id: str  # the platform's id of the account: webhooks route by it, unique per desk
    handle: str  # how the channel is named: the same id for Meta, the @username for X
    name: str = ""
    # Options the proof settles (the Instagram login kind, X's user id); None removes one.
    options: dict = field(default_factory=dict)


class NotProven(Exception):
    """The platform did not confirm that the token controls the account. The message says what
    the platform said about the token only, never whether the account is known to this desk."""


def from_unix(value: Any, *, millis: bool = False) -> datetime | None:
    """A platform's Unix time, or None when it is missing or absurd (a number beyond any date,
    NaN): the message is then kept with our receipt time rather than lost over its clock."""
    try:
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if millis else number, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def within(ctx: SendContext, window: timedelta) -> bool:
    """Whether the citizen's last message is recent enough for a free-form answer."""
    return ctx.last_inbound_at is not None and ctx.now - ctx.last_inbound_at <= window


def permanent(code: str, message: str) -> TransportError:
    """A refusal we can predict without calling the platform; `code` leads the shown error."""
    return TransportError(f"{code}: {message}", permanent=True, code=code)


def unverifiable(message: str) -> TransportError:
    """From `find_existing`: the platform gives no way to look for our earlier post. Delivery
    then stops with `platform_unavailable` and the "may have reached the platform" note instead
    of posting a public reply a second time."""
    return TransportError(f"cannot_check: {message}", permanent=True, code="cannot_check")


LOOKUP_REFUSED = "lookup_refused"


def lookup_refused(exc: TransportError) -> TransportError:
    """From `find_existing`: the platform refused our look (a 4xx: missing read permission),
    which is not "not found". Delivery may still post again where a duplicate is the lesser harm
    (a private DM), but never reports the send failed on that ground."""
    return TransportError(f"lookup_refused: {exc.message}", permanent=True, status=exc.status,
                          code=LOOKUP_REFUSED)


def placeholder_text(kind: str) -> str:
    """Text for a message with no text (a photo, a sticker), so the case still shows it."""
    return f"[{kind or 'lampiran'}]"
