"""The inbound's token lookup, kept per process while the access generation stays put
(workspaces.access.cached_bearer): kept, it is not read again; each change it is read from is
refused on the very next request, whether this process or another one made it."""

from __future__ import annotations

import json
import multiprocessing

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tanggap.connectors.models import ChannelAccount
from tanggap.workspaces.access import access_generation
from tanggap.workspaces.actions.members import add_member, change_role, remove_member
from tanggap.workspaces.actions.tokens import create_token, revoke_tokens
from tanggap.workspaces.actions.users import deactivate_user
from tanggap.workspaces.models import ApiToken, Membership


def _post(desk, n, *, token=None, channel=None):
    body = {"channel_id": (channel or desk.web).pk, "external_id": f"m{n}",
            "author": {"id": f"w{n}", "name": "Warga"}, "text": "Air PDAM tidak mengalir"}
    if token is None:
        return desk.gerbang.post("/api/v1/inbound", body)
    return desk.gerbang.client.post("/api/v1/inbound", data=json.dumps(body),
                                    content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_a_kept_lookup_is_not_read_again(desk):
    assert _post(desk, 1).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert _post(desk, 2).status_code == 201
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in sqls if "token_hash" in sql]
    assert len([sql for sql in sqls if "workspaces_accessgeneration" in sql]) == 1


@pytest.mark.django_db
def test_what_changes_often_does_not_move_the_generation(desk):
    before = access_generation()
    now = timezone.now()
    ApiToken.objects.update(last_used_at=now)
    get_user_model().objects.update(last_login=now)
    Membership.objects.update(in_training=True)
    ChannelAccount.objects.update(last_webhook_at=now, name="lain")
    assert access_generation() == before
    Membership.objects.filter(pk=Membership.objects.first().pk).update(role="auditor")
    assert access_generation() == before + 1


def _revoke(desk):
    revoke_tokens(user=desk.gerbang.user, actor=desk.gerbang.user, now=timezone.now())


def _remove(desk):
    membership = Membership.objects.get(user=desk.gerbang.user)
    remove_member(membership_id=membership.pk, actor=desk.sari.user, now=timezone.now())


def _deactivate(desk):
    deactivate_user(user_id=desk.gerbang.user.pk, actor=desk.sari.user, now=timezone.now())


def _deactivate_by_hand(desk):
    # As the Django admin or a script would: the user's row alone, the token left in place.
    get_user_model().objects.filter(pk=desk.gerbang.user.pk).update(is_active=False)


# A channel that has taken a message cannot be removed (its cases and their audit trail protect
# it), so only its move is asked here; its removal moves the generation all the same.
def _move_channel(desk):
    ChannelAccount.objects.filter(pk=desk.web.pk).update(workspace=desk.dlh)


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "status"), [
    (_revoke, 401), (_remove, 404), (_deactivate, 401), (_deactivate_by_hand, 401),
    (_move_channel, 404)])
def test_each_change_is_refused_on_the_next_request(desk, change, status):
    assert _post(desk, 1).status_code == 201
    assert _post(desk, 2).status_code == 201  # from what this process kept
    change(desk)
    assert _post(desk, 3).status_code == status


@pytest.mark.django_db
def test_a_demoted_admin_is_refused_at_once(desk):
    now = timezone.now()
    admin = add_member(workspace=desk.bpn, username="kepala", role="admin",
                       password="kata-sandi-uji", now=now)
    add_member(workspace=desk.bpn, username="wakil", role="admin", password="kata-sandi-uji",
               now=now)
    token = create_token(user=admin.user, now=now)
    assert _post(desk, 1, token=token).status_code == 201
    assert _post(desk, 2, token=token).status_code == 201
    change_role(membership_id=admin.pk, role="supervisor", actor=admin.user, now=now)
    assert _post(desk, 3, token=token).status_code == 403


def _revoke_in_child(user_id):
    user = get_user_model().objects.get(pk=user_id)
    revoke_tokens(user=user, actor=user, now=timezone.now())
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_token_revoked_by_another_process_is_refused_at_once(tx_desk):
    assert _post(tx_desk, 1).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert _post(tx_desk, 2).status_code == 201
    assert not [q for q in queries.captured_queries if "token_hash" in q["sql"]]  # kept
    # Fork after closing our connections: the child opens its own to the same test database.
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(
        target=_revoke_in_child, args=(tx_desk.gerbang.user.pk,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert _post(tx_desk, 3).status_code == 401
