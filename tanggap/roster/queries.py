"""Reads of the roster: the duties of a span of days, who is on duty now, a week for the roster
page, the fairness tallies. Always scoped by a workspace that came from an accessor.

Only current members who may write (operators, supervisors, admins) are ever on duty: a member
who left keeps their past duties in the fairness view, never a present one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef

from tanggap.conf import compiled, statements
from tanggap.roster import schedule
from tanggap.roster.models import (
    ChangeKind,
    DayChange,
    PatternSlot,
    RequestStatus,
    RosterSettings,
    Shift,
    TimeOff,
)
from tanggap.workspaces.calendars import calendar_of
from tanggap.workspaces.models import WRITER_ROLES, Membership, Workspace


def zone_of(workspace: Workspace) -> ZoneInfo:
    """The workspace's zone, from its calendar (tanggap.calendar): shifts are its wall clock."""
    return ZoneInfo(workspace.time_zone)


def shift_specs(workspace_id: int, *,
                include_retired: bool = True) -> dict[int, schedule.ShiftSpec]:
    shifts = Shift.objects.filter(workspace_id=workspace_id)
    if not include_retired:
        shifts = shifts.filter(retired=False)
    return {s.pk: schedule.ShiftSpec(s.pk, s.name, s.starts, s.ends) for s in shifts}


@cache
def _roster_sql(vendor: str, one_user: bool) -> str:
    """The roster of a span of days in one statement: whether the desk keeps a roster at all
    (as `is_rostered`), its shifts, and the pattern slots, day changes and approved time off of
    the span (as the ORM filters of `duties` read them before). Dates and times come back as
    text on both databases (a `UNION` column has no declared type for SQLite's driver to parse
    by), read back by `_roster_inputs`."""
    t, c = statements.table, statements.column
    user = " AND {} = %s" if one_user else ""
    slot, change, away = (f"{user.format(c(m, 'user'))}" for m in (PatternSlot, DayChange,
                                                                     TimeOff))

    def text(model, name):
        return f"CAST({c(model, name)} AS TEXT)"

    return " UNION ALL ".join((
        f"SELECT 0, CASE WHEN EXISTS(SELECT 1 FROM {t(PatternSlot)}"
        f" WHERE {c(PatternSlot, 'workspace')} = %s)"
        f" OR EXISTS(SELECT 1 FROM {t(DayChange)} WHERE {c(DayChange, 'workspace')} = %s"
        f" AND {c(DayChange, 'change')} = %s) THEN 1 ELSE 0 END,"
        # Typed: PostgreSQL gives a column of untyped NULLs in the first two parts the type
        # text, which the later parts' integers would not match.
        f" CAST(NULL AS INTEGER), CAST(NULL AS INTEGER), CAST(NULL AS TEXT), CAST(NULL AS TEXT),"
        f" CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)",
        f"SELECT 1, {c(Shift, 'id')}, NULL, NULL, {c(Shift, 'name')}, NULL, NULL,"
        f" {text(Shift, 'starts')}, {text(Shift, 'ends')}"
        f" FROM {t(Shift)} WHERE {c(Shift, 'workspace')} = %s",
        f"SELECT 2, {c(PatternSlot, 'user')}, {c(PatternSlot, 'shift')},"
        f" {c(PatternSlot, 'weekday')}, {c(PatternSlot, 'kind')},"
        f" {text(PatternSlot, 'valid_from')}, {text(PatternSlot, 'valid_until')}, NULL, NULL"
        f" FROM {t(PatternSlot)} WHERE {c(PatternSlot, 'workspace')} = %s"
        f" AND {c(PatternSlot, 'valid_from')} <= %s AND ({c(PatternSlot, 'valid_until')} IS NULL"
        f" OR {c(PatternSlot, 'valid_until')} > %s){slot}",
        f"SELECT 3, {c(DayChange, 'user')}, {c(DayChange, 'shift')}, NULL,"
        f" {c(DayChange, 'kind')}, {text(DayChange, 'day')}, NULL, {c(DayChange, 'change')},"
        f" NULL FROM {t(DayChange)} WHERE {c(DayChange, 'workspace')} = %s"
        f" AND {c(DayChange, 'day')} >= %s AND {c(DayChange, 'day')} <= %s{change}",
        f"SELECT 4, {c(TimeOff, 'user')}, NULL, NULL, NULL, {text(TimeOff, 'first_day')},"
        f" {text(TimeOff, 'last_day')}, NULL, NULL FROM {t(TimeOff)}"
        f" WHERE {c(TimeOff, 'workspace')} = %s AND {c(TimeOff, 'status')} = %s"
        f" AND {c(TimeOff, 'first_day')} <= %s AND {c(TimeOff, 'last_day')} >= %s{away}",
    ))


