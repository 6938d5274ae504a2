"""The hub carries live events between the processes of one `tanggap serve` (no Redis)."""

import asyncio

import pytest

from tanggap.live.hub import Hub, HubChannelLayer


def _hub(tmp_path) -> Hub:
    hub = Hub(str(tmp_path / "hub.sock"))
    hub.start_in_thread()
    return hub


async def test_event_published_in_one_process_reaches_websockets_of_another(tmp_path):
    hub = _hub(tmp_path)
    web_a, web_b, worker = (HubChannelLayer(hub.path) for _ in range(3))
    a_channel = await web_a.new_channel()
    b_channel = await web_b.new_channel()
    await web_a.group_add("workspace.1", a_channel)
    await web_b.group_add("workspace.1", b_channel)
    await asyncio.sleep(0.05)  # both subscriptions registered at the hub
    await worker.group_send("workspace.1", {"type": "desk.event", "event": {"case_id": 7}})
    got_a = await asyncio.wait_for(web_a.receive(a_channel), timeout=2)
    got_b = await asyncio.wait_for(web_b.receive(b_channel), timeout=2)
    assert got_a == got_b == {"type": "desk.event", "event": {"case_id": 7}}
    # A publisher that also holds websockets hears its own event exactly once.
    await web_a.group_send("workspace.1", {"type": "desk.event", "event": {"case_id": 8}})
    assert (await asyncio.wait_for(web_a.receive(a_channel), timeout=2))["event"] == {
        "case_id": 8}
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(web_a.receive(a_channel), timeout=0.3)


async def test_groups_stay_separate(tmp_path):
    hub = _hub(tmp_path)
    web, worker = HubChannelLayer(hub.path), HubChannelLayer(hub.path)
    channel = await web.new_channel()
    await web.group_add("workspace.2", channel)
    await asyncio.sleep(0.05)
    await worker.group_send("workspace.1", {"type": "desk.event", "event": {}})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(web.receive(channel), timeout=0.3)


async def test_without_a_hub_events_stay_local(tmp_path):
    layer = HubChannelLayer(str(tmp_path / "missing.sock"))
    channel = await layer.new_channel()
    await layer.group_add("workspace.1", channel)
    await layer.group_send("workspace.1", {"type": "desk.event", "event": {"n": 1}})
    assert (await asyncio.wait_for(layer.receive(channel), timeout=1))["event"] == {"n": 1}
