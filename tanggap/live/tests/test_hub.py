"""The hub carries live events between the processes of one `tanggap serve` (no Redis).

No waiting on the clock: `group_add` returns once the hub has taken the subscription, and "nothing
else arrived" is shown by a marker event sent after it on the same ordered connection.
"""

import asyncio

from tanggap.live.hub import Hub, HubChannelLayer
from tanggap.testing import WAIT_SECONDS as WAIT


def _hub(tmp_path) -> Hub:
    hub = Hub(str(tmp_path / "hub.sock"))
    hub.start_in_thread()
    return hub


async def _received(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), timeout=WAIT)


async def test_event_published_in_one_process_reaches_websockets_of_another(tmp_path):
    hub = _hub(tmp_path)
    web_a, web_b, worker = (HubChannelLayer(hub.path) for _ in range(3))
    a_channel = await web_a.new_channel()
    b_channel = await web_b.new_channel()
    await web_a.group_add("workspace.1", a_channel)
    await web_b.group_add("workspace.1", b_channel)
    await worker.group_send("workspace.1", {"type": "desk.event", "event": {"case_id": 7}})
    assert await _received(web_a, a_channel) == await _received(web_b, b_channel) == {
        "type": "desk.event", "event": {"case_id": 7}}
    # A publisher that also holds websockets hears its own event exactly once: the next event
    # it receives is the one it sent after, not a second copy.
    await web_a.group_send("workspace.1", {"type": "desk.event", "event": {"case_id": 8}})
    await web_a.group_send("workspace.1", {"type": "desk.event", "event": {"case_id": 9}})
    assert [(await _received(web_a, a_channel))["event"] for _ in range(2)] == [
        {"case_id": 8}, {"case_id": 9}]


async def test_groups_stay_separate(tmp_path):
    hub = _hub(tmp_path)
    web, other_web = HubChannelLayer(hub.path), HubChannelLayer(hub.path)
    channel = await web.new_channel()
    await web.group_add("workspace.2", channel)
    # other_web publishes through its own subscription, one ordered connection: had the event
    # for workspace.1 reached `web`, it would arrive before the marker.
    await other_web.group_add("workspace.3", await other_web.new_channel())
    await other_web.group_send("workspace.1", {"type": "desk.event", "event": {"n": 1}})
    await other_web.group_send("workspace.2", {"type": "desk.event", "event": {"marker": True}})
    assert (await _received(web, channel))["event"] == {"marker": True}


async def test_pages_connecting_together_share_one_subscription(tmp_path):
    hub = _hub(tmp_path)
    web, worker = HubChannelLayer(hub.path), HubChannelLayer(hub.path)
    channels = [await web.new_channel() for _ in range(5)]
    await asyncio.gather(*(web.group_add("workspace.1", c) for c in channels))
    assert len(hub.subscribers) == 1
    await worker.group_send("workspace.1", {"type": "desk.event", "event": {"n": 1}})
    for channel in channels:
        assert (await _received(web, channel))["event"] == {"n": 1}


async def test_without_a_hub_events_stay_local(tmp_path):
    layer = HubChannelLayer(str(tmp_path / "missing.sock"))
    channel = await layer.new_channel()
    await layer.group_add("workspace.1", channel)
    await layer.group_send("workspace.1", {"type": "desk.event", "event": {"n": 1}})
    assert (await _received(layer, channel))["event"] == {"n": 1}


async def test_the_server_loop_publishes_on_one_connection_the_others_hang_up(tmp_path,
                                                                              monkeypatch):
    """A web process without websockets keeps one publishing connection on its server loop
    (not one per event); a publisher on any other loop connects and hangs up each time."""
    from tanggap.live import fanout

    hub = _hub(tmp_path)
    web, other, publisher = (HubChannelLayer(hub.path) for _ in range(3))
    channel = await web.new_channel()
    await web.group_add("workspace.1", channel)
    connected = []
    connect = asyncio.open_unix_connection

    async def counting(path, **kwargs):
        connected.append(path)
        return await connect(path, **kwargs)

    monkeypatch.setattr(asyncio, "open_unix_connection", counting)
    monkeypatch.setattr(fanout, "_server_loop", asyncio.get_running_loop())
    for n in range(3):
        await publisher.group_send("workspace.1", {"type": "desk.event", "event": {"n": n}})
    assert [(await _received(web, channel))["event"]["n"] for _ in range(3)] == [0, 1, 2]
    assert len(connected) == 1
    monkeypatch.setattr(fanout, "_server_loop", None)
    for n in range(3, 5):
        await other.group_send("workspace.1", {"type": "desk.event", "event": {"n": n}})
    assert [(await _received(web, channel))["event"]["n"] for _ in range(2)] == [3, 4]
    assert len(connected) == 3
