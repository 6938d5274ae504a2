"""Pushes case events to every open inbox of a workspace, after the transaction commits.

Events carry ids and small facts only; browsers fetch what they show through the permission-
checked views, so a push never leaks data past the accessors.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def workspace_group(workspace_id: int) -> str:
    return f"workspace.{workspace_id}"


def send_now(workspace_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            workspace_group(workspace_id), {"type": "desk.event", "event": event}
        )
    except Exception:
        # A push is a courtesy: the state is committed and the next load shows it. Never fail
        # the request (or the worker) because a browser could not be told.
        logger.exception("live event for workspace %s not delivered", workspace_id)


def publish_on_commit(workspace_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_now(workspace_id, event))
