"""The account actions close the member's open inboxes at once, through the session-watcher port
that the live room registers: deactivation, removal from the workspace, a password set."""

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.utils import timezone

from tanggap.live.consumers import CLOSE_SESSION_ENDED
from tanggap.live.tests.test_session_end import _closed_with, _login, _socket
from tanggap.workspaces.actions import members, users
from tanggap.workspaces.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)


def _deactivate(desk):
    users.deactivate_user(user_id=desk.budi.user.pk, actor=None, now=timezone.now())


def _remove(desk):
    membership = Membership.objects.get(user=desk.budi.user, workspace=desk.bpn)
    members.remove_member(membership_id=membership.pk, actor=None, now=timezone.now())


def _set_password(desk):
    users.set_password(user_id=desk.budi.user.pk, password="kata-sandi-baru-budi",
                       actor=None, now=timezone.now())


@pytest.mark.parametrize("act", [_deactivate, _remove, _set_password])
async def test_the_members_open_inbox_closes_at_once(tx_desk, act):
    budi = await sync_to_async(_login)("budi")
    ws = await _socket(budi, "budi")
    await sync_to_async(act)(tx_desk)
    # No clock moved: the port's message made the socket re-check its session now.
    assert await _closed_with(ws) == CLOSE_SESSION_ENDED
