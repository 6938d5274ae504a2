"""Pushes from worker threads to the server's event loop (live.fanout): handed over without
waiting, delivered in order, and a burst costs the loop one wake-up.

Deterministic: the test holds the loop busy (a callback that waits on an Event) while the pushes
are handed over, and waits for their delivery on another Event, never on the clock.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from tanggap.live import fanout
from tanggap.testing import WAIT_SECONDS as WAIT


class _CountingLoop(asyncio.SelectorEventLoop):
    """Counts the wake-ups other threads ask of it."""

    wakeups = 0

    def call_soon_threadsafe(self, *args, **kwargs):
        self.wakeups += 1
        return super().call_soon_threadsafe(*args, **kwargs)


class _Layer:
    def __init__(self, expected: int, fail_on: int | None = None):
        self.sent: list[tuple[str, dict]] = []
        self.threads: set[int] = set()
        self.expected, self.fail_on = expected, fail_on
        self.all_sent = threading.Event()

    async def group_send(self, group, message):
        self.threads.add(threading.get_ident())
        self.sent.append((group, message))
        if len(self.sent) == self.expected:
            self.all_sent.set()
        if message["n"] == self.fail_on:
            raise ConnectionError("hub gone")


@pytest.fixture
def server_loop(monkeypatch):
    loop = _CountingLoop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(_remember(), loop).result(WAIT)
    yield loop, thread
    loop.call_soon_threadsafe(loop.stop)
    thread.join(WAIT)
    loop.close()
    monkeypatch.setattr(fanout, "_server_loop", None)


async def _remember():
    fanout.remember_server_loop()


def _hold(loop) -> threading.Event:
    held, release = threading.Event(), threading.Event()

    def busy():
        held.set()
        release.wait(WAIT)

    loop.call_soon_threadsafe(busy)
    assert held.wait(WAIT)
    return release


def test_a_burst_of_pushes_is_one_wake_up_and_arrives_in_order(server_loop):
    loop, thread = server_loop
    layer = _Layer(expected=5)
    release = _hold(loop)
    woken = loop.wakeups
    for n in range(5):  # the answers of one group commit, while the loop is busy elsewhere
        fanout._group_send(layer, "workspace.1", {"n": n})
    assert layer.sent == []  # handed over, not waited for
    release.set()
    assert layer.all_sent.wait(WAIT)
    assert [m["n"] for _g, m in layer.sent] == [0, 1, 2, 3, 4]
    assert loop.wakeups - woken == 1
    assert layer.threads == {thread.ident}  # sent on the server's loop, not the caller's thread


def test_a_failed_push_is_logged_and_the_next_ones_still_go(server_loop, caplog):
    loop, _thread = server_loop
    layer = _Layer(expected=3, fail_on=1)
    release = _hold(loop)
    for n in range(3):
        fanout._group_send(layer, "workspace.1", {"n": n})
    release.set()
    assert layer.all_sent.wait(WAIT)
    assert [m["n"] for _g, m in layer.sent] == [0, 1, 2]
    assert "live message to workspace.1 not delivered" in caplog.text


def test_pushes_beyond_the_bound_are_dropped_while_the_loop_is_stuck(server_loop, monkeypatch,
                                                                        caplog):
    loop, _thread = server_loop
    monkeypatch.setattr(fanout, "MAX_HANDED", 2)
    layer = _Layer(expected=2)
    release = _hold(loop)
    for n in range(3):
        fanout._group_send(layer, "workspace.1", {"n": n})
    release.set()
    assert layer.all_sent.wait(WAIT)
    # The drain ends only after the list is empty; a marker pushed after it proves nothing else
    # was waiting.
    marker = _Layer(expected=1)
    fanout._group_send(marker, "workspace.1", {"n": "marker"})
    assert marker.all_sent.wait(WAIT)
    assert [m["n"] for _g, m in layer.sent] == [0, 1]
    assert "dropped: 2 pushes wait for the server loop" in caplog.text
