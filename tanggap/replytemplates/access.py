"""Permission-checked access to templates: outsiders NotFound, members who may not edit
templates (operators, auditors) Forbidden."""

from __future__ import annotations

from tanggap.cases.cleaning import object_id
from tanggap.errors import Forbidden, NotFound
from tanggap.replytemplates.models import ReplyTemplate
from tanggap.workspaces.access import access_membership


def require_editor(membership) -> None:
    """Admins and supervisors write the desk's templates."""
    if not membership.can_supervise:
        raise Forbidden()


def access_template(user, template_id, *, edit: bool = False):
    """(template, membership) or NotFound / Forbidden."""
    pk = object_id(template_id)
    template = ReplyTemplate.objects.filter(pk=pk).first() if pk is not None else None
    if template is None:
        raise NotFound()
    membership = access_membership(user, template.workspace_id, write=edit)
    if edit:
        require_editor(membership)
    return template, membership
