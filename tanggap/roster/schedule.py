"""Who works when: the roster's arithmetic, as pure functions (no Django, no database, no clock).

A duty is one member on one shift on one local day. Its instants come from the shift's wall-clock
times on that day in the workspace's zone: a shift whose end is at or before its start ends on the
next day (23:00-07:00), and on a daylight-saving night (a zone Indonesia does not use, but a
workspace may name any zone) it is an hour shorter or longer, as the wall clock says. Instants
come back in UTC.

The duties of a span of days are the weekly pattern's (each slot within its validity), plus the
one-off additions, minus the one-off removals, minus every duty that starts on a day of approved
time off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DESK = "desk"
ON_CALL = "on_call"

# A duty is a night duty when part of it falls in these local hours: the hours the seed's team
# had to negotiate ("ask permission for Saturday night").
NIGHT_START, NIGHT_END = time(0, 0), time(5, 0)


@dataclass(frozen=True)
class ShiftSpec:
    id: int
    name: str
    starts: time
    ends: time

    @property
    def crosses_midnight(self) -> bool:
        return self.ends <= self.starts

    def span(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants when this shift begins and ends if it starts on local day `day`."""
        end_day = day + timedelta(days=1) if self.crosses_midnight else day
        return (datetime.combine(day, self.starts, tzinfo=zone).astimezone(UTC),
                datetime.combine(end_day, self.ends, tzinfo=zone).astimezone(UTC))


@dataclass(frozen=True)
class SlotSpec:
    user_id: int
    shift_id: int
    weekday: int
    kind: str = DESK
    valid_from: date = date.min
    valid_until: date | None = None  # exclusive

    def applies(self, day: date) -> bool:
        return (day.weekday() == self.weekday and day >= self.valid_from
                and (self.valid_until is None or day < self.valid_until))


@dataclass(frozen=True)
class ChangeSpec:
    user_id: int
    shift_id: int
    day: date
    change: str  # "add" or "remove"
    kind: str = DESK


@dataclass(frozen=True)
class Duty:
    user_id: int
    shift_id: int
    day: date
    kind: str
    starts_at: datetime
    ends_at: datetime

    def covers(self, instant: datetime) -> bool:
        return self.starts_at <= instant < self.ends_at

    def overlaps(self, other: Duty) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


def days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def duties(*, shifts: dict[int, ShiftSpec], slots: Iterable[SlotSpec],
           changes: Iterable[ChangeSpec], time_off: Iterable[tuple[int, date, date]],
           first_day: date, last_day: date, zone: ZoneInfo) -> list[Duty]:
    """Every duty that starts on a local day from `first_day` to `last_day`, in start order."""
    wanted: dict[tuple[int, int, date], str] = {}
    slots = list(slots)
    for day in days(first_day, last_day):
        for slot in slots:
            if slot.shift_id in shifts and slot.applies(day):
                wanted[(slot.user_id, slot.shift_id, day)] = slot.kind
    for change in changes:
        if not first_day <= change.day <= last_day or change.shift_id not in shifts:
            continue
        key = (change.user_id, change.shift_id, change.day)
        if change.change == "add":
            wanted[key] = change.kind
        else:
            wanted.pop(key, None)
    away = defaultdict(list)
    for user_id, first, last in time_off:
        away[user_id].append((first, last))
    found = []
    for (user_id, shift_id, day), kind in wanted.items():
        if any(first <= day <= last for first, last in away[user_id]):
            continue
        starts_at, ends_at = shifts[shift_id].span(day, zone)
        found.append(Duty(user_id, shift_id, day, kind, starts_at, ends_at))
    found.sort(key=lambda d: (d.starts_at, d.shift_id, d.user_id))
    return found


def days_around(instant: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local days whose duties may cover `instant`: a shift that began yesterday evening may
    still run (a shift lasts at most a day)."""
    today = instant.astimezone(zone).date()
    return today - timedelta(days=1), today


def on_duty_at(all_duties: Iterable[Duty], instant: datetime) -> list[Duty]:
    return [duty for duty in all_duties if duty.covers(instant)]


def overlapping(all_duties: Iterable[Duty]) -> list[tuple[Duty, Duty]]:
    """Pairs of duties of one member that overlap in time (desk or on call alike: nobody is in
    two places at once)."""
    by_user: dict[int, list[Duty]] = defaultdict(list)
    for duty in all_duties:
        by_user[duty.user_id].append(duty)
    pairs = []
    for mine in by_user.values():
        mine.sort(key=lambda d: d.starts_at)
        for i, duty in enumerate(mine):
            for later in mine[i + 1:]:
                if later.starts_at >= duty.ends_at:
                    break
                pairs.append((duty, later))
    return pairs


def is_night(duty: Duty, zone: ZoneInfo) -> bool:
    """Whether part of the duty falls between NIGHT_START and NIGHT_END local time."""
    for day in days(duty.starts_at.astimezone(zone).date(), duty.ends_at.astimezone(zone).date()):
        night_from = datetime.combine(day, NIGHT_START, tzinfo=zone).astimezone(UTC)
        night_to = datetime.combine(day, NIGHT_END, tzinfo=zone).astimezone(UTC)
        if duty.starts_at < night_to and night_from < duty.ends_at:
            return True
    return False


@dataclass
class Tally:
    """What one member worked over a period (the fairness view)."""

    duties: int = 0
    hours: float = 0.0
    nights: int = 0
    weekends: int = 0
    holidays: int = 0
    on_call: int = 0


def fairness(all_duties: Iterable[Duty], *, zone: ZoneInfo, day_off_reason) -> dict[int, Tally]:
    """Per member: desk duties, their hours, and how many were nights, on a weekend (Saturday or
    Sunday by the day the duty starts) or on a holiday (`day_off_reason(day)` names one other
    than the weekend: a national holiday, cuti bersama or the workspace's own day off); on-call
    duties are counted apart."""
    tallies: dict[int, Tally] = defaultdict(Tally)
    for duty in all_duties:
        tally = tallies[duty.user_id]
        if duty.kind == ON_CALL:
            tally.on_call += 1
            continue
        tally.duties += 1
        tally.hours += duty.hours
        tally.nights += is_night(duty, zone)
        tally.weekends += duty.day.weekday() >= 5
        reason = day_off_reason(duty.day)
        tally.holidays += reason is not None and reason != "weekend"
    return dict(tallies)
