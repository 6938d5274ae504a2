"""access_case with load=False, behind every case action of the API (a claim among them): one
compiled query gives the caller's membership of the case's workspace, that workspace loaded with
it; outsiders, unknown cases and liaison officers get NotFound, read-only roles Forbidden."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tanggap.cases.access import access_case
from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.models import Membership, Role


def test_a_member_gets_the_case_and_the_membership_with_its_workspace_in_one_query(desk):
    case = desk.inbound().case
    with CaptureQueriesContext(connection) as queries:
        found, membership = access_case(desk.ani.user, str(case.pk), write=True, load=False)
        lease = membership.workspace.claim_lease_minutes
    assert len(queries) == 1
    assert (found.pk, found.workspace_id) == (case.pk, desk.bpn.pk)
    assert membership == Membership.objects.get(user=desk.ani.user, workspace=desk.bpn)
    assert (membership.role, membership.workspace, lease) == ("operator", desk.bpn,
                                                              desk.bpn.claim_lease_minutes)


def test_outsiders_unknown_cases_and_liaisons_get_not_found(desk):
    case = desk.inbound().case
    with pytest.raises(NotFound):
        access_case(desk.luar.user, str(case.pk), load=False)  # a member of another workspace
    with pytest.raises(NotFound):
        access_case(desk.ani.user, str(case.pk + 1000), load=False)
    Membership.objects.filter(user=desk.budi.user).update(role=Role.LIAISON)
    with pytest.raises(NotFound):
        access_case(desk.budi.user, str(case.pk), load=False)


def test_a_read_only_role_may_read_but_not_write(desk):
    case = desk.inbound().case
    found, membership = access_case(desk.audi.user, str(case.pk), load=False)
    assert (found.pk, membership.role) == (case.pk, "auditor")
    with pytest.raises(Forbidden):
        access_case(desk.audi.user, str(case.pk), write=True, load=False)
