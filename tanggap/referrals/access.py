"""Permission-checked accessors of the referrals room, built on workspaces.access: a body,
referral or incident of a workspace the user is not a member of answers NotFound (404); a member
whose role may not act gets Forbidden (403). A liaison account reaches only the referrals of the
bodies it answers for."""

from __future__ import annotations

from tanggap.cases.cleaning import object_id
from tanggap.errors import Forbidden, NotFound
from tanggap.referrals.models import Body, Incident, Referral
from tanggap.workspaces.access import access_membership
from tanggap.workspaces.models import Membership, Role


def _pk(value) -> int:
    pk = object_id(value)
    if pk is None:
        raise NotFound()
    return pk


def access_body(user, body_id, *, workspace_id: int | None = None, write: bool = False) -> Body:
    """The body, for a member of its workspace. With `workspace_id`, a body of any other
    workspace is NotFound even to a member of both (a case is referred within its own desk)."""
    body = Body.objects.filter(pk=_pk(body_id)).first()
    if body is None or (workspace_id is not None and body.workspace_id != workspace_id):
        raise NotFound()
    access_membership(user, body.workspace_id, write=write)
    return body


def access_incident(user, incident_id, *, write: bool = False) -> tuple[Incident, Membership]:
    incident = Incident.objects.filter(pk=_pk(incident_id)).first()
    if incident is None:
        raise NotFound()
    return incident, access_membership(user, incident.workspace_id, write=write)


def liaison_membership(user, workspace_id: int) -> Membership:
    """The liaison's membership of the workspace, or NotFound."""
    if user is None or not user.is_authenticated:
        raise NotFound()
    membership = Membership.objects.filter(user=user, workspace_id=workspace_id).first()
    if membership is None:
        raise NotFound()
    return membership


def access_referral_as_body(user, referral_id) -> Referral:
    """A referral answered by a logged-in account: a liaison of its body, a member (not an
    auditor) of the body's own desk (an internal body's linked workspace), or the referring
    desk's supervisors. Others NotFound (outsiders) or Forbidden."""
    referral = (Referral.objects.select_related("body", "case", "workspace")
                .filter(pk=_pk(referral_id)).first())
    if referral is None or user is None or not user.is_authenticated:
        raise NotFound()
    linked = referral.body.linked_workspace_id
    if linked is not None:
        member = Membership.objects.filter(user=user, workspace_id=linked).first()
        if member is not None:
            if not member.can_write:
                raise Forbidden()
            return referral
    membership = Membership.objects.filter(user=user, workspace_id=referral.workspace_id).first()
    if membership is None:
        raise NotFound()
    if membership.role == Role.LIAISON:
        if not referral.body.liaisons.filter(pk=user.pk).exists():
            raise NotFound()
        return referral
    if membership.can_supervise:
        return referral
    raise Forbidden()
