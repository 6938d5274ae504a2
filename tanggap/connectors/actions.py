"""Writes to channel accounts."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from tanggap.audit import events
from tanggap.connectors.crypto import encrypt_secret
from tanggap.connectors.models import ChannelAccount, Platform
from tanggap.errors import Conflict, InvalidInput


def add_channel(
    *, workspace, platform: str, handle: str, now: datetime, actor=None, name: str = "",
    token: str = "", simulated: bool = False,
) -> ChannelAccount:
    if platform not in Platform.values:
        raise InvalidInput(f"platform must be one of {', '.join(Platform.values)}")
    handle = (handle or "").strip()
    if not handle or len(handle) > 120:
        raise InvalidInput("handle must be 1 to 120 characters")
    try:
        with transaction.atomic():
            channel = ChannelAccount.objects.create(
                workspace=workspace,
                platform=platform,
                handle=handle,
                name=name or handle,
                credentials_encrypted=encrypt_secret(token) if token else "",
                simulated=simulated,
                created_at=now,
            )
            events.record(
                workspace_id=workspace.pk, actor=actor, action="channel.added", now=now,
                obj=channel,
                after={"platform": platform, "handle": handle, "has_credentials": bool(token)},
            )
    except IntegrityError:
        raise Conflict(f"a {platform} channel with handle {handle!r} already exists") from None
    return channel
