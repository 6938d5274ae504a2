"""Permission-checked access to the roster of a workspace, built on
`workspaces.access.access_workspace`: outsiders get NotFound (404), every member may read the
roster, and the actions check who may change it (supervisors) or ask (members who write)."""

from __future__ import annotations

from tanggap.workspaces.access import access_workspace
from tanggap.workspaces.models import Membership


def access_roster(user, slug: str, *, write: bool = False) -> Membership:
    return access_workspace(user, slug, write=write)
