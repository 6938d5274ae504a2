"""SLA maths: pure functions of a case's history, its policy's targets and `now` (passed in,
never read). No Django, no database.

A clock runs only while the case is in a running status: it pauses while the case waits for the
citizen (`menunggu`) and while a responsible body holds it (`diteruskan`), and stops when the
case is closed. Time is counted in calendar time (a 24-hour desk) or in the working time of a
`tanggap.calendar.WorkCalendar` with working hours (an SKPD's desk: weekends, holidays, cuti
bersama and the workspace's days off do not count).

Clocks:
  first_response  from the case's opening to the desk's first reply;
  next_response   from the citizen's first message after a reply to the next reply (one clock
                  per such turn);
  resolution      from the opening to the case's closing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tanggap.calendar import WorkCalendar, add_working_time, working_time_between

PAUSED = frozenset({"menunggu", "diteruskan"})
CLOSED = frozenset({"selesai", "ditutup"})

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"


@dataclass(frozen=True)
class Targets:
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None
    # None: calendar time; a calendar with working hours: working time.
    calendar: WorkCalendar | None = None
    warn_percent: int = 80


@dataclass(frozen=True)
class History:
    created_at: datetime
    # (when, status it moved to), in time order; the opening's "baru" is implied.
    statuses: tuple[tuple[datetime, str], ...] = ()
    inbound: tuple[datetime, ...] = ()
    replies: tuple[datetime, ...] = ()

    def status_at_end(self) -> str:
        return self.statuses[-1][1] if self.statuses else "baru"


@dataclass(frozen=True)
class ClockState:
    clock: str
    started_at: datetime
    target: timedelta
    due_at: datetime | None  # None: paused or stopped before it ran out
    met_at: datetime | None
    warn_at: datetime | None
    breached: bool

    @property
    def pending(self) -> bool:
        return self.met_at is None


@dataclass(frozen=True)
class CaseClocks:
    states: tuple[ClockState, ...] = field(default_factory=tuple)
    paused: bool = False

    def latest(self, clock: str) -> ClockState | None:
        found = [s for s in self.states if s.clock == clock]
        return found[-1] if found else None

    @property
    def breached(self) -> bool:
        return any(s.breached for s in self.states)

    @property
    def running(self) -> list[ClockState]:
        return [s for s in self.states if s.pending and s.due_at is not None]

    @property
    def next_due_at(self) -> datetime | None:
        return min((s.due_at for s in self.running), default=None)

    @property
    def warn_at(self) -> datetime | None:
        return min((s.warn_at for s in self.running if s.warn_at is not None), default=None)


def running_spans(history: History) -> list[tuple[datetime, datetime | None]]:
    """The spans when the clocks run: from each move into a running status to the next move
    out of one (None: still running)."""
    spans: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = history.created_at
    for when, status in history.statuses:
        runs = status not in PAUSED and status not in CLOSED
        if runs and start is None:
            start = when
        elif not runs and start is not None:
            if when > start:
                spans.append((start, when))
            start = None
    if start is not None:
        spans.append((start, None))
    return spans


def _measure(calendar: WorkCalendar | None, start: datetime, end: datetime) -> timedelta:
    if calendar is None:
        return max(end - start, timedelta(0))
    return working_time_between(calendar, start, end)


def _add(calendar: WorkCalendar | None, start: datetime, amount: timedelta) -> datetime:
    if calendar is None:
        return start + amount
    return add_working_time(calendar, start, amount)


def due_at(spans, start: datetime, amount: timedelta,
           calendar: WorkCalendar | None) -> datetime | None:
    """When `amount` of running time has passed since `start`, or None if the clock stopped (a
    pause, the closing) before it ran out."""
    left = amount
    for span_start, span_end in spans:
        begin = max(span_start, start)
        if span_end is not None and span_end <= begin:
            continue
        if span_end is None:
            return _add(calendar, begin, left)
        used = _measure(calendar, begin, span_end)
        if used >= left:
            return _add(calendar, begin, left)
        left -= used
    return None


def _state(clock: str, spans, start: datetime, target: timedelta, met: datetime | None,
           targets: Targets, now: datetime) -> ClockState:
    due = due_at(spans, start, target, targets.calendar)
    warn = due_at(spans, start, target * targets.warn_percent / 100, targets.calendar) \
        if met is None else None
    breached = due is not None and (met > due if met is not None else now >= due)
    return ClockState(clock, start, target, due, met, warn, breached)


def compute(history: History, targets: Targets, now: datetime) -> CaseClocks:
    spans = running_spans(history)
    replies = sorted(history.replies)
    inbound = sorted(history.inbound)
    states = []
    if targets.first_response is not None:
        first_reply = replies[0] if replies else None
        states.append(_state(FIRST_RESPONSE, spans, history.created_at, targets.first_response,
                             first_reply, targets, now))
    if targets.next_response is not None:
        for i, reply in enumerate(replies):
            later = [m for m in inbound if m > reply]
            if not later:
                continue
            asked = later[0]
            if i + 1 < len(replies) and replies[i + 1] < asked:
                continue  # answered again before the citizen wrote: that reply's turn counts
            answered = next((r for r in replies if r > asked), None)
            states.append(_state(NEXT_RESPONSE, spans, asked, targets.next_response, answered,
                                 targets, now))
    if targets.resolution is not None:
        closed_at = None
        if history.status_at_end() in CLOSED:
            closed_at = history.statuses[-1][0]
        states.append(_state(RESOLUTION, spans, history.created_at, targets.resolution,
                             closed_at, targets, now))
    return CaseClocks(tuple(states), paused=history.status_at_end() in PAUSED)
