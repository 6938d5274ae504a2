"""Permission-checked accessors for channel accounts, built on
`workspaces.access.access_membership`: outsiders get NotFound (404), never Forbidden, so they
cannot learn that a channel exists; members whose role may not do it get Forbidden (403).
"""

from __future__ import annotations

from tanggap.cases.cleaning import object_id
from tanggap.connectors.models import ChannelAccount, FailedWebhookEvent
from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.access import access_inbound, access_membership, access_workspace
from tanggap.workspaces.models import Role


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


def access_inbound_channel(user, channel_id):
    """(channel, membership) for posting a citizen's message on the channel through the API: an
    admin or an integration account of its workspace. NotFound / Forbidden as above."""
    channel = _channel(channel_id)
    return channel, access_inbound(user, channel.workspace_id)


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
