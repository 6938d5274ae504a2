"""`access_workspace` (every desk page) from its compiled statement: the same membership and
workspace the ORM reads, NotFound to outsiders and for unknown slugs, and a change seen on the
next call."""

import pytest

from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.access import access_workspace
from tanggap.workspaces.models import Membership, Workspace


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_membership_and_its_workspace_are_the_orms(desk, django_assert_num_queries):
    for persona, slug in ((desk.ani, "bpn"), (desk.budi, "bpn")):
        expected = (Membership.objects.filter(user=persona.user, workspace__slug=slug)
                    .select_related("workspace").get())
        with django_assert_num_queries(1):
            membership = access_workspace(persona.user, slug)
            workspace = membership.workspace  # read with it, as select_related did
        assert type(membership) is Membership and type(workspace) is Workspace
        assert _fields(membership) == _fields(expected)
        assert _fields(workspace) == _fields(expected.workspace)
        assert [type(v) for v in _fields(membership).values()] == [
            type(v) for v in _fields(expected).values()]
        assert not membership._state.adding and membership._state.db == "default"


def test_outsiders_and_unknown_slugs_are_not_found_and_a_change_is_seen_at_once(desk):
    with pytest.raises(NotFound):
        access_workspace(desk.luar.user, "bpn")
    with pytest.raises(NotFound):
        access_workspace(desk.ani.user, "nowhere")
    with pytest.raises(Forbidden):
        access_workspace(desk.gerbang.user, "bpn")  # an integration account reads nothing
    assert access_workspace(desk.budi.user, "bpn").role == "operator"
    Membership.objects.filter(user=desk.budi.user, workspace__slug="bpn").update(role="auditor")
    assert access_workspace(desk.budi.user, "bpn").role == "auditor"
    with pytest.raises(Forbidden):
        access_workspace(desk.budi.user, "bpn", write=True)
    Membership.objects.filter(user=desk.budi.user, workspace__slug="bpn").update(role="liaison")
    with pytest.raises(NotFound):
        access_workspace(desk.budi.user, "bpn")
    Membership.objects.filter(user=desk.budi.user).delete()
    with pytest.raises(NotFound):
        access_workspace(desk.budi.user, "bpn")
