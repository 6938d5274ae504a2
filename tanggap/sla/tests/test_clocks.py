"""SLA maths, pure and time-frozen: pauses, calendar and working hours across midnight,
weekends and holidays; the policy a case gets."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from tanggap.calendar import WorkCalendar
from tanggap.sla import clocks
from tanggap.sla.clocks import History, Targets
from tanggap.sla.models import SlaPolicy
from tanggap.sla.queries import policy_for

WITA = ZoneInfo("Asia/Makassar")


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=WITA)


H = timedelta(hours=1)


def test_first_response_in_calendar_hours_runs_across_midnight():
    history = History(created_at=at(7, 22))
    state = clocks.compute(history, Targets(first_response=4 * H), now=at(8, 1)).latest(
        "first_response")
    assert (state.due_at, state.breached, state.warn_at) == (at(8, 2), False, at(8, 1, 12))
    late = clocks.compute(history, Targets(first_response=4 * H), now=at(8, 2))
    assert late.breached and late.latest("first_response").pending


def test_a_reply_meets_the_clock_and_a_late_one_is_a_breach():
    on_time = History(created_at=at(7, 8), replies=(at(7, 9),))
    late = History(created_at=at(7, 8), replies=(at(7, 13),))
    targets = Targets(first_response=4 * H)
    assert not clocks.compute(on_time, targets, now=at(9, 0)).breached
    state = clocks.compute(late, targets, now=at(9, 0)).latest("first_response")
    assert (state.met_at, state.due_at, state.breached) == (at(7, 13), at(7, 12), True)


def test_waiting_for_the_citizen_and_a_referral_pause_the_clock():
    # Opened 08:00, waits for the citizen 09:00-11:00, referred 12:00-15:00, running since.
    history = History(created_at=at(7, 8), statuses=(
        (at(7, 9), "menunggu"), (at(7, 11), "baru"), (at(7, 12), "diteruskan"),
        (at(7, 15), "diklaim")))
    state = clocks.compute(history, Targets(resolution=6 * H), now=at(7, 16)).latest("resolution")
    # 1 h + 1 h before the pauses, 4 h more after 15:00.
    assert state.due_at == at(7, 19)
    paused = History(created_at=at(7, 8), statuses=((at(7, 9), "menunggu"),))
    result = clocks.compute(paused, Targets(resolution=6 * H), now=at(9, 0))
    assert (result.paused, result.latest("resolution").due_at, result.breached) == (True, None, False)


def test_working_hours_skip_nights_weekends_and_holidays():
    # 08:00-16:00 working days; Friday 25 December 2026 is Christmas (a national holiday) and
    # 24 December a cuti bersama of 2026 in the library, or a day off the workspace keeps.
    calendar = WorkCalendar(time_zone="Asia/Makassar", working_hours=(time(8), time(16)),
                            days_off=frozenset({date(2026, 12, 24)}))
    targets = Targets(first_response=4 * H, calendar=calendar)
    # Wednesday 23 December 15:00: 1 h that day, then Thursday (day off), Friday (Christmas),
    # the weekend: the other 3 h are on Monday 28 December, 08:00-11:00.
    state = clocks.compute(History(created_at=at(23, 15)), targets, now=at(23, 15)).latest(
        "first_response")
    assert state.due_at == at(28, 11)
    # A message at 22:00 on Monday: the clock starts on Tuesday at 08:00.
    state = clocks.compute(History(created_at=at(7, 22)), targets, now=at(7, 22)).latest(
        "first_response")
    assert state.due_at == at(8, 12)


def test_next_response_clocks_start_when_the_citizen_writes_again():
    history = History(created_at=at(7, 8), inbound=(at(7, 8), at(7, 10), at(7, 10, 5), at(7, 14)),
                      replies=(at(7, 9), at(7, 13)))
    result = clocks.compute(history, Targets(next_response=2 * H), now=at(7, 17))
    turns = [(s.started_at, s.met_at, s.due_at, s.breached) for s in result.states]
    assert turns == [(at(7, 10), at(7, 13), at(7, 12), True),
                     (at(7, 14), None, at(7, 16), True)]


def test_closing_stops_every_clock():
    history = History(created_at=at(7, 8), statuses=((at(7, 9), "selesai"),))
    result = clocks.compute(history, Targets(first_response=4 * H, resolution=8 * H),
                            now=at(10, 0))
    assert not result.breached
    assert result.latest("resolution").met_at == at(7, 9)
    assert result.latest("first_response").due_at is None


def test_a_case_gets_its_most_specific_policy():
    default, aduan, air, aduan_air = (SlaPolicy(name=name, kind=kind, topic=topic)
                                      for name, kind, topic in (("default", "", ""),
                                                                ("aduan", "aduan", ""),
                                                                ("air", "", "air"),
                                                                ("aduan air", "aduan", "air")))
    every = [default, aduan, air, aduan_air]

    def case(kind, topic):
        return SimpleNamespace(kind=kind, topic=topic)

    assert policy_for(every, case("aduan", "air")) is aduan_air
    assert policy_for(every, case("pertanyaan", "air")) is air
    assert policy_for(every, case("aduan", "jalan")) is aduan
    assert policy_for(every, case("pertanyaan", "")) is default
    assert policy_for([aduan, air], case("pertanyaan", "jalan")) is None
    assert policy_for([default, air, aduan], case("aduan", "air")) is air  # topic beats kind
