"""The inbox websocket: members receive case events and presence; outsiders are refused."""

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tanggap.asgi import application
from tanggap.cases.actions import claim_case
from tanggap.testing import WAIT_SECONDS as WAIT

pytestmark = pytest.mark.django_db(transaction=True)


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


async def _connect(user, slug):
    cookie = await sync_to_async(_session_cookie)(user)
    communicator = WebsocketCommunicator(
        application, f"/ws/w/{slug}/",
        headers=[(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1"),
                 (b"host", b"127.0.0.1")],
    )
    connected, code = await communicator.connect(timeout=WAIT)
    return communicator, connected, code


async def test_member_receives_claim_event_after_commit(tx_desk):
    case = await sync_to_async(lambda: tx_desk.inbound().case)()
    ws, connected, _ = await _connect(tx_desk.budi.user, "bpn")
    assert connected
    assert await ws.receive_json_from(timeout=WAIT) == {"kind": "hello", "user": "budi"}
    assert await ws.receive_json_from(timeout=WAIT) == {"kind": "presence_query"}
    from django.utils import timezone

    await sync_to_async(claim_case)(case_id=case.pk, actor=tx_desk.ani.user, now=timezone.now())
    event = await ws.receive_json_from(timeout=WAIT)
    assert {k: event[k] for k in ("kind", "reason", "case_id", "claimed_by", "version")} == {
        "kind": "case", "reason": "claim", "case_id": case.pk, "claimed_by": "ani", "version": 2}
    await ws.disconnect()


async def test_presence_is_relayed_to_the_workspace(tx_desk):
    ani, _, _ = await _connect(tx_desk.ani.user, "bpn")
    assert await ani.receive_json_from(timeout=WAIT) == {"kind": "hello", "user": "ani"}
    assert await ani.receive_json_from(timeout=WAIT) == {"kind": "presence_query"}
    budi, _, _ = await _connect(tx_desk.budi.user, "bpn")
    assert await budi.receive_json_from(timeout=WAIT) == {"kind": "hello", "user": "budi"}
    assert await budi.receive_json_from(timeout=WAIT) == {"kind": "presence_query"}
    # Budi's arrival asks the pages already open (Ani's) to announce themselves.
    assert await ani.receive_json_from(timeout=WAIT) == {"kind": "presence_query"}
    await ani.send_json_to({"type": "presence", "case_id": 7, "state": "composing"})
    assert await budi.receive_json_from(timeout=WAIT) == {
        "kind": "presence", "case_id": 7, "user": "ani", "state": "composing"}
    await ani.disconnect()
    # Leaving announces "left" for every case the page was on.
    assert await budi.receive_json_from(timeout=WAIT) == {
        "kind": "presence", "case_id": 7, "user": "ani", "state": "left"}
    await budi.disconnect()


async def test_events_do_not_cross_workspaces(tx_desk):
    case = await sync_to_async(lambda: tx_desk.inbound().case)()
    outsider, connected, _ = await _connect(tx_desk.luar.user, "dlh")
    assert connected
    await outsider.receive_json_from(timeout=WAIT)
    await outsider.receive_json_from(timeout=WAIT)
    from django.utils import timezone

    await sync_to_async(claim_case)(case_id=case.pk, actor=tx_desk.ani.user, now=timezone.now())
    # An event of the outsider's own workspace, published after: had the claim leaked, it would
    # arrive first (one ordered queue per socket), so no waiting for "nothing" is needed.
    own = await sync_to_async(lambda: tx_desk.inbound(channel=tx_desk.dlh_web).case)()
    event = await outsider.receive_json_from(timeout=WAIT)
    assert (event["kind"], event["reason"], event["case_id"]) == ("case", "inbound", own.pk)
    await outsider.disconnect()


async def test_outsider_and_anonymous_are_refused(tx_desk):
    _ws, connected, code = await _connect(tx_desk.luar.user, "bpn")
    assert (connected, code) == (False, 4404)
    anonymous = WebsocketCommunicator(application, "/ws/w/bpn/",
                                      headers=[(b"origin", b"http://127.0.0.1"),
                                               (b"host", b"127.0.0.1")])
    connected, code = await anonymous.connect(timeout=WAIT)
    assert (connected, code) == (False, 4404)


