"""Permission-checked accessors for channel accounts, built on
`workspaces.access.access_membership`: outsiders get NotFound (404), never Forbidden, so they
cannot learn that a channel exists; members whose role may not do it get Forbidden (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from tanggap.cases.cleaning import object_id
from tanggap.conf import statements
from tanggap.connectors.models import ChannelAccount, FailedWebhookEvent
from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.access import (
    access_inbound,
    access_membership,
    access_workspace,
    cached_bearer,
    inbound_member,
)
from tanggap.workspaces.models import Membership, Role


def _channel(channel_id) -> ChannelAccount:
    channel_pk = object_id(channel_id)
    if channel_pk is None:
        raise NotFound()
    channel = ChannelAccount.objects.filter(pk=channel_pk).first()
    if channel is None:
        raise NotFound()
    return channel


def access_channel(user, channel_id, *, write: bool = False):
    """(channel, membership) or NotFound / Forbidden."""
    channel = _channel(channel_id)
    membership = access_membership(user, channel.workspace_id, write=write)
    return channel, membership


def access_inbound_channel(user, channel_id, *, grant: InboundGrant | None = None):
    """(channel, membership) for posting a citizen's message on the channel through the API: an
    admin or an integration account of its workspace. NotFound / Forbidden as above. `grant`:
    what inbound_bearer already read for this channel with the token (no further query)."""
    if grant is not None and grant.channel_pk == object_id(channel_id):
        if grant.channel is None:
            raise NotFound()
        return grant.channel, inbound_member(grant.membership)
    channel = _channel(channel_id)
    return channel, access_inbound(user, channel.workspace_id)


@dataclass(frozen=True)
class InboundGrant:
    channel_pk: int | None
    channel: ChannelAccount | None
    membership: Membership | None


def inbound_bearer(raw: str, channel_id, *, now):
    """(token or None, InboundGrant): the Bearer token, its active user, the channel the body
    names and the user's membership of that channel's workspace, in one query (the hot path of
    POST /api/v1/inbound), kept per process while nothing they are read from changes
    (workspaces.access.cached_bearer: a revoked token, a removed or demoted membership, a
    deactivated user or a removed channel is refused on the next request in every process). The
    grant is checked by access_inbound_channel like any membership."""
    channel_pk = object_id(channel_id) if channel_id is not None else None
    token, grant = cached_bearer(raw, now=now, channel_table=statements.table(ChannelAccount),
                                 channel_pk=channel_pk, build=_grant_builder(channel_pk))
    if token is None:
        return None, InboundGrant(channel_pk, None, None)
    return token, grant


def _grant_builder(channel_pk):
    def build(row, user):
        alias = connection.alias
        channel_id_found, workspace_id, platform, membership_id, role = row[5:]
        channel = membership = None
        if channel_id_found is not None:
            channel = ChannelAccount.from_db(alias, ["id", "workspace_id", "platform"],
                                             [channel_id_found, workspace_id, platform])
        if membership_id is not None:
            membership = Membership.from_db(alias, ["id", "workspace_id", "user_id", "role"],
                                            [membership_id, workspace_id, row[1], role])
            membership.user = user
        # Kept only when it lets the token post here; a refusal is read again next time.
        keep = channel is not None and membership is not None and membership.can_post_inbound
        return InboundGrant(channel_pk, channel, membership), keep

    return build


def access_channel_admin(user, slug: str):
    """The membership of a workspace admin; outsiders NotFound, other members Forbidden."""
    membership = access_workspace(user, slug)
    if membership.role != Role.ADMIN:
        raise Forbidden()
    return membership


def access_channel_admin_by_id(user, channel_id) -> ChannelAccount:
    """A channel of a workspace the user administers; NotFound / Forbidden as above."""
    channel, membership = access_channel(user, channel_id)
    if membership.role != Role.ADMIN:
        raise Forbidden()
    return channel


def access_failed_event_admin(user, event_id) -> FailedWebhookEvent:
    """A dead letter of a channel of a workspace the user administers; NotFound / Forbidden."""
    pk = object_id(event_id)
    if pk is None:
        raise NotFound()
    record = FailedWebhookEvent.objects.filter(pk=pk).select_related("channel").first()
    if record is None:
        raise NotFound()
    access_channel_admin_by_id(user, record.channel_id)
    return record
