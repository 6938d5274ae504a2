"""The inbox websocket: one connection per open page, joined to its workspace's group.

It forwards desk events (after-commit pushes from actions) and relays presence: who is viewing a
case and who is composing a reply. Presence is not stored anywhere; each page repeats its state
every few seconds and the pages forget a state they have not heard for a while, so it works the
same across several server processes with the Redis layer.

A socket lives only as long as the login that opened it. It is closed (code 4401) when its session
no longer stands: logged out, expired, the user deactivated or their password changed (the
session's hash no longer matches), or their membership of the workspace removed. Logging out
tells the user's sockets at once (fanout.recheck_sessions); besides, before forwarding an event
each socket re-checks its session when the last check is older than TANGGAP_LIVE_RECHECK_SECONDS,
so nothing reaches a socket whose login ended longer ago than that, even if that message is lost.
"""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from tanggap.errors import NotFound
from tanggap.live.fanout import user_group, workspace_group
from tanggap.workspaces.access import access_workspace

PRESENCE_STATES = {"viewing", "composing", "left"}
# Close codes the page understands (desk.js): not a member (or not logged in), and login ended.
CLOSE_REFUSED = 4404
CLOSE_SESSION_ENDED = 4401


@database_sync_to_async
def _membership(user, slug: str):
    try:
        return access_workspace(user, slug)
    except NotFound:
        return None


def _session_user(session_key: str | None):
    """The active user whose login `session_key` still is, or None. Reads only: unlike
    django.contrib.auth.get_user it never cycles or flushes the session the browser holds."""
    if not session_key:
        return None
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    data = store.load()
    backend_path = data.get(BACKEND_SESSION_KEY)
    session_hash = data.get(HASH_SESSION_KEY)
    if backend_path not in settings.AUTHENTICATION_BACKENDS or not session_hash:
        return None
    try:
        user_id = get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
    except Exception:
        return None
    user = load_backend(backend_path).get_user(user_id)  # None for an inactive user
    if user is None or not user.is_active:
        return None
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(session_hash, known) for known in hashes):
        return None
    return user


@database_sync_to_async
def _login_stands(session_key: str | None, user_id: int, slug: str) -> bool:
    user = _session_user(session_key)
    if user is None or user.pk != user_id:
        return False
    try:
        access_workspace(user, slug)
    except NotFound:
        return False
    return True


class InboxConsumer(AsyncJsonWebsocketConsumer):
    # Monotonic seconds; a test replaces it to move time without sleeping.
    clock = staticmethod(time.monotonic)

    async def connect(self):
        user = self.scope.get("user")
        slug = self.scope["url_route"]["kwargs"]["slug"]
        membership = await _membership(user, slug) if user is not None else None
        if membership is None:
            await self.close(code=CLOSE_REFUSED)
            return
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        self.user_id = user.pk
        self.slug = slug
        self.username = user.username
        self.group = workspace_group(membership.workspace_id)
        self.groups_joined = [self.group, user_group(user.pk)]
        self.watching: set[int] = set()
        self.ended = False
        self.checked_at = self.clock()
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "user": self.username})
        # Pages already open announce themselves at once, so a newcomer does not wait for
        # their next heartbeat to see who is on a case.
        await self.channel_layer.group_send(
            self.group, {"type": "desk.event", "event": {"kind": "presence_query"}}
        )

    async def disconnect(self, code):
        groups = getattr(self, "groups_joined", None)
        if groups is None:
            return
        for case_id in getattr(self, "watching", set()):
            await self._presence(case_id, "left")
        self.watching = set()
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "presence":
            return
        # A page whose login ended must not go on announcing its user on cases either.
        if not await self._login_still_stands(force=False):
            return
        case_id = content.get("case_id")
        state = content.get("state")
        if not isinstance(case_id, int) or state not in PRESENCE_STATES:
            return
        if state == "left":
            self.watching.discard(case_id)
        else:
            self.watching.add(case_id)
        await self._presence(case_id, state)

    async def _presence(self, case_id: int, state: str):
        await self.channel_layer.group_send(
            self.group,
            {"type": "desk.event",
             "event": {"kind": "presence", "case_id": case_id, "user": self.username,
                       "state": state}},
        )

    async def _login_still_stands(self, *, force: bool) -> bool:
        if self.ended:
            return False
        now = self.clock()
        if not force and now - self.checked_at < settings.TANGGAP_LIVE_RECHECK_SECONDS:
            return True
        stands = await _login_stands(self.session_key, self.user_id, self.slug)
        self.checked_at = now
        if not stands:
            self.ended = True
            await self.disconnect(CLOSE_SESSION_ENDED)
            self.groups_joined = []
            await self.close(code=CLOSE_SESSION_ENDED)
        return stands

    async def desk_event(self, message):
        if await self._login_still_stands(force=False):
            await self.send_json(message["event"])

    async def session_check(self, message):
        await self._login_still_stands(force=True)
