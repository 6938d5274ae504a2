"""Permission-checked accessors for the rows of the cases room, built on
`workspaces.access.access_membership`: a case or message of a workspace the user is not a member
of answers NotFound (404), never Forbidden, so an outsider cannot learn that it exists; a member
whose role cannot write gets Forbidden (403).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Subquery

from tanggap.cases.cleaning import object_id
from tanggap.cases.models import Case, Contact, Message
from tanggap.conf import compiled
from tanggap.errors import NotFound
from tanggap.workspaces.access import (
    MEMBERSHIP_COLUMNS,
    access_membership,
    checked_membership,
    membership_from_rows,
)
from tanggap.workspaces.models import Membership


def _pk(value) -> int:
    pk = object_id(value)
    if pk is None:
        raise NotFound()
    return pk


def access_case(user, case_id, *, write: bool = False, load: bool = True):
    """Return (case, membership) or raise NotFound/Forbidden.

    With load=False only the case's id and workspace are read: enough for a view that hands the
    id to an action, which locks and reads the row itself.
    """
    pk = _pk(case_id)
    if not load:
        # One query: the caller's membership of the workspace that holds the case. No such case
        # and no such membership are the same NotFound, as they are with the two reads.
        membership = checked_membership(user, _membership_of_case(user, pk), write=write)
        case = Case.from_db(DEFAULT_DB_ALIAS, ["id", "workspace_id"],
                            [pk, membership.workspace_id])
        return case, membership
    case = (Case.objects.filter(pk=pk)
            .select_related("channel", "contact", "claimed_by", "workspace").first())
    if case is None:
        raise NotFound()
    membership = access_membership(user, case.workspace_id, write=write)
    return case, membership


def _membership_of_case(user, pk: int) -> Membership | None:
    """The user's membership of the workspace holding case `pk`, its workspace loaded with it.
    Compiled once (tanggap.conf.compiled): it runs behind every case action of the API (a claim
    among them), and the ORM took longer to build it than SQLite to run it (in-process, 0.93 ms
    of CPU a check built by the ORM, 0.08 ms compiled)."""
    if user is None or type(user.pk) is not int:
        return None  # an anonymous user: checked_membership answers NotFound
    return membership_from_rows(compiled.rows(
        "cases.access_case",
        lambda values: Membership.objects.filter(
            user_id=values["user_id"],
            workspace_id=Subquery(Case.objects.filter(pk=values["case_id"])
                                  .values("workspace_id")[:1]))
        .order_by("pk").values_list(*MEMBERSHIP_COLUMNS)[:1],
        {"user_id": user.pk, "case_id": pk}))


def access_message(user, message_id, *, write: bool = False):
    """(message, membership) or NotFound (outsiders, unknown ids) / Forbidden (read-only roles)."""
    message = Message.objects.filter(pk=_pk(message_id)).select_related("case", "channel").first()
    if message is None:
        raise NotFound()
    return message, access_membership(user, message.workspace_id, write=write)


def access_contact(user, contact_id, *, write: bool = False):
    """(contact, membership) or NotFound (outsiders, unknown ids) / Forbidden (read-only roles)."""
    contact = Contact.objects.filter(pk=_pk(contact_id)).first()
    if contact is None:
        raise NotFound()
    return contact, access_membership(user, contact.workspace_id, write=write)

