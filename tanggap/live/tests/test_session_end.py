"""An inbox socket lives only as long as the login that opened it: a logout closes that session's
sockets at once; a deactivated user, a changed password, a removed membership or a deleted
session are noticed by the socket's own re-check before it forwards anything more."""

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from tanggap.asgi import application
from tanggap.cases.actions import claim_case, release_case
from tanggap.live.consumers import CLOSE_SESSION_ENDED, InboxConsumer
from tanggap.live.fanout import recheck_sessions_on_commit
from tanggap.testing import WAIT_SECONDS as WAIT
from tanggap.workspaces.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "kata-sandi-uji"  # the personas' password (tanggap/conftest.py)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance_past_recheck(self):
        self.now += settings.TANGGAP_LIVE_RECHECK_SECONDS + 1


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(InboxConsumer, "clock", staticmethod(fake))
    return fake


def _login(username: str) -> Client:
    client = Client()
    # The login throttle (django-axes) counts per client address, so authenticate with a request.
    assert client.login(request=HttpRequest(), username=username, password=PASSWORD)
    return client


async def _socket(client: Client, username: str, slug: str = "bpn") -> WebsocketCommunicator:
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ws = WebsocketCommunicator(application, f"/ws/w/{slug}/", headers=[
        (b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")])
    connected, _ = await ws.connect(timeout=WAIT)
    assert connected
    assert await ws.receive_json_from(timeout=WAIT) == {"kind": "hello", "user": username}
    assert await ws.receive_json_from(timeout=WAIT) == {"kind": "presence_query"}
    return ws


async def _closed_with(ws: WebsocketCommunicator) -> int | None:
    output = await ws.receive_output(timeout=WAIT)
    return output["code"] if output["type"] == "websocket.close" else None


async def _claim_and_release(desk, case):
    now = timezone.now()
    await sync_to_async(claim_case)(case_id=case.pk, actor=desk.ani.user, now=now)
    await sync_to_async(release_case)(case_id=case.pk, actor=desk.ani.user, now=now)


async def _two_logins(first: str, second: str):
    """Two logins (of one user or two) with a socket each; the first has heard the second come."""
    one, two = await sync_to_async(_login)(first), await sync_to_async(_login)(second)
    one_ws, two_ws = await _socket(one, first), await _socket(two, second)
    assert await one_ws.receive_json_from(timeout=WAIT) == {"kind": "presence_query"}
    return (one, one_ws), (two, two_ws)


async def test_logout_closes_that_sessions_sockets_at_once_and_spares_the_users_others(
        tx_desk, clock):
    case = await sync_to_async(lambda: tx_desk.inbound().case)()
    (office, office_ws), (_phone, phone_ws) = await _two_logins("budi", "budi")

    response = await sync_to_async(office.post)("/logout/")
    assert response.status_code == 302

    assert await _closed_with(office_ws) == CLOSE_SESSION_ENDED
    # The other login of the same user is untouched and still hears the desk.
    await sync_to_async(claim_case)(case_id=case.pk, actor=tx_desk.ani.user, now=timezone.now())
    event = await phone_ws.receive_json_from(timeout=WAIT)
    assert (event["kind"], event["reason"], event["case_id"]) == ("case", "claim", case.pk)
    assert await office_ws.receive_nothing(timeout=0.1)
    await phone_ws.disconnect()


async def test_a_closed_socket_tells_the_others_its_user_left_the_case(tx_desk, clock):
    case = await sync_to_async(lambda: tx_desk.inbound().case)()
    (budi, budi_ws), (_ani, ani_ws) = await _two_logins("budi", "ani")
    await budi_ws.send_json_to({"type": "presence", "case_id": case.pk, "state": "composing"})
    composing = {"kind": "presence", "case_id": case.pk, "user": "budi", "state": "composing"}
    assert await ani_ws.receive_json_from(timeout=WAIT) == composing
    assert await budi_ws.receive_json_from(timeout=WAIT) == composing

    await sync_to_async(budi.post)("/logout/")

    assert await ani_ws.receive_json_from(timeout=WAIT) == {
        "kind": "presence", "case_id": case.pk, "user": "budi", "state": "left"}
    assert await _closed_with(budi_ws) == CLOSE_SESSION_ENDED
    await ani_ws.disconnect()


def _deactivate(user):
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)


def _change_password(user):
    user = get_user_model().objects.get(pk=user.pk)
    user.set_password("kata-sandi-baru-yang-panjang")
    user.save(update_fields=["password"])


def _remove_membership(user):
    Membership.objects.filter(user=user).delete()


def _delete_sessions(user):
    Session.objects.all().delete()


@pytest.mark.parametrize("end_login", [_deactivate, _change_password, _remove_membership,
                                       _delete_sessions])
async def test_an_ended_login_gets_no_event_after_the_recheck_interval(tx_desk, clock, end_login):
    case = await sync_to_async(lambda: tx_desk.inbound().case)()
    budi = await sync_to_async(_login)("budi")
    ws = await _socket(budi, "budi")
    await sync_to_async(end_login)(tx_desk.budi.user)

    clock.advance_past_recheck()
    await _claim_and_release(tx_desk, case)

    assert await _closed_with(ws) == CLOSE_SESSION_ENDED
    assert await ws.receive_nothing(timeout=0.1)


async def test_an_ended_login_cannot_announce_presence_after_the_recheck_interval(tx_desk, clock):
    (_budi, budi_ws), (_ani, ani_ws) = await _two_logins("budi", "ani")
    await sync_to_async(_deactivate)(tx_desk.budi.user)

    clock.advance_past_recheck()
    await budi_ws.send_json_to({"type": "presence", "case_id": 7, "state": "composing"})

    assert await _closed_with(budi_ws) == CLOSE_SESSION_ENDED
    assert await ani_ws.receive_nothing(timeout=0.2)
    await ani_ws.disconnect()


async def test_a_standing_login_keeps_receiving_after_the_recheck(tx_desk, clock):
    case = await sync_to_async(lambda: tx_desk.inbound().case)()
    budi = await sync_to_async(_login)("budi")
    ws = await _socket(budi, "budi")

    clock.advance_past_recheck()
    await sync_to_async(claim_case)(case_id=case.pk, actor=tx_desk.ani.user, now=timezone.now())

    event = await ws.receive_json_from(timeout=WAIT)
    assert (event["kind"], event["reason"]) == ("case", "claim")
    await ws.disconnect()


async def test_a_deactivation_that_tells_the_sockets_closes_them_without_waiting(tx_desk, clock):
    budi = await sync_to_async(_login)("budi")
    ws = await _socket(budi, "budi")

    def deactivate():
        from django.db import transaction

        with transaction.atomic():
            _deactivate(tx_desk.budi.user)
            recheck_sessions_on_commit(tx_desk.budi.user.pk)

    await sync_to_async(deactivate)()

    assert await _closed_with(ws) == CLOSE_SESSION_ENDED
