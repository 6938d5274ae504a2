"""Permission-checked accessors of tenancy: the only way views, the API and tasks reach a
workspace for a user. Each room that holds tenant rows has its own `access.py` built on
`access_membership` (cases.access, connectors.access), so this room imports none of them.

An object in a workspace the user is not a member of answers NotFound (404), never Forbidden, so
an outsider cannot learn that it exists. A member whose role cannot do it gets Forbidden (403).
An integration account (a machine that may only post inbound messages) is a member that can read
nothing: every accessor but `access_inbound` refuses it. A liaison officer (a responsible body's
account, tanggap.referrals) is an outsider to every accessor here: the referrals room's own
accessors let it reach its body's referrals, and nothing else.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.models import ApiToken, Membership, Role, Workspace, hash_token


def memberships_of(user) -> QuerySet[Membership]:
    """The workspaces whose desk the user may open (an integration or liaison membership opens
    none)."""
    return (Membership.objects.filter(user=user)
            .exclude(role__in=(Role.INTEGRATION, Role.LIAISON))
            .select_related("workspace"))


def workspace_ids_of(user) -> list[int]:
    return list(memberships_of(user).values_list("workspace_id", flat=True))


def _membership(user, workspace_id: int) -> Membership:
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotFound()
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
    if membership is None or membership.role == Role.LIAISON:
        # A liaison officer belongs to the workspace only to answer their body's referrals
        # (tanggap.referrals): to the desk they are an outsider.
        raise NotFound()
    return membership


def access_membership(user, workspace_id: int, *, write: bool = False) -> Membership:
    membership = _membership(user, workspace_id)
    if not membership.can_read or (write and not membership.can_write):
        raise Forbidden()
    return membership


def access_inbound(user, workspace_id: int) -> Membership:
    """A member who may post citizens' messages into this workspace: an admin or an integration
    account. Outsiders NotFound, other members Forbidden."""
    membership = _membership(user, workspace_id)
    if not membership.can_post_inbound:
        raise Forbidden()
    return membership


def access_workspace(user, slug: str, *, write: bool = False) -> Membership:
    workspace = Workspace.objects.filter(slug=slug).only("id").first()
    if workspace is None:
        raise NotFound()
    return access_membership(user, workspace.id, write=write)


def access_workspace_admin(user, slug: str) -> Membership:
    """The membership of an admin of the workspace `slug`; outsiders NotFound, other members
    Forbidden."""
    membership = access_workspace(user, slug)
    if not membership.is_admin:
        raise Forbidden()
    return membership


def access_member(user, slug: str, username: str) -> tuple[Membership, Membership]:
    """(the admin's membership, the member's membership) for an admin of `slug` acting on one of
    its members. A username that is not a member of this workspace is NotFound, whether or not the
    user exists elsewhere."""
    admin = access_workspace_admin(user, slug)
    member = (Membership.objects.filter(workspace_id=admin.workspace_id, user__username=username)
              .select_related("user", "workspace").first())
    if member is None:
        raise NotFound()
    return admin, member


def token_bearer(raw: str) -> ApiToken | None:
    """The token whose hash matches `raw`, with its active user and `machine` (an integration
    account) read in the same query: one indexed lookup per API request, nothing cached, so a
    revoked token or a deactivated user is refused at once in every process."""
    machine = Membership.objects.filter(user_id=OuterRef("user_id"), role=Role.INTEGRATION)
    found = list(ApiToken.objects.select_related("user").annotate(machine=Exists(machine))
                 .filter(token_hash=hash_token(raw), user__is_active=True)[:1])
    return found[0] if found else None
