"""Pushes case events to every open inbox of a workspace, after the transaction commits.

Events carry ids and small facts only; browsers fetch what they show through the permission-
checked views, so a push never leaks data past the accessors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def workspace_group(workspace_id: int) -> str:
    return f"workspace.{workspace_id}"


def relay_signature(body: bytes) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"live-relay:" + body, hashlib.sha256).hexdigest()


def _relay(url: str, workspace_id: int, event: dict[str, Any]) -> None:
    # With the in-memory layer, a worker process cannot reach the web process's websockets; the
    # worker that `tanggap serve` starts hands its events to the web process over loopback.
    body = json.dumps({"workspace_id": workspace_id, "event": event}).encode()
    httpx.post(url, content=body, timeout=2.0,
               headers={"X-Tanggap-Relay": relay_signature(body),
                        "Content-Type": "application/json"}).raise_for_status()


def send_now(workspace_id: int, event: dict[str, Any]) -> None:
    relay_url = settings.TANGGAP_LIVE_RELAY_URL
    if relay_url:
        try:
            _relay(relay_url, workspace_id, event)
        except Exception:
            logger.exception("live event for workspace %s not relayed", workspace_id)
        return
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
