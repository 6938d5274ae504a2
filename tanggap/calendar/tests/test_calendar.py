"""The calendar's arithmetic across weekends, holidays, cuti bersama, days off and time zones."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tanggap.calendar import (
    WorkCalendar,
    add_working_days,
    add_working_time,
    day_off_reason,
    is_working_day,
    national_holidays,
    next_working_day,
    validate_time_zone,
    working_days_between,
    working_time_between,
)

WITA = ZoneInfo("Asia/Makassar")
WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")
BPN = WorkCalendar(time_zone="Asia/Makassar")


def test_a_plain_week_skips_the_weekend():
    friday = datetime(2025, 7, 11, 14, 0, tzinfo=WITA)
    # Mon 14, Tue 15, Wed 16: due at the end of Wednesday, local time.
    assert add_working_days(BPN, friday, 3) == datetime(2025, 7, 17, 0, 0, tzinfo=WITA)
    assert add_working_days(BPN, friday, 5) == datetime(2025, 7, 19, 0, 0, tzinfo=WITA)


def test_independence_day_and_its_cuti_bersama_do_not_count():
    friday = datetime(2025, 8, 15, 10, 0, tzinfo=WITA)
    # Sun 17 is Hari Kemerdekaan; Mon 18 is its cuti bersama: Tue 19, Wed 20, Thu 21.
    assert add_working_days(BPN, friday, 3) == datetime(2025, 8, 22, 0, 0, tzinfo=WITA)
    without_cuti = WorkCalendar(time_zone="Asia/Makassar", cuti_bersama=False)
    assert add_working_days(without_cuti, friday, 3) == datetime(2025, 8, 21, 0, 0, tzinfo=WITA)


def test_lebaran_2025_is_a_long_stretch_of_days_off():
    thursday = datetime(2025, 3, 27, 9, 0, tzinfo=WITA)
    # 28 cuti Nyepi, 29 Nyepi, 30 Sunday, 31 and 1 Idul Fitri, 2-4 cuti, 5-6 weekend, 7 cuti.
    assert next_working_day(BPN, date(2025, 3, 27)) == date(2025, 4, 8)
    assert add_working_days(BPN, thursday, 1) == datetime(2025, 4, 9, 0, 0, tzinfo=WITA)
    assert day_off_reason(BPN, date(2025, 3, 31)) == "Hari Raya Idul Fitri"
    assert day_off_reason(BPN, date(2025, 4, 7)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert day_off_reason(BPN, date(2025, 4, 5)) == "weekend"
    assert day_off_reason(BPN, date(2025, 4, 8)) is None


def test_a_workspace_day_off_counts_like_a_holiday():
    calendar = WorkCalendar(time_zone="Asia/Makassar", days_off=frozenset({date(2025, 7, 15)}))
    friday = datetime(2025, 7, 11, 14, 0, tzinfo=WITA)
    assert day_off_reason(calendar, date(2025, 7, 15)) == "day off"
    assert not is_working_day(calendar, date(2025, 7, 15))
    assert add_working_days(calendar, friday, 3) == datetime(2025, 7, 18, 0, 0, tzinfo=WITA)


def test_the_local_day_decides_in_each_zone():
    # 16:30 UTC on Thursday is 23:30 Thursday in WIB but 00:30 Friday in WITA, 01:30 in WIT.
    instant = datetime(2025, 7, 10, 16, 30, tzinfo=UTC)
    wib = add_working_days(WorkCalendar(time_zone="Asia/Jakarta"), instant, 1)
    wita = add_working_days(BPN, instant, 1)
    wit = add_working_days(WorkCalendar(time_zone="Asia/Jayapura"), instant, 1)
    assert wib == datetime(2025, 7, 12, 0, 0, tzinfo=WIB)       # end of Friday, WIB
    assert wita == datetime(2025, 7, 15, 0, 0, tzinfo=WITA)     # end of Monday, WITA
    assert wit == datetime(2025, 7, 15, 0, 0, tzinfo=WIT)
    assert wita.tzinfo == WITA
    assert wib.astimezone(UTC) == datetime(2025, 7, 11, 17, 0, tzinfo=UTC)


def test_zero_days_is_the_end_of_today_or_the_next_working_day():
    assert add_working_days(BPN, datetime(2025, 7, 9, 8, 0, tzinfo=WITA), 0) == \
        datetime(2025, 7, 10, 0, 0, tzinfo=WITA)
    assert add_working_days(BPN, datetime(2025, 7, 12, 8, 0, tzinfo=WITA), 0) == \
        datetime(2025, 7, 15, 0, 0, tzinfo=WITA)


def test_age_in_working_days():
    monday = datetime(2025, 7, 7, 9, 0, tzinfo=WITA)
    assert working_days_between(BPN, monday, datetime(2025, 7, 9, 8, 0, tzinfo=WITA)) == 2
    assert working_days_between(BPN, monday, datetime(2025, 7, 14, 8, 0, tzinfo=WITA)) == 5
    assert working_days_between(BPN, monday, monday + timedelta(hours=3)) == 0
    assert working_days_between(BPN, monday, monday - timedelta(days=3)) == 0
    # Across Independence Day and its cuti bersama: Tue 19 and Wed 20 only.
    assert working_days_between(BPN, datetime(2025, 8, 15, 9, 0, tzinfo=WITA),
                                datetime(2025, 8, 20, 9, 0, tzinfo=WITA)) == 2


def test_working_time_in_whole_days_and_in_working_hours():
    friday_noon = datetime(2025, 7, 11, 12, 0, tzinfo=WITA)
    monday_noon = datetime(2025, 7, 14, 12, 0, tzinfo=WITA)
    assert working_time_between(BPN, friday_noon, monday_noon) == timedelta(hours=24)
    office = WorkCalendar(time_zone="Asia/Makassar", working_hours=(time(8), time(16)))
    assert working_time_between(office, friday_noon, monday_noon) == timedelta(hours=8)
    assert working_time_between(office, monday_noon, friday_noon) == timedelta(0)
    friday_three = datetime(2025, 7, 11, 15, 0, tzinfo=WITA)
    assert add_working_time(office, friday_three, timedelta(hours=2)) == \
        datetime(2025, 7, 14, 9, 0, tzinfo=WITA)
    # Before opening, the clock starts at opening time.
    early = datetime(2025, 7, 14, 6, 0, tzinfo=WITA)
    assert add_working_time(office, early, timedelta(hours=1)) == \
        datetime(2025, 7, 14, 9, 0, tzinfo=WITA)
    assert add_working_time(office, early, timedelta(0)) == datetime(2025, 7, 14, 8, 0, tzinfo=WITA)


def test_working_time_is_measured_in_real_hours_in_a_zone_with_daylight_saving():
    # Indonesia keeps no daylight saving; a calendar may still name a zone that does, and a day
    # with a clock change is 23 hours long there, not 24.
    europe = WorkCalendar(time_zone="Europe/Amsterdam", weekend=frozenset())
    zone = ZoneInfo("Europe/Amsterdam")
    day_start = datetime(2025, 3, 30, 0, 0, tzinfo=zone)
    next_day = datetime(2025, 3, 31, 0, 0, tzinfo=zone)
    # 2025-03-31 is Idul Fitri, an Indonesian holiday: the span is the 30th alone.
    assert working_time_between(europe, day_start, next_day + timedelta(hours=5)) == \
        timedelta(hours=23)


def test_holidays_come_from_the_library_with_or_without_cuti_bersama():
    with_cuti = national_holidays(2026)
    without = national_holidays(2026, cuti_bersama=False)
    assert with_cuti[date(2026, 8, 17)] == "Hari Kemerdekaan Republik Indonesia"
    assert date(2026, 12, 24) in with_cuti and date(2026, 12, 24) not in without
    assert set(without) < set(with_cuti)


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="naive"):
        add_working_days(BPN, datetime(2025, 7, 11, 14, 0), 3)  # noqa: DTZ001
    with pytest.raises(ValueError, match="unknown time zone 'Asia/Balikpapan'"):
        WorkCalendar(time_zone="Asia/Balikpapan")
    with pytest.raises(ValueError, match="0 or more"):
        add_working_days(BPN, datetime(2025, 7, 11, tzinfo=WITA), -1)
    with pytest.raises(ValueError, match="start before"):
        WorkCalendar(working_hours=(time(16), time(8)))
    with pytest.raises(ValueError, match="working weekday"):
        WorkCalendar(weekend=frozenset(range(7)))
    with pytest.raises(ValueError):
        validate_time_zone("")
    with pytest.raises(ValueError, match="negative"):
        add_working_time(BPN, datetime(2025, 7, 11, tzinfo=WITA), timedelta(hours=-1))
