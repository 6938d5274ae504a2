"""Who may read the reports of a workspace: its supervisors, admins and auditors (operators answer
citizens; the reports are for those who account for the desk). Built on
workspaces.access.access_workspace: an outsider gets NotFound (404), a member of another role
Forbidden (403).

Personal data (names, handles, numbers, the citizens' words) leaves the desk in bulk only for
supervisors and admins: the auditor's exports are anonymous (docs/reports.md)."""

from __future__ import annotations

from tanggap.errors import Forbidden
from tanggap.workspaces.access import access_workspace
from tanggap.workspaces.models import Membership, Role

REPORT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR})
PERSONAL_DATA_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def access_reports(user, slug: str) -> Membership:
    membership = access_workspace(user, slug)
    if membership.role not in REPORT_ROLES:
        raise Forbidden()
    return membership


def sees_personal_data(membership: Membership) -> bool:
    return membership.role in PERSONAL_DATA_ROLES
