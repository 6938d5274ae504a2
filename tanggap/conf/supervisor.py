"""Keeping the child processes of `tanggap serve` and `tanggap worker` alive.

A child that exits is started again, after a pause that doubles while it keeps dying soon
after each start (1, 2, 4 ... up to MAX_BACKOFF_SECONDS: a child that cannot start, e.g. with a
broken setting, is not restarted in a tight loop), and after one second again once it had run
for STABLE_SECONDS. Every exit and restart is logged with the child's name, pid and exit code.
`stop()` sends SIGTERM to every child, waits, and kills what is left.

No Django here; the clock and the way a child is spawned are injected, so tests kill real
processes and step the clock instead of sleeping.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("tanggap.supervisor")

MAX_BACKOFF_SECONDS = 60.0
STABLE_SECONDS = 60.0
CHECK_SECONDS = 1.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    quick_deaths: int = 0  # exits in a row, each soon after its start
    restart_at: float | None = None  # when a dead child is due to start again


class Supervisor:
    def __init__(self, spawn: Callable[[Child], subprocess.Popen], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._spawn = spawn
        self._clock = clock
        self._lock = threading.Lock()
        self._stopping = False
        self.children: list[Child] = []

    def add(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv)
        with self._lock:
            self.children.append(child)
            self._start(child)
        return child

    def _start(self, child: Child) -> None:
        child.process = self._spawn(child)
        child.started_at = self._clock()
        child.restart_at = None
        logger.info("started %s (pid %s)", child.name, child.process.pid)

    def check(self) -> None:
        """Notice children that exited and start those whose pause is over."""
        with self._lock:
            if self._stopping:
                return
            now = self._clock()
            for child in self.children:
                if child.restart_at is None:
                    code = child.process.poll() if child.process else 0
                    if code is None:
                        continue
                    lived = now - child.started_at
                    child.quick_deaths = 0 if lived >= STABLE_SECONDS else child.quick_deaths + 1
                    pause = min(2.0 ** max(child.quick_deaths - 1, 0), MAX_BACKOFF_SECONDS)
                    child.restart_at = now + pause
                    logger.error("%s (pid %s) exited with code %s after %.0f s; starting it "
                                 "again in %.0f s", child.name, child.process.pid, code, lived,
                                 pause)
                if child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self._start(child)

    def run(self, stop: threading.Event, *, wait: Callable[[float], object] | None = None
            ) -> None:
        """check() every CHECK_SECONDS until `stop` is set."""
        wait = wait or stop.wait
        while not stop.is_set():
            try:
                self.check()
            except Exception:
                # A failed spawn (no memory, no file descriptors) is tried again next time.
                logger.exception("supervising the child processes failed; trying again")
            wait(CHECK_SECONDS)

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM to every child, then SIGKILL to those still running after `timeout`."""
        with self._lock:
            self._stopping = True
            running = [c.process for c in self.children
                       if c.process is not None and c.process.poll() is None]
        for process in running:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in running:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
