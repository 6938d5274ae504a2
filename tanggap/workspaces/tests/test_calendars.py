"""A workspace's calendar: stored zone, cuti bersama and days off, audited, and the WorkCalendar
built from them."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from tanggap.audit.models import AuditEvent
from tanggap.calendar import add_working_days
from tanggap.errors import Conflict, InvalidInput, NotFound
from tanggap.workspaces import calendars
from tanggap.workspaces.models import DayOff, Workspace

WITA = ZoneInfo("Asia/Makassar")


def test_calendar_of_uses_the_stored_zone_and_days_off(desk):
    now = timezone.now()
    calendars.set_calendar(workspace_id=desk.bpn.pk, actor=desk.sari.user, now=now,
                           time_zone="Asia/Makassar")
    calendars.add_day_off(workspace_id=desk.bpn.pk, actor=desk.sari.user, day="2025-07-15",
                          name="HUT Kota Balikpapan", now=now)
    workspace = Workspace.objects.get(pk=desk.bpn.pk)
    calendar = calendars.calendar_of(workspace)
    assert calendar.time_zone == "Asia/Makassar"
    assert calendar.days_off == frozenset({date(2025, 7, 15)})
    assert add_working_days(calendar, datetime(2025, 7, 11, 14, tzinfo=WITA), 3) == \
        datetime(2025, 7, 18, 0, 0, tzinfo=WITA)
    # The other workspace's calendar is untouched.
    assert calendars.calendar_of(desk.dlh).days_off == frozenset()
    actions = list(AuditEvent.objects.filter(workspace=desk.bpn).order_by("id")
                   .values_list("action", "actor__username"))
    assert actions[-2:] == [("workspace.calendar_changed", "sari"),
                            ("workspace.day_off_added", "sari")]


@translation.override("en")
def test_bad_input_is_refused_and_stores_nothing(desk):
    now = timezone.now()
    with pytest.raises(InvalidInput, match="unknown time zone"):
        calendars.set_calendar(workspace_id=desk.bpn.pk, actor=None, now=now,
                               time_zone="Asia/Balikpapan")
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        calendars.add_day_off(workspace_id=desk.bpn.pk, actor=None, day="15/07/2025", now=now)
    calendars.add_day_off(workspace_id=desk.bpn.pk, actor=None, day="2025-07-15", now=now)
    with pytest.raises(Conflict, match="already a day off"):
        calendars.add_day_off(workspace_id=desk.bpn.pk, actor=None, day="2025-07-15", now=now)
    with pytest.raises(NotFound):
        calendars.remove_day_off(workspace_id=desk.bpn.pk, actor=None, day="2025-07-16", now=now)
    assert Workspace.objects.get(pk=desk.bpn.pk).time_zone == "Asia/Jakarta"
    assert list(DayOff.objects.values_list("day", flat=True)) == [date(2025, 7, 15)]
    calendars.remove_day_off(workspace_id=desk.bpn.pk, actor=None, day="2025-07-15", now=now)
    assert not DayOff.objects.exists()
    assert AuditEvent.objects.filter(action="workspace.day_off_removed").count() == 1


def test_the_calendar_command(desk):
    out = StringIO()
    call_command("calendar", "set", "bpn", "--time-zone", "Asia/Makassar", "--cuti-bersama", "no",
                 stdout=out)
    assert out.getvalue().splitlines()[0] == "bpn: Asia/Makassar (WITA), cuti bersama no"
    out = StringIO()
    call_command("calendar", "day-off", "add", "bpn", "2026-02-10", "--name", "HUT Balikpapan",
                 stdout=out)
    out = StringIO()
    call_command("calendar", "show", "bpn", "--year", "2026", stdout=out)
    lines = out.getvalue().splitlines()
    assert "day off 2026-02-10 HUT Balikpapan" in lines
    assert "holiday 2026-08-17 Hari Kemerdekaan Republik Indonesia" in lines
    assert not any("Cuti Bersama" in line for line in lines)
    with pytest.raises(CommandError, match="unknown time zone"):
        call_command("calendar", "set", "bpn", "--time-zone", "Mars/Olympus")
    with pytest.raises(CommandError, match="no workspace 'nope'"):
        call_command("calendar", "show", "nope")
