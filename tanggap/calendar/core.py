"""The calendar's arithmetic. See the package docstring for its contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

# The zones a desk in Indonesia runs in, with the names citizens and officers use for them.
INDONESIAN_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

# No limit counted here spans more than a few weeks; a walk this long means bad input (a
# calendar whose every day is off), and it stops with an error rather than looping for ever.
_MAX_DAYS_WALKED = 3660

WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())


def validate_time_zone(name: str) -> ZoneInfo:
    """The zone named `name`, or ValueError saying what was wrong."""
    if not isinstance(name, str) or not name:
        raise ValueError("a time zone name such as Asia/Makassar is needed")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use one of "
                         f"{', '.join(INDONESIAN_ZONES)}") from None


@dataclass(frozen=True)
class WorkCalendar:
    """One desk's working calendar.

    `working_hours` None counts whole working days (a referral's "3 hari kerja"); a (start, end)
    pair counts only those hours of each working day (an SLA's working hours).
    """

    time_zone: str = "Asia/Jakarta"
    days_off: frozenset[date] = field(default_factory=frozenset)
    cuti_bersama: bool = True
    weekend: frozenset[int] = WEEKEND
    working_hours: tuple[time, time] | None = None

    def __post_init__(self) -> None:
        validate_time_zone(self.time_zone)
        if self.working_hours is not None:
            start, end = self.working_hours
            if not start < end:
                raise ValueError("working hours must start before they end")
        if len(self.weekend) >= 7:
            raise ValueError("a calendar needs at least one working weekday")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_date(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.zone).date()


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetimes are refused: pass an aware instant")
    return instant


@cache
def national_holidays(year: int, *, cuti_bersama: bool = True) -> dict[date, str]:
    """Indonesia's national holidays of `year` (and, by default, the government's cuti bersama),
    by date, with their Indonesian names."""
    categories = ("public", "government") if cuti_bersama else ("public",)
    days = holidays.country_holidays("ID", years=year, categories=categories)
    return dict(days.items())


def day_off_reason(calendar: WorkCalendar, day: date) -> str | None:
    """Why `day` is not a working day ("weekend", a holiday's name, "day off"), or None."""
    if day in calendar.days_off:
        return "day off"
    holiday = national_holidays(day.year, cuti_bersama=calendar.cuti_bersama).get(day)
    if holiday is not None:
        return holiday
    if day.weekday() in calendar.weekend:
        return "weekend"
    return None


def is_working_day(calendar: WorkCalendar, day: date) -> bool:
    return day_off_reason(calendar, day) is None


def next_working_day(calendar: WorkCalendar, day: date) -> date:
    """The first working day strictly after `day`."""
    for step in range(1, _MAX_DAYS_WALKED):
        candidate = day + timedelta(days=step)
        if is_working_day(calendar, candidate):
            return candidate
    raise ValueError("no working day found within ten years")


def _window(calendar: WorkCalendar, day: date) -> tuple[datetime, datetime]:
    """The working part of `day` as UTC instants (the whole day without working hours).

    In UTC because Python subtracts two datetimes of one zone by their wall clocks: across a
    daylight-saving change (none in Indonesia, but a calendar may name any zone) that would be
    an hour off."""
    zone = calendar.zone
    if calendar.working_hours is None:
        opens, closes = time.min, time.min
        close_day = day + timedelta(days=1)
    else:
        (opens, closes), close_day = calendar.working_hours, day
    return (datetime.combine(day, opens, tzinfo=zone).astimezone(UTC),
            datetime.combine(close_day, closes, tzinfo=zone).astimezone(UTC))


def add_working_days(calendar: WorkCalendar, start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start`: the end of the `days`-th working day
    after the local day of `start` (so a matter referred on Friday afternoon with 3 working days
    is due at the end of Wednesday, and weekends, holidays and days off do not count).

    0 days means the end of the start's own day if it is a working day, else of the next one.
    """
    _aware(start)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError("days must be a whole number, 0 or more")
    day = calendar.local_date(start)
    if days == 0:
        if not is_working_day(calendar, day):
            day = next_working_day(calendar, day)
    else:
        for _ in range(days):
            day = next_working_day(calendar, day)
    return _window(calendar, day)[1].astimezone(calendar.zone)


def working_days_between(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    """How many working days began after `start`'s local day, up to and including `end`'s: the
    age of a matter in working days (referred Monday, asked on Wednesday: 2). Negative spans
    count 0."""
    first, last = calendar.local_date(start), calendar.local_date(end)
    if last <= first:
        return 0
    if (last - first).days > _MAX_DAYS_WALKED:
        raise ValueError("the span is longer than ten years")
    return sum(1 for step in range(1, (last - first).days + 1)
               if is_working_day(calendar, first + timedelta(days=step)))


def working_time_between(calendar: WorkCalendar, start: datetime, end: datetime) -> timedelta:
    """The working time between two instants: the parts of working days (within working hours,
    if the calendar has them) that fall between `start` and `end`. Negative spans count 0."""
    start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
    total = timedelta(0)
    if end <= start:
        return total
    day, last = calendar.local_date(start), calendar.local_date(end)
    if (last - day).days > _MAX_DAYS_WALKED:
        raise ValueError("the span is longer than ten years")
    while day <= last:
        if is_working_day(calendar, day):
            opens, closes = _window(calendar, day)
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def add_working_time(calendar: WorkCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant when `amount` of working time has passed since `start` (an SLA's deadline of,
    say, 4 working hours). Time outside working days and hours does not count."""
    start = _aware(start).astimezone(UTC)
    if amount < timedelta(0):
        raise ValueError("the amount of working time must not be negative")
    left = amount
    day = calendar.local_date(start)
    for _ in range(_MAX_DAYS_WALKED):
        if is_working_day(calendar, day):
            opens, closes = _window(calendar, day)
            begin = max(opens, start)
            if begin < closes:
                if begin + left <= closes:
                    return (begin + left).astimezone(calendar.zone)
                left -= closes - begin
        day += timedelta(days=1)
    raise ValueError("the amount of working time does not fit within ten years")