@dataclass
class _RosterInputs:
    rostered: bool
    shifts: dict[int, schedule.ShiftSpec]
    slots: list[schedule.SlotSpec]
    changes: list[schedule.ChangeSpec]
    time_off: list[tuple[int, date, date]]


def _roster_inputs(workspace_id: int, first_day: date, last_day: date,
                   user_id: int | None = None) -> _RosterInputs:
    """What `schedule.duties` needs for these days, and whether the desk keeps a roster: one
    query (it was six on every page's duty bar of a rostered desk)."""
    day = connection.ops.adapt_datefield_value
    first, last = day(first_day), day(last_day)
    one = [user_id] if user_id is not None else []
    params = [workspace_id, workspace_id, ChangeKind.ADD.value, workspace_id,
              workspace_id, last, first, *one,
              workspace_id, first, last, *one,
              workspace_id, RequestStatus.APPROVED.value, last, first, *one]
    with connection.cursor() as cursor:
        cursor.execute(_roster_sql(connection.vendor, user_id is not None), params)
        fetched = cursor.fetchall()
    found = _RosterInputs(False, {}, [], [], [])
    for part, a, b, weekday, kind, d1, d2, t1, t2 in fetched:
        if part == 0:
            found.rostered = bool(a)
        elif part == 1:
            found.shifts[a] = schedule.ShiftSpec(a, kind, time.fromisoformat(t1),
                                                 time.fromisoformat(t2))
        elif part == 2:
            found.slots.append(schedule.SlotSpec(
                a, b, weekday, kind, date.fromisoformat(d1),
                date.fromisoformat(d2) if d2 is not None else None))
        elif part == 3:
            found.changes.append(schedule.ChangeSpec(a, b, date.fromisoformat(d1), t1, kind))
        else:
            found.time_off.append((a, date.fromisoformat(d1), date.fromisoformat(d2)))
    return found


def duties(workspace: Workspace, first_day: date, last_day: date, *,
           user_id: int | None = None, zone: ZoneInfo | None = None,
           extra_slots=(), extra_changes=(), inputs: _RosterInputs | None = None,
           ) -> list[schedule.Duty]:
    """The duties starting on local days `first_day`..`last_day` (one query, none when
    `inputs` of those days are given)."""
    if inputs is None:
        inputs = _roster_inputs(workspace.pk, first_day, last_day, user_id)
    return schedule.duties(
        shifts=inputs.shifts, slots=[*inputs.slots, *extra_slots],
        changes=[*inputs.changes, *extra_changes], time_off=inputs.time_off,
        first_day=first_day, last_day=last_day, zone=zone or zone_of(workspace))


def writer_ids(workspace_id: int) -> set[int]:
    return set(Membership.objects.filter(workspace_id=workspace_id, role__in=WRITER_ROLES,
                                         user__is_active=True)
               .values_list("user_id", flat=True))


@cache
def _needs_offer_sql(vendor: str) -> str:
    from tanggap.cases.models import Case

    ws = statements.column(Case, "workspace")
    return (
        f"SELECT EXISTS(SELECT 1 FROM {statements.table(RosterSettings)} s"
        f" WHERE s.workspace_id = c.{ws} AND s.fair_assignment = %s)"
        f" OR EXISTS(SELECT 1 FROM {statements.table(PatternSlot)} p"
        f" WHERE p.workspace_id = c.{ws})"
        f" OR EXISTS(SELECT 1 FROM {statements.table(DayChange)} d"
        f" WHERE d.workspace_id = c.{ws} AND d.change = %s)"
        f" FROM {statements.table(Case)} c WHERE c.id = %s")


def needs_offer(case_id: int) -> bool:
    """Whether the case's workspace assigns cases or keeps a roster: otherwise the offer task
    (assignment.offer_case, coverage.alert_unattended) would find nothing to do. One query,
    asked inside the transaction that made the case wait, on every citizen message."""
    row = statements.fetchone(_needs_offer_sql(connection.vendor), [True, ChangeKind.ADD, case_id])
    return bool(row and row[0])


def is_rostered(workspace_id: int) -> bool:
    """Whether the workspace keeps a roster at all (a desk without one is everyone's, always).
    One query, compiled once (tanggap.conf.compiled): it runs on every page's duty bar."""
    return bool(compiled.rows("roster.is_rostered", lambda values: Workspace.objects.filter(
        Exists(PatternSlot.objects.filter(workspace_id=OuterRef("pk")))
        | Exists(DayChange.objects.filter(workspace_id=OuterRef("pk"), change=ChangeKind.ADD)),
        pk=values["workspace_id"],
    ).values_list("pk")[:1], {"workspace_id": int(workspace_id)}))


@dataclass(frozen=True)
class NowOnDuty:
    rostered: bool
    desk: list  # users at the desk now, by username
    on_call: list  # users reachable now, not at the desk
    duties: list[schedule.Duty]

    @property
    def nobody(self) -> bool:
        """A rostered desk with nobody at it now."""
        return self.rostered and not self.desk


