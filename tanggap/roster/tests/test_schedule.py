"""The roster's arithmetic, pure: midnight, daylight saving, overlaps, time off, fairness."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from tanggap.roster import schedule
from tanggap.roster.schedule import ChangeSpec, ShiftSpec, SlotSpec

WITA = ZoneInfo("Asia/Makassar")
PAGI = ShiftSpec(1, "Pagi", time(7), time(15))
SORE = ShiftSpec(2, "Sore", time(15), time(23))
MALAM = ShiftSpec(3, "Malam", time(23), time(7))
SHIFTS = {s.id: s for s in (PAGI, SORE, MALAM)}
MONDAY = date(2026, 12, 7)


def week(slots, changes=(), time_off=(), zone=WITA, first=MONDAY, days=7):
    from datetime import timedelta

    return schedule.duties(shifts=SHIFTS, slots=slots, changes=changes, time_off=time_off,
                           first_day=first, last_day=first + timedelta(days=days - 1), zone=zone)


def test_a_night_shift_belongs_to_the_day_it_starts_and_covers_the_small_hours_after_midnight():
    duties = week([SlotSpec(10, MALAM.id, 0)])  # Monday night
    assert [(d.day, d.starts_at, d.ends_at) for d in duties] == [
        (MONDAY, datetime(2026, 12, 7, 15, tzinfo=UTC), datetime(2026, 12, 7, 23, tzinfo=UTC))]
    # 02:00 WITA on Tuesday is 18:00 UTC on Monday: still Monday's night shift.
    tuesday_2am = datetime(2026, 12, 8, 2, tzinfo=WITA)
    assert [d.user_id for d in schedule.on_duty_at(duties, tuesday_2am)] == [10]
    assert schedule.days_around(tuesday_2am, WITA) == (MONDAY, date(2026, 12, 8))
    # 07:00 Tuesday the night shift is over (the end is exclusive).
    assert schedule.on_duty_at(duties, datetime(2026, 12, 8, 7, tzinfo=WITA)) == []


def test_a_night_across_a_daylight_saving_change_is_as_long_as_the_wall_clock_says():
    berlin = ZoneInfo("Europe/Berlin")
    # Clocks went forward at 02:00 on Sunday 29 March 2026: the Saturday night lasts 7 hours.
    spring = week([SlotSpec(10, MALAM.id, 5)], zone=berlin, first=date(2026, 3, 23))
    assert [d.hours for d in spring] == [7.0]
    # And back at 03:00 on Sunday 25 October 2026: 9 hours.
    autumn = week([SlotSpec(10, MALAM.id, 5)], zone=berlin, first=date(2026, 10, 19))
    assert [d.hours for d in autumn] == [9.0]
    assert autumn[0].ends_at == datetime(2026, 10, 25, 6, tzinfo=UTC)  # 07:00 CET


def test_a_zone_change_moves_the_instants_with_the_wall_clock():
    wib = week([SlotSpec(10, PAGI.id, 0)], zone=ZoneInfo("Asia/Jakarta"))
    wita = week([SlotSpec(10, PAGI.id, 0)], zone=WITA)
    assert wib[0].starts_at == datetime(2026, 12, 7, 0, tzinfo=UTC)
    assert wita[0].starts_at == datetime(2026, 12, 6, 23, tzinfo=UTC)


def test_overlaps_are_found_across_midnight_and_adjacent_shifts_are_not_overlaps():
    adjacent = week([SlotSpec(10, MALAM.id, 0), SlotSpec(10, PAGI.id, 1)])
    assert schedule.overlapping(adjacent) == []
    early = ShiftSpec(4, "Dini", time(5), time(9))
    shifts = {**SHIFTS, 4: early}
    clash = schedule.duties(shifts=shifts, slots=[SlotSpec(10, MALAM.id, 0),
                                                  SlotSpec(10, early.id, 1)],
                            changes=(), time_off=(), first_day=MONDAY, last_day=MONDAY.replace(day=13),
                            zone=WITA)
    [(one, two)] = schedule.overlapping(clash)
    assert (one.shift_id, one.day, two.shift_id, two.day) == (3, MONDAY, 4, date(2026, 12, 8))
    # Two people on one shift is a team, not an overlap.
    assert schedule.overlapping(week([SlotSpec(10, PAGI.id, 0), SlotSpec(11, PAGI.id, 0)])) == []


def test_validity_changes_and_time_off_shape_the_duties():
    slots = [SlotSpec(10, PAGI.id, wd, valid_from=MONDAY, valid_until=date(2026, 12, 10))
             for wd in range(7)]
    changes = [ChangeSpec(10, PAGI.id, date(2026, 12, 8), "remove"),
               ChangeSpec(11, SORE.id, date(2026, 12, 12), "add", "on_call")]
    duties = week(slots, changes, time_off=[(10, date(2026, 12, 9), date(2026, 12, 9))])
    assert [(d.user_id, d.shift_id, d.day.day, d.kind) for d in duties] == [
        (10, 1, 7, "desk"), (11, 2, 12, "on_call")]


def test_fairness_counts_nights_weekends_and_holidays_per_member():
    slots = [SlotSpec(10, MALAM.id, 5), SlotSpec(11, PAGI.id, 4), SlotSpec(11, SORE.id, 6, "on_call")]
    duties = week(slots)
    # Friday 11 December is made a holiday for the test.
    tallies = schedule.fairness(duties, zone=WITA, day_off_reason=lambda d: (
        "Hari Uji" if d == date(2026, 12, 11) else "weekend" if d.weekday() >= 5 else None))
    assert (tallies[10].duties, tallies[10].nights, tallies[10].weekends, tallies[10].holidays,
            tallies[10].hours) == (1, 1, 1, 0, 8.0)
    assert (tallies[11].duties, tallies[11].nights, tallies[11].weekends, tallies[11].holidays,
            tallies[11].on_call) == (1, 0, 0, 1, 1)
