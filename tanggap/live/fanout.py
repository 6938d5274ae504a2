"""Pushes case events to every open inbox of a workspace, after the transaction commits.

Events carry ids and small facts only; browsers fetch what they show through the permission-
checked views, so a push never leaks data past the accessors.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def workspace_group(workspace_id: int) -> str:
    return f"workspace.{workspace_id}"


def user_group(user_id: int) -> str:
    """Every open socket of one user, whatever the workspace: told when a session of theirs ends."""
    return f"user.{user_id}"


# The event loop of the ASGI server in this process, once it has served anything. Views run in
# worker threads; a channel layer's queues and connections belong to the server's loop, so a push
# from a thread is handed to that loop rather than run on a throw-away loop of its own.
_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop() -> None:
    global _server_loop
    _server_loop = asyncio.get_running_loop()


def _group_send(layer, group: str, message: dict[str, Any]) -> None:
    args = (group, message)
    loop = _server_loop
    if loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            asyncio.run_coroutine_threadsafe(layer.group_send(*args), loop).result(timeout=5)
            return
    async_to_sync(layer.group_send)(*args)


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        _group_send(layer, group, message)
    except Exception:
        # A push is a courtesy: the state is committed and the next load shows it. Never fail
        # the request (or the worker) because a browser could not be told.
        logger.exception("live message to %s not delivered", group)


def send_now(workspace_id: int, event: dict[str, Any]) -> None:
    _send(workspace_group(workspace_id), {"type": "desk.event", "event": event})


def recheck_sessions(user_id: int) -> None:
    """Make every open socket of this user check its session at once (after a logout; after a
    deactivation, a password change or a removal, via recheck_sessions_on_commit). A socket whose
    session no longer stands is closed. If this message is lost, each socket still re-checks on
    its own within TANGGAP_LIVE_RECHECK_SECONDS."""
    _send(user_group(user_id), {"type": "session.check"})


def recheck_sessions_on_commit(user_id: int) -> None:
    transaction.on_commit(lambda: recheck_sessions(user_id))


def publish_on_commit(workspace_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_now(workspace_id, event))
