"""Pushes case events to every open inbox of a workspace, after the transaction commits.

Events carry ids and small facts only; browsers fetch what they show through the permission-
checked views, so a push never leaks data past the accessors.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import deque
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

# Pushes handed over by worker threads, waiting for the server loop, in the order handed over.
# The loop is woken only when none was waiting (a drain is then scheduled, and it takes whatever
# arrives until the list is empty), so the answers of one group commit, which all push at the
# moment their batch commits, cost the loop one wake-up rather than one each. The thread does
# not wait for the push either: waiting cost a cross-thread future and two context switches
# per message (12 % of an inbound's CPU), for a courtesy whose failure is only logged anyway.
_handed: deque[tuple[Any, str, dict[str, Any]]] = deque()
_handed_lock = threading.Lock()
_drain_scheduled = False
# Beyond this many pushes waiting, the loop is stuck: new ones are dropped (and logged) rather
# than held without bound: a push is a courtesy, and the next load of a page shows the state.
MAX_HANDED = 10_000


def _fresh_hand_off_in_child() -> None:
    # A forked child has none of its parent's threads: the lock may be held by one of them.
    global _handed, _handed_lock, _drain_scheduled
    _handed, _handed_lock, _drain_scheduled = deque(), threading.Lock(), False


os.register_at_fork(after_in_child=_fresh_hand_off_in_child)


def remember_server_loop() -> None:
    global _server_loop, _drain_scheduled
    loop = asyncio.get_running_loop()
    if loop is not _server_loop:
        # A server loop of its own replaces the last one (a server restarted in the process, as
        # tests do): pushes handed to the old loop, and a drain scheduled there that it stopped
        # before running, would otherwise hold every later push back (none would be scheduled).
        with _handed_lock:
            _handed.clear()
            _drain_scheduled = False
        _server_loop = loop


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's event loop in this process (None before it served anything)."""
    return _server_loop


def _group_send(layer, group: str, message: dict[str, Any]) -> None:
    loop = _server_loop
    if loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            _hand_to(loop, layer, group, message)
            return
    async_to_sync(layer.group_send)(group, message)


def _hand_to(loop: asyncio.AbstractEventLoop, layer, group: str, message: dict[str, Any]) -> None:
    global _drain_scheduled
    with _handed_lock:
        if len(_handed) >= MAX_HANDED:
            logger.warning("live message to %s dropped: %d pushes wait for the server loop",
                           group, len(_handed))
            return
        _handed.append((layer, group, message))
        if _drain_scheduled:
            return
        _drain_scheduled = True
    try:
        loop.call_soon_threadsafe(_start_drain, loop)
    except RuntimeError:  # the loop closed between the check and the call
        with _handed_lock:
            _handed.clear()
            _drain_scheduled = False
        raise


def _start_drain(loop: asyncio.AbstractEventLoop) -> None:
    loop.create_task(_drain())


async def _drain() -> None:
    global _drain_scheduled
    while True:
        with _handed_lock:
            if not _handed:
                _drain_scheduled = False
                return
            layer, group, message = _handed.popleft()
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("live message to %s not delivered", group)


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
