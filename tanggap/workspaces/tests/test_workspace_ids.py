"""`workspace_ids_of` (every API list request) from its compiled statement: each user's own
desks, never an integration's or a liaison's, and the change seen at once."""

from django.utils import timezone

from tanggap.workspaces.access import memberships_of, workspace_ids_of
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.models import Membership


def test_each_user_gets_their_own_desks(desk):
    now = timezone.now()
    add_member(workspace=desk.dlh, username="ani", role="auditor", password="", now=now)
    for persona in (desk.ani, desk.budi, desk.luar, desk.gerbang, desk.ani):
        expected = sorted(memberships_of(persona.user).values_list("workspace_id", flat=True))
        assert sorted(workspace_ids_of(persona.user)) == expected
    assert sorted(workspace_ids_of(desk.ani.user)) == sorted([desk.bpn.pk, desk.dlh.pk])
    assert workspace_ids_of(desk.budi.user) == [desk.bpn.pk]
    assert workspace_ids_of(desk.gerbang.user) == []  # an integration account opens no desk
    Membership.objects.filter(user=desk.ani.user, workspace=desk.dlh).update(role="liaison")
    assert workspace_ids_of(desk.ani.user) == [desk.bpn.pk]
    Membership.objects.filter(user=desk.budi.user).delete()
    assert workspace_ids_of(desk.budi.user) == []
