"""Reads of the connectors room. Tenant rows only through accessors that take the user
(connectors.access).

Never writes; never shows a credential (only whether one is set).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tanggap.cases.models import Direction, Message
from tanggap.connectors.models import (
    ChannelAccount,
    CommentModeration,
    FailedEventState,
    FailedWebhookEvent,
    Platform,
    PollCursor,
)

# Comments are the only messages a platform lets us hide; their case threads say so.
HIDEABLE_THREADS = {Platform.FACEBOOK: "post:", Platform.INSTAGRAM: "media:"}


def is_hideable(message: Message, *, case=None, channel=None) -> bool:
    """A citizen's comment on a Facebook Page post or an Instagram media (not a DM, not a
    mention elsewhere, which has no comment id of ours to hide)."""
    case = case or message.case
    channel = channel or message.channel
    prefix = HIDEABLE_THREADS.get(channel.platform)
    return (prefix is not None and message.direction == Direction.IN
            and case.thread_id.startswith(prefix) and bool(message.external_id)
            and not message.external_id.startswith("mention:"))


def moderations_of_case(case) -> dict[int, CommentModeration]:
    return {m.message_id: m for m in CommentModeration.objects.filter(message__case=case)}


@dataclass(frozen=True)
class ChannelRow:
    channel: ChannelAccount
    cursor: PollCursor | None

    @property
    def last_activity_at(self) -> datetime | None:
        polled = self.cursor.last_polled_at if self.cursor else None
        return max((t for t in (self.channel.last_webhook_at, polled) if t), default=None)


def workspace_channels(workspace_id: int) -> list[ChannelRow]:
    channels = list(ChannelAccount.objects.filter(workspace_id=workspace_id)
                    .order_by("platform", "handle"))
    cursors = {c.channel_id: c for c in PollCursor.objects.filter(channel__in=channels)}
    return [ChannelRow(c, cursors.get(c.pk)) for c in channels]


def dead_letters(workspace_id: int, *, resolved: int = 20) -> tuple[list, list]:
    """(the failed webhook events of the workspace's channels still waiting, oldest first;
    the last `resolved` ones retried or discarded). Callers have checked admin access."""
    rows = FailedWebhookEvent.objects.filter(channel__workspace_id=workspace_id).select_related(
        "channel", "delivery", "resolved_by")
    waiting = list(rows.filter(state=FailedEventState.FAILED).order_by("id"))
    done = list(rows.exclude(state=FailedEventState.FAILED).order_by("-updated_at", "-id")
                [:resolved])
    return waiting, done


def dead_letter_count(workspace_id: int) -> int:
    return FailedWebhookEvent.objects.filter(channel__workspace_id=workspace_id,
                                             state=FailedEventState.FAILED).count()
