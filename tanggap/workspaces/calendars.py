"""A workspace's working calendar: its time zone, cuti bersama and extra days off (writes, each
audited in its own transaction), and `calendar_of`, the `tanggap.calendar.WorkCalendar` that
referral time limits and SLA clocks count with."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.calendar import WorkCalendar, validate_time_zone
from tanggap.errors import Conflict, InvalidInput, NotFound
from tanggap.workspaces.models import DayOff, Workspace

MAX_DAY_OFF_NAME = 120


def calendar_of(workspace: Workspace, *, working_hours=None) -> WorkCalendar:
    """The workspace's calendar (one query for its days off)."""
    days = frozenset(DayOff.objects.filter(workspace=workspace).values_list("day", flat=True))
    return WorkCalendar(time_zone=workspace.time_zone, days_off=days,
                        cuti_bersama=workspace.cuti_bersama, working_hours=working_hours)


def parse_day(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(_("%(value)r is not a date; write it as YYYY-MM-DD.")
                           % {"value": value}) from None


def set_calendar(*, workspace_id: int, actor, now: datetime, time_zone: str | None = None,
                 cuti_bersama: bool | None = None) -> Workspace:
    """Change the workspace's time zone and/or whether it keeps cuti bersama."""
    if time_zone is not None:
        try:
            validate_time_zone(time_zone)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="time_zone") from None
    if cuti_bersama is not None and not isinstance(cuti_bersama, bool):
        raise InvalidInput(_("'cuti_bersama' must be true or false."), field="cuti_bersama")
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().filter(pk=workspace_id).first()
        if workspace is None:
            raise NotFound()
        before = {"time_zone": workspace.time_zone, "cuti_bersama": workspace.cuti_bersama}
        if time_zone is not None:
            workspace.time_zone = time_zone
        if cuti_bersama is not None:
            workspace.cuti_bersama = cuti_bersama
        after = {"time_zone": workspace.time_zone, "cuti_bersama": workspace.cuti_bersama}
        if after == before:
            return workspace
        workspace.save(update_fields=["time_zone", "cuti_bersama"])
        events.record(workspace_id=workspace.pk, actor=actor, action="workspace.calendar_changed",
                      now=now, obj=workspace, before=before, after=after)
    return workspace


def add_day_off(*, workspace_id: int, actor, day, name: str = "", now: datetime) -> DayOff:
    day = parse_day(day)
    name = (name or "").strip()
    if len(name) > MAX_DAY_OFF_NAME:
        raise InvalidInput(_("The name is longer than %(limit)d characters.")
                           % {"limit": MAX_DAY_OFF_NAME}, field="name")
    try:
        with transaction.atomic():
            day_off = DayOff.objects.create(workspace_id=workspace_id, day=day, name=name,
                                            created_at=now)
            events.record(workspace_id=workspace_id, actor=actor, action="workspace.day_off_added",
                          now=now, obj=day_off, after={"day": day.isoformat(), "name": name})
    except IntegrityError:
        raise Conflict(_("%(day)s is already a day off.") % {"day": day.isoformat()}) from None
    return day_off


def remove_day_off(*, workspace_id: int, actor, day, now: datetime) -> None:
    day = parse_day(day)
    with transaction.atomic():
        day_off = DayOff.objects.filter(workspace_id=workspace_id, day=day).first()
        if day_off is None:
            raise NotFound(_("%(day)s is not a day off.") % {"day": day.isoformat()})
        events.record(workspace_id=workspace_id, actor=actor, action="workspace.day_off_removed",
                      now=now, obj=day_off, before={"day": day.isoformat(), "name": day_off.name})
        day_off.delete()
