"""Live events across the processes of one `tanggap serve`, without Redis.

The embedded default runs several processes on one machine: web server processes (each holding
some browsers' websockets), the task worker and the demo simulator. The hub is a tiny relay on a
UNIX socket in the `serve` parent: every process that holds websockets subscribes; any process
publishes; the hub repeats each event to every subscriber, which delivers it to its own
websockets through the in-memory layer. On several machines, use Redis (REDIS_URL) instead.

Lines on the socket are JSON: {"g": group, "m": message}. A subscriber's first line is "SUB"; the
hub answers "SUBSCRIBED" once it repeats events to it, so a `group_add` that returns has joined:
an event published after it (by any process) reaches it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading

from channels.layers import InMemoryChannelLayer

from tanggap.live.fanout import server_loop

logger = logging.getLogger(__name__)

SUBSCRIBE = b"SUB\n"
SUBSCRIBED = b"SUBSCRIBED\n"


class Hub:
    """The relay itself; `start_in_thread` runs it beside the server in the parent process."""

    def __init__(self, path: str):
        self.path = path
        self.subscribers: set[asyncio.StreamWriter] = set()
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            first = await reader.readline()
            if first == SUBSCRIBE:
                self.subscribers.add(writer)
                writer.write(SUBSCRIBED)
            elif first:
                self._broadcast(first)
            while line := await reader.readline():
                self._broadcast(line)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.subscribers.discard(writer)
            writer.close()

    def _broadcast(self, line: bytes) -> None:
        for subscriber in list(self.subscribers):
            if subscriber.is_closing():
                self.subscribers.discard(subscriber)
                continue
            subscriber.write(line)

    async def _run(self) -> None:
        server = await asyncio.start_unix_server(self._serve_client, path=self.path,
                                                 limit=2**20)
        self.ready.set()
        async with server:
            await server.serve_forever()

    def start_in_thread(self) -> None:
        def run():
            self.loop = asyncio.new_event_loop()
            try:
                self.loop.run_until_complete(self._run())
            except asyncio.CancelledError:
                pass

        threading.Thread(target=run, name="tanggap-live-hub", daemon=True).start()
        if not self.ready.wait(timeout=10):
            raise RuntimeError(f"live hub did not start on {self.path}")


class HubChannelLayer(InMemoryChannelLayer):
    """In-memory delivery inside this process, fanned out to the other processes via the hub."""

    def __init__(self, path: str, **kwargs):
        super().__init__(**kwargs)
        self.path = path
        self._subscriber: asyncio.StreamWriter | None = None
        self._subscriber_loop: asyncio.AbstractEventLoop | None = None
        self._subscribing: asyncio.Task | None = None
        # The connection this process publishes on when it has no subscription, kept open on
        # the server's loop (see group_send).
        self._publisher: asyncio.StreamWriter | None = None
        self._publisher_loop: asyncio.AbstractEventLoop | None = None

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        await self._ensure_subscribed()

    async def _ensure_subscribed(self) -> asyncio.StreamWriter | None:
        loop = asyncio.get_running_loop()
        writer = self._subscriber
        if writer is not None and self._subscriber_loop is loop and not writer.is_closing():
            return writer
        # Pages that connect at the same moment share one subscription: two would each deliver
        # every event to this process's websockets.
        pending = self._subscribing
        if pending is None or pending.done() or pending.get_loop() is not loop:
            pending = self._subscribing = loop.create_task(self._subscribe(loop))
        return await asyncio.shield(pending)

    async def _subscribe(self, loop) -> asyncio.StreamWriter | None:
        try:
            reader, writer = await asyncio.open_unix_connection(self.path, limit=2**20)
        except OSError:
            logger.warning("live hub %s unreachable; events stay in this process", self.path)
            return None
        writer.write(SUBSCRIBE)
        try:
            answer = await reader.readline()
        except ConnectionError:
            answer = b""
        if answer != SUBSCRIBED:
            logger.warning("live hub %s did not take the subscription; events stay in this "
                           "process", self.path)
            writer.close()
            return None
        self._subscriber, self._subscriber_loop = writer, loop
        loop.create_task(self._listen(reader))
        return writer

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            try:
                data = json.loads(line)
            except ValueError:
                continue
            await super().group_send(data["g"], data["m"])
        self._subscriber = None

    async def group_send(self, group, message):
        line = (json.dumps({"g": group, "m": message}) + "\n").encode()
        loop = asyncio.get_running_loop()
        writer = self._subscriber
        if writer is not None and self._subscriber_loop is loop and not writer.is_closing():
            writer.write(line)  # the hub echoes it back to us too, through _listen
            await writer.drain()
            return
        if loop is server_loop():
            # A web process without websockets (yet) publishes every inbound's event: on the
            # server's loop, which lives as long as the process, one connection is kept for
            # them all (a connection per event cost a connect, an accept and a close on both
            # sides of the socket per message).
            writer = self._publisher
            if writer is None or self._publisher_loop is not loop or writer.is_closing():
                try:
                    _reader, writer = await asyncio.open_unix_connection(self.path)
                except OSError:
                    await super().group_send(group, message)
                    return
                self._publisher, self._publisher_loop = writer, loop
            try:
                writer.write(line)
                await writer.drain()
            except ConnectionError:
                self._publisher = None
                logger.warning("live hub %s closed the connection; event not relayed", self.path)
            return
        # Any other loop (the worker's, the simulator's: asgiref's one per call) publishes and
        # hangs up, so no connection outlives its loop.
        try:
            _reader, writer = await asyncio.open_unix_connection(self.path)
        except OSError:
            await super().group_send(group, message)
            return
        writer.write(line)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
