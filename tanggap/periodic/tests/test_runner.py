"""The periodic runner: due jobs run once per interval across runners, a failing job is
recorded and retried with back-off without stopping the others, a dead runner's lease lapses,
and the loop survives a failing tick. Clocks are injected; nothing sleeps."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from tanggap.periodic import registry
from tanggap.periodic.models import PeriodicJob
from tanggap.periodic.runner import MAX_BACKOFF_SECONDS, Runner, backoff_seconds

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def jobs_under_test():
    names = []

    def add(name, run, **kwargs):
        registry.register(name, run, **kwargs)
        names.append(name)
        return name

    yield add
    for name in names:
        registry.unregister(name)


def test_a_due_job_runs_once_per_interval(db, jobs_under_test):
    runs = []
    name = jobs_under_test("test.tick", lambda ctx: runs.append(ctx.now) or "ok", every=60)
    clock = Clock()
    runner = Runner(only=[name], clock=clock, holder="a")
    assert runner.tick() == 30.0  # next in 60 s; the runner looks again after at most 30
    clock.advance(30)
    runner.tick()
    assert runs == [T0]
    clock.advance(30)
    runner.tick()
    assert runs == [T0, T0 + timedelta(seconds=60)]
    row = PeriodicJob.objects.get(name=name)
    assert (row.runs, row.failures, row.last_summary, row.holder, row.lease_until,
            row.next_run_at) == (2, 0, "ok", "", None, T0 + timedelta(seconds=120))


def test_a_failing_job_is_recorded_backs_off_and_does_not_stop_the_others(db, jobs_under_test):
    calls = {"bad": 0, "good": 0}

    def bad(ctx):
        calls["bad"] += 1
        if calls["bad"] <= 2:
            raise RuntimeError("credentials unreadable")
        return "recovered"

    def good(ctx):
        calls["good"] += 1
        return "fine"

    jobs_under_test("test.bad", bad, every=60)
    jobs_under_test("test.good", good, every=60)
    clock = Clock()
    runner = Runner(only=["test.bad", "test.good"], clock=clock, holder="a")
    runner.tick()
    assert calls == {"bad": 1, "good": 1}
    row = PeriodicJob.objects.get(name="test.bad")
    assert (row.failures, row.last_error, row.next_run_at, row.lease_until) == (
        1, "RuntimeError: credentials unreadable", T0 + timedelta(seconds=120), None)

    clock.advance(60)  # the good job is due again, the failed one backs off
    runner.tick()
    assert calls == {"bad": 1, "good": 2}
    clock.advance(60)
    runner.tick()  # second failure: four intervals
    assert calls == {"bad": 2, "good": 3}
    assert PeriodicJob.objects.get(name="test.bad").next_run_at == clock.now + timedelta(
        seconds=240)
    clock.advance(240)
    runner.tick()
    row = PeriodicJob.objects.get(name="test.bad")
    assert (calls["bad"], row.failures, row.last_error, row.last_summary) == (
        3, 0, "", "recovered")


def test_back_off_doubles_and_is_capped():
    assert [backoff_seconds(60, n) for n in (1, 2, 3, 4)] == [120, 240, 480, 900]
    assert backoff_seconds(60, 30) == MAX_BACKOFF_SECONDS
    assert backoff_seconds(3600, 5) == 3600  # never shorter than the job's own interval


def test_two_runners_never_run_a_job_at_the_same_time(db, jobs_under_test):
    clock = Clock()
    runs = []
    other = {}

    def job(ctx):
        runs.append("a")
        # Another machine's runner looks while this run is under way: it must not run it.
        other["b"].tick()
        other["b"].tick(force=True)
        return "done"

    jobs_under_test("test.once", job, every=60)
    other["b"] = Runner(only=["test.once"], clock=clock, holder="b")
    Runner(only=["test.once"], clock=clock, holder="a").tick()
    assert runs == ["a"]
    # Given back, and not due yet: the other runner still has nothing to do.
    other["b"].tick()
    assert runs == ["a"]


def test_the_lease_of_a_runner_that_died_lapses(db, jobs_under_test):
    runs = []
    jobs_under_test("test.lapse", lambda ctx: runs.append(ctx.now), every=60, lease=300)
    clock = Clock()
    PeriodicJob.objects.create(name="test.lapse", next_run_at=T0, holder="dead:1:x",
                               lease_until=T0 + timedelta(seconds=300))
    runner = Runner(only=["test.lapse"], clock=clock, holder="a")
    runner.tick()
    assert runs == []
    clock.advance(301)
    runner.tick()
    assert runs == [clock.now]
    assert PeriodicJob.objects.get(name="test.lapse").holder == ""


def test_keep_alive_extends_the_lease_and_says_when_it_was_lost(db, jobs_under_test):
    clock = Clock()
    seen = []

    def long_job(ctx):
        clock.advance(250)
        seen.append(ctx.keep_alive())
        seen.append(PeriodicJob.objects.get(name="test.long").lease_until)
        PeriodicJob.objects.filter(name="test.long").update(holder="thief")
        seen.append(ctx.keep_alive())

    jobs_under_test("test.long", long_job, every=60, lease=300)
    Runner(only=["test.long"], clock=clock, holder="a").tick()
    assert seen == [True, T0 + timedelta(seconds=550), False]
    # The run outlived its lease: the thief's hold is left alone.
    assert PeriodicJob.objects.get(name="test.long").holder == "thief"


def test_problems_of_a_run_show_without_a_back_off(db, jobs_under_test):
    def partial(ctx):
        ctx.problem("x kota: RuntimeError: boom")
        return "accounts=1 failed=1"

    jobs_under_test("test.partial", partial, every=60)
    Runner(only=["test.partial"], clock=Clock(), holder="a").tick()
    row = PeriodicJob.objects.get(name="test.partial")
    assert (row.failures, row.last_error, row.last_summary, row.next_run_at) == (
        0, "x kota: RuntimeError: boom", "accounts=1 failed=1", T0 + timedelta(seconds=60))


def test_the_loop_survives_a_failing_tick_and_stops_on_request(db, jobs_under_test):
    runs = []
    jobs_under_test("test.loop", lambda ctx: runs.append(ctx.now), every=60)
    clock = Clock()
    runner = Runner(only=["test.loop"], clock=clock, holder="a")
    real_tick = runner.tick
    ticks = {"n": 0}

    def flaky_tick(**kwargs):
        ticks["n"] += 1
        if ticks["n"] == 1:
            raise ConnectionError("the database went away")
        return real_tick(**kwargs)

    runner.tick = flaky_tick
    stop = threading.Event()
    waits, reconnects = [], []

    def wait(seconds):
        waits.append(seconds)
        clock.advance(60)
        if len(waits) == 3:
            stop.set()

    runner.serve(stop, wait=wait, reconnect=lambda: reconnects.append(True))
    assert (ticks["n"], len(runs), reconnects) == (3, 2, [True])
    assert waits == [10.0, 30.0, 30.0]  # backed off after the failure, then the normal pace


def test_registering_twice_is_harmless_but_a_second_function_is_refused(jobs_under_test):
    def job(ctx):
        return None

    jobs_under_test("test.same", job, every=5)
    registry.register("test.same", job, every=5)
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        registry.register("test.same", lambda ctx: None, every=5)
    with pytest.raises(ImproperlyConfigured, match="no periodic job named test.nope"):
        Runner(only=["test.nope"])


def test_the_desk_registers_the_sweep_and_the_x_poller():
    names = [job.name for job in registry.jobs()]
    assert {"connectors.sweep", "connectors.poll_x"} <= set(names)


def test_the_command_runs_due_jobs_once_and_prints_the_status(db, jobs_under_test, capsys):
    jobs_under_test("test.cmd", lambda ctx: "did it", every=3600)
    call_command("periodic", "--once", "--job", "test.cmd")
    call_command("periodic", "--status", "--job", "test.cmd")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "test.cmd: did it"
    assert out[1].startswith("test.cmd: every 3600 s, next ")
    assert out[1].endswith("runs=1 failures_in_a_row=0 last=did it")
    with pytest.raises(CommandError, match="no periodic job named test.nope"):
        call_command("periodic", "--once", "--job", "test.nope")
