"""Working days and working time in a workspace's own calendar: weekends, Indonesia's national
holidays and cuti bersama (from the maintained `holidays` library), the workspace's extra days off,
in its time zone (WIB, WITA, WIT). Referral time limits and SLA clocks both count with it.

Pure functions on aware datetimes: no Django, no database, no clock. Callers build a
`WorkCalendar` from what the workspace stores (`tanggap.workspaces.queries.calendar_of`) and pass
`now` in. Instants come back as aware datetimes in the calendar's zone.
"""

from tanggap.calendar.core import (
    INDONESIAN_ZONES,
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

__all__ = [
    "INDONESIAN_ZONES",
    "WorkCalendar",
    "add_working_days",
    "add_working_time",
    "day_off_reason",
    "is_working_day",
    "national_holidays",
    "next_working_day",
    "validate_time_zone",
    "working_days_between",
    "working_time_between",
]
