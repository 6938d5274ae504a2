"""Permission-checked accessors: the only way views, the API and tasks reach tenant rows for a user.

An object in a workspace the user is not a member of answers NotFound (404), never Forbidden, so
an outsider cannot learn that it exists. A member whose role cannot write gets Forbidden (403).
"""

from __future__ import annotations

from django.db.models import QuerySet

from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.models import Membership, Workspace


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("workspace")


def workspace_ids_of(user) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("workspace_id", flat=True))


def access_membership(user, workspace_id: int, *, write: bool = False) -> Membership:
    if user is None or not user.is_authenticated:
        raise NotFound()
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
    if membership is None:
        raise NotFound()
    if write and not membership.can_write:
        raise Forbidden()
    return membership


def access_workspace(user, slug: str, *, write: bool = False) -> Membership:
    workspace = Workspace.objects.filter(slug=slug).only("id").first()
    if workspace is None:
        raise NotFound()
    return access_membership(user, workspace.id, write=write)


def access_case(user, case_id, *, write: bool = False, load: bool = True):
    """Return (case, membership) or raise NotFound/Forbidden.

    With load=False only the case's id and workspace are read: enough for a view that hands the
    id to an action, which locks and reads the row itself.
    """
    from tanggap.cases.models import Case

    try:
        case_pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    cases = Case.objects.filter(pk=case_pk)
    if load:
        cases = cases.select_related("channel", "contact", "claimed_by", "workspace")
    else:
        cases = cases.only("id", "workspace_id")
    case = cases.first()
    if case is None:
        raise NotFound()
    membership = access_membership(user, case.workspace_id, write=write)
    return case, membership


def access_channel(user, channel_id, *, write: bool = False):
    from tanggap.connectors.models import ChannelAccount

    try:
        channel_pk = int(channel_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    channel = ChannelAccount.objects.filter(pk=channel_pk).first()
    if channel is None:
        raise NotFound()
    membership = access_membership(user, channel.workspace_id, write=write)
    return channel, membership
