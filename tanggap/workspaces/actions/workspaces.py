"""Creating a workspace."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from tanggap.audit import events
from tanggap.errors import Conflict, InvalidInput
from tanggap.workspaces.models import Workspace


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
