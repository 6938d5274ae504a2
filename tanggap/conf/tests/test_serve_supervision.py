"""`tanggap serve` end to end: a task worker killed with SIGKILL is started again, and SIGTERM
to serve stops every child. Reads serve's log line by line (no sleeps); a watchdog ends the
process group if an expected line never comes."""

import os
import re
import signal
import subprocess
import sys
import threading

import pytest

from tanggap.testing.liveserver import LiveServer

pytestmark = pytest.mark.slow

STARTED = re.compile(r"started (\S+) \(pid (\d+)\)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_restarts_a_killed_worker_and_stops_every_child_on_sigterm():
    with LiveServer.temporary(extra_env={"LOG_LEVEL": "INFO"}) as server:
        server.cli("migrate", "-v", "0")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tanggap.cli", "serve", "--port", str(server.port),
             "--workers", "1"], env=server.env, cwd=server.data_dir, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        watchdog = threading.Timer(180, lambda: os.killpg(proc.pid, signal.SIGKILL))
        watchdog.start()
        seen: list[str] = []

        def started_until(wanted: set[str]) -> dict[str, int]:
            found = {}
            for line in proc.stderr:
                seen.append(line)
                match = STARTED.search(line)
                if match:
                    found[match.group(1)] = int(match.group(2))
                    if wanted <= found.keys():
                        return found
            raise AssertionError("serve ended early:\n" + "".join(seen))

        try:
            first = started_until({"worker-1", "worker-2", "periodic"})
            os.kill(first["worker-1"], signal.SIGKILL)
            again = started_until({"worker-1"})
            assert again["worker-1"] != first["worker-1"]
            assert any(f"worker-1 (pid {first['worker-1']}) exited with code -9" in line
                       for line in seen)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        children = [again["worker-1"], first["worker-2"], first["periodic"]]
        assert [pid for pid in children if _alive(pid)] == []
