"""The inbox websocket: one connection per open page, joined to its workspace's group.

It forwards desk events (after-commit pushes from actions) and relays presence: who is viewing a
case and who is composing a reply. Presence is not stored anywhere; each page repeats its state
every few seconds and the pages forget a state they have not heard for a while, so it works the
same across several server processes with the Redis layer.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tanggap.errors import NotFound
from tanggap.live.fanout import workspace_group
from tanggap.workspaces.access import access_workspace

PRESENCE_STATES = {"viewing", "composing", "left"}


@database_sync_to_async
def _membership(user, slug: str):
    try:
        return access_workspace(user, slug)
    except NotFound:
        return None


class InboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        slug = self.scope["url_route"]["kwargs"]["slug"]
        membership = await _membership(user, slug) if user is not None else None
        if membership is None:
            await self.close(code=4404)
            return
        self.username = user.username
        self.group = workspace_group(membership.workspace_id)
        self.watching: set[int] = set()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "user": self.username})
        # Pages already open announce themselves at once, so a newcomer does not wait for
        # their next heartbeat to see who is on a case.
        await self.channel_layer.group_send(
            self.group, {"type": "desk.event", "event": {"kind": "presence_query"}}
        )

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group is None:
            return
        for case_id in getattr(self, "watching", set()):
            await self._presence(case_id, "left")
        await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "presence":
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

    async def desk_event(self, message):
        await self.send_json(message["event"])
