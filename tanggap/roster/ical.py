"""A member's duties as an iCalendar feed (RFC 5545, written by the `icalendar` library): the
last month and the next three, in every workspace they belong to, one event per duty with a
stable UID so calendar apps update rather than duplicate it."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from tanggap.roster import queries, schedule
from tanggap.workspaces.access import memberships_of

PAST_DAYS = 31
FUTURE_DAYS = 92


def feed_for(user, *, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tanggap//roster//ID")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Tanggap: {user.username}")
    for membership in memberships_of(user):
        workspace = membership.workspace
        zone = queries.zone_of(workspace)
        today = now.astimezone(zone).date()
        shifts = queries.shift_specs(workspace.pk)
        for duty in queries.duties(workspace, today - timedelta(days=PAST_DAYS),
                                   today + timedelta(days=FUTURE_DAYS), user_id=user.pk,
                                   zone=zone):
            shift = shifts[duty.shift_id]
            event = Event()
            event.add("uid", f"{workspace.slug}-{duty.shift_id}-{duty.day.isoformat()}-"
                             f"{user.pk}@tanggap")
            on_call = duty.kind == schedule.ON_CALL
            event.add("summary", f"{'Siaga' if on_call else 'Piket'} {shift.name} · "
                                 f"{workspace.name}")
            event.add("dtstart", duty.starts_at)
            event.add("dtend", duty.ends_at)
            event.add("dtstamp", now)
            event.add("transp", "OPAQUE")
            calendar.add_component(event)
    return calendar.to_ical()
