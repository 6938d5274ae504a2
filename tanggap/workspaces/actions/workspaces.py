"""Creating a workspace and changing its options."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.errors import Conflict, InvalidInput, NotFound
from tanggap.workspaces.models import Membership, Workspace


def create_workspace(*, slug: str, name: str, now: datetime, actor=None) -> Workspace:
    if not slug or slugify(slug) != slug:
        raise InvalidInput(f"slug {slug!r} must be lower-case letters, digits and hyphens")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name must not be empty")
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(slug=slug, name=name, created_at=now)
            events.record(
                workspace_id=workspace.pk, actor=actor, action="workspace.created", now=now,
                obj=workspace, after={"slug": slug, "name": name},
            )
    except IntegrityError:
        raise Conflict(f"workspace {slug!r} already exists") from None
    return workspace


def set_approve_warn(*, slug: str, on: bool, now: datetime, actor=None) -> Workspace:
    """Whether replies the tone guard warns about wait for a supervisor's approval."""
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().filter(slug=slug).first()
        if workspace is None:
            raise NotFound(_("No workspace %(slug)r.") % {"slug": slug})
        before = workspace.approve_warn
        workspace.approve_warn = on
        workspace.save(update_fields=["approve_warn"])
        events.record(workspace_id=workspace.pk, actor=actor, action="workspace.approve_warn",
                      now=now, obj=workspace, before={"approve_warn": before},
                      after={"approve_warn": on})
    return workspace


def set_in_training(*, slug: str, username: str, on: bool, now: datetime,
                    actor=None) -> Membership:
    """Whether every reply of this member waits for a supervisor's approval."""
    with transaction.atomic():
        membership = (Membership.objects.select_for_update()
                      .filter(workspace__slug=slug, user__username=username).first())
        if membership is None:
            raise NotFound(_("%(username)s is not a member of %(slug)s.")
                           % {"username": username, "slug": slug})
        before = membership.in_training
        membership.in_training = on
        membership.save(update_fields=["in_training"])
        events.record(workspace_id=membership.workspace_id, actor=actor, now=now,
                      action="member.in_training", obj=membership,
                      before={"username": username, "in_training": before},
                      after={"username": username, "in_training": on})
    return membership
