"""Permission-checked accessors of tenancy: the only way views, the API and tasks reach a
workspace for a user. Each room that holds tenant rows has its own `access.py` built on
`access_membership` (cases.access, connectors.access), so this room imports none of them.

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

