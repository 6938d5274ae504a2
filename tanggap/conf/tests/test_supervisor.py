"""The supervisor of `tanggap serve` / `tanggap worker`: a killed child is started again after
a back-off that grows while it keeps dying, and stop() ends every child. Real processes are
killed; the clock is stepped instead of slept."""

import signal
import subprocess
import sys
import threading

from tanggap.conf.supervisor import MAX_BACKOFF_SECONDS, STABLE_SECONDS, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _spawner(commands):
    started = []

    def spawn(child):
        process = subprocess.Popen(commands[child.name])
        started.append((child.name, process))
        return process

    return spawn, started


def test_a_killed_child_is_restarted_and_stop_ends_them_all(caplog):
    clock = Clock()
    spawn, started = _spawner({"worker-1": SLEEPER, "periodic": SLEEPER})
    supervisor = Supervisor(spawn, clock=clock)
    try:
        worker = supervisor.add("worker-1", ["worker"])
        periodic = supervisor.add("periodic", ["periodic"])
        first_pid = worker.process.pid
        clock.now += STABLE_SECONDS + 5  # it ran long enough to count as healthy
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait()
        supervisor.check()
        assert worker.process.pid == first_pid  # noticed, restarted after one second
        assert (f"worker-1 (pid {first_pid}) exited with code -9 after 65 s; starting it again "
                "in 1 s") in caplog.text
        clock.now += 1
        supervisor.check()
        assert (worker.restarts, periodic.restarts) == (1, 0)
        assert worker.process.pid != first_pid and worker.process.poll() is None
        assert [name for name, _ in started] == ["worker-1", "periodic", "worker-1"]
    finally:
        supervisor.stop()
    assert all(process.poll() is not None for _, process in started)
    # Stopped children are not started again.
    supervisor.check()
    assert len(started) == 3


def test_a_child_that_keeps_dying_is_restarted_ever_more_slowly():
    clock = Clock()
    spawn, started = _spawner({"periodic": CRASHER})
    supervisor = Supervisor(spawn, clock=clock)
    child = supervisor.add("periodic", ["periodic"])
    pauses = []
    try:
        for _ in range(8):
            child.process.wait()
            supervisor.check()
            pauses.append(child.restart_at - clock.now)
            clock.now = child.restart_at
            supervisor.check()
    finally:
        supervisor.stop()
    assert pauses == [1, 2, 4, 8, 16, 32, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]
    assert child.restarts == 8


def test_the_supervision_loop_goes_on_after_a_failed_spawn_and_stops_on_request():
    clock = Clock()
    attempts = []

    def spawn(child):
        attempts.append(child.name)
        if len(attempts) == 2:
            raise OSError("no more processes")
        return subprocess.Popen(CRASHER)

    supervisor = Supervisor(spawn, clock=clock)
    child = supervisor.add("worker-1", ["worker"])
    child.process.wait()
    stop = threading.Event()
    checks = []

    def wait(seconds):
        checks.append(seconds)
        clock.now += 2
        if child.process.poll() is None or len(checks) == 3:
            stop.set()
        else:
            child.process.wait()

    try:
        supervisor.run(stop, wait=wait)
    finally:
        supervisor.stop()
    # 1st check: noticed the exit; 2nd: the spawn failed (logged); 3rd: started again.
    assert attempts == ["worker-1", "worker-1", "worker-1"]
    assert checks == [1.0, 1.0, 1.0]