def on_duty(workspace: Workspace, now: datetime) -> NowOnDuty:
    """Who is at the desk and on call now: one query for the roster of the days around `now`
    (which also says whether the desk keeps one) and, when someone is on duty, one for those
    who are still writers of the desk."""
    zone = zone_of(workspace)
    first, last = schedule.days_around(now, zone)
    inputs = _roster_inputs(workspace.pk, first, last)
    if not inputs.rostered:
        return NowOnDuty(rostered=False, desk=[], on_call=[], duties=[])
    current = list(schedule.on_duty_at(
        duties(workspace, first, last, zone=zone, inputs=inputs), now))
    ids = {d.user_id for d in current}
    users = {u.pk: u for u in get_user_model().objects.filter(
        pk__in=ids, is_active=True, memberships__workspace_id=workspace.pk,
        memberships__role__in=WRITER_ROLES)} if ids else {}
    current = [d for d in current if d.user_id in users]
    desk = sorted({users[d.user_id] for d in current if d.kind == schedule.DESK},
                  key=lambda u: u.username)
    on_call = sorted({users[d.user_id] for d in current if d.kind == schedule.ON_CALL}
                     - set(desk), key=lambda u: u.username)
    return NowOnDuty(rostered=True, desk=desk, on_call=on_call, duties=current)


def on_duty_ids(workspace: Workspace, now: datetime, *, kind: str = schedule.DESK) -> set[int]:
    now_on = on_duty(workspace, now)
    return {u.pk for u in (now_on.desk if kind == schedule.DESK else now_on.on_call)}


def settings_of(workspace_id: int) -> RosterSettings:
    found = RosterSettings.objects.filter(workspace_id=workspace_id).first()
    return found or RosterSettings(workspace_id=workspace_id)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def fairness(workspace: Workspace, first_day: date, last_day: date) -> list[dict]:
    """Per member who had a duty in the period: duties, hours, nights, weekends, holidays and
    on-call duties, most nights first."""
    zone = zone_of(workspace)
    calendar = calendar_of(workspace)
    from tanggap.calendar import day_off_reason

    tallies = schedule.fairness(duties(workspace, first_day, last_day, zone=zone), zone=zone,
                                day_off_reason=lambda day: day_off_reason(calendar, day))
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=tallies)}
    rows = [{"user": users[user_id], "tally": tally} for user_id, tally in tallies.items()]
    rows.sort(key=lambda r: (-r["tally"].nights, -r["tally"].weekends, r["user"].username))
    return rows


def members(workspace_id: int):
    """The members who can be on duty, by username (the roster page's choices)."""
    return [m.user for m in Membership.objects.filter(
        workspace_id=workspace_id, role__in=WRITER_ROLES, user__is_active=True)
        .select_related("user").order_by("user__username")]


class OpenOffer:
    """An open offer as the lists print it: its case, the colleague offered (`user.username`)
    and the note."""

    __slots__ = ("case_id", "user_id", "note", "user")

    def __init__(self, case_id: int, user_id: int, note: str, username: str):
        self.case_id, self.user_id, self.note = case_id, user_id, note
        self.user = _Colleague(username)


class _Colleague:
    __slots__ = ("username",)

    def __init__(self, username: str):
        self.username = username


def colleague_names(workspace_id: int) -> list[tuple[str, str]]:
    """(username, name) of each member who can be on duty, by username, the name as
    `get_full_name() or username`: the inbox's "Assign to" menu on every page of a writer,
    from a statement compiled once (tanggap.conf.compiled) and three columns of each user."""
    found = compiled.rows(
        "roster.colleague_names",
        lambda values: Membership.objects.filter(
            workspace_id=values["workspace_id"], role__in=WRITER_ROLES, user__is_active=True)
        .order_by("user__username")
        .values_list("user__username", "user__first_name", "user__last_name"),
        {"workspace_id": int(workspace_id)})
    return [(username, f"{first} {last}".strip() or username) for username, first, last in found]


def open_offers(case_ids) -> dict[int, OpenOffer]:
    """The open offer of each of these cases (one query), by case id. Its statement is compiled
    once per number of cases (tanggap.conf.compiled): building an `IN` of a hundred ids was
    most of its cost on every inbox page, which usually finds no offer at all."""
    from tanggap.roster.models import Offer

    ids = [int(pk) for pk in case_ids]
    if not ids:
        return {}
    found = compiled.rows(
        "roster.open_offers",
        lambda values: Offer.objects.filter(case_id__in=values["ids"], ended_at__isnull=True)
        .values_list("case_id", "user_id", "note", "user__username"),
        {"ids": ids})
    return {row[0]: OpenOffer(*row) for row in found}
