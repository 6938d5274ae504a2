"""Writes of the roster: shifts, the weekly pattern, one-off day changes, time off and swaps.

Each action owns its transaction, takes the acting user's membership and `now`, checks the
result for overlaps (nobody works two shifts at once), and writes an audit event in the same
transaction. Supervisors and admins change the roster; every member asks for time off or a swap,
and a supervisor decides.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.errors import Conflict, Forbidden, InvalidInput, NotFound
from tanggap.roster import queries, schedule
from tanggap.roster.models import (
    OPEN_REQUEST_STATUSES,
    CalendarFeed,
    ChangeKind,
    DayChange,
    DutyKind,
    PatternSlot,
    RequestStatus,
    Shift,
    Swap,
    TimeOff,
)
from tanggap.workspaces.models import WRITER_ROLES, Membership

MAX_NAME = 60
MAX_NOTE = 300
# How far ahead a pattern is checked for overlaps: two weeks covers every pair of weekdays,
# including a night shift running into the next week's Monday.
CHECK_DAYS = 15
# Requests further out than this are a typing error (2062 for 2026).
MAX_DAYS_AHEAD = 366 * 2


def _require_supervisor(membership: Membership) -> None:
    if not membership.can_supervise:
        raise Forbidden(_("Only a supervisor or an admin changes the roster."))


def parse_time(value, field: str) -> time:
    if isinstance(value, time):
        return value
    try:
        parsed = time.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(_("%(field)s: %(value)r is not a time; write it as HH:MM.")
                           % {"field": field, "value": value}, field=field) from None
    if parsed.second or parsed.microsecond or parsed.tzinfo is not None:
        raise InvalidInput(_("%(field)s: write the time as HH:MM.") % {"field": field},
                           field=field)
    return parsed


def parse_day(value, field: str = "day") -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(_("%(field)s: %(value)r is not a date; write it as YYYY-MM-DD.")
                           % {"field": field, "value": value}, field=field) from None


def _clean_note(value, field: str = "reason") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("'%(field)s' must be a string.") % {"field": field}, field=field)
    value = " ".join(value.split())
    if len(value) > MAX_NOTE:
        raise InvalidInput(_("'%(field)s' is longer than %(limit)d characters.")
                           % {"field": field, "limit": MAX_NOTE}, field=field)
    return value


def _kind(value) -> str:
    if value not in DutyKind.values:
        raise InvalidInput(_("The duty must be one of %(choices)s.")
                           % {"choices": ", ".join(DutyKind.values)}, field="kind")
    return value


def _member(workspace_id: int, username) -> Membership:
    """A member of the workspace who can be on duty (writes to the desk)."""
    if not isinstance(username, str):
        raise InvalidInput(_("'user' must be a username."), field="user")
    member = (Membership.objects.filter(workspace_id=workspace_id, user__username=username)
              .select_related("user").first())
    if member is None:
        raise InvalidInput(_("%(name)s is not a member of this workspace.") % {"name": username},
                           field="user")
    if member.role not in WRITER_ROLES:
        raise InvalidInput(_("%(name)s's role cannot be on duty.") % {"name": username},
                           field="user")
    return member


def _shift(workspace_id: int, shift_id, *, live: bool = True) -> Shift:
    shift = Shift.objects.filter(workspace_id=workspace_id, pk=shift_id).first() \
        if isinstance(shift_id, int) or str(shift_id).isdigit() else None
    if shift is None:
        raise NotFound(_("No such shift."))
    if live and shift.retired:
        raise InvalidInput(_("The shift %(name)s is retired.") % {"name": shift.name},
                           field="shift")
    return shift


def _describe(duty: schedule.Duty, shifts: dict[int, schedule.ShiftSpec]) -> str:
    spec = shifts[duty.shift_id]
    return f"{spec.name} {duty.day.isoformat()} {spec.starts:%H:%M}-{spec.ends:%H:%M}"


def _refuse_overlaps(workspace, user, first: date, last: date, *, extra_slots=(),
                     extra_changes=()) -> None:
    """Refuse (InvalidInput) when `user`'s duties from `first` to `last`, with the proposed
    slots and changes, overlap in time. Looks a day either side for night shifts."""
    planned = queries.duties(workspace, first - timedelta(days=1), last + timedelta(days=1),
                             user_id=user.pk, extra_slots=extra_slots,
                             extra_changes=extra_changes)
    pairs = schedule.overlapping(planned)
    if pairs:
        shifts = queries.shift_specs(workspace.pk)
        one, two = pairs[0]
        raise InvalidInput(
            _("%(name)s would work two shifts at once: %(one)s and %(two)s.")
            % {"name": user.username, "one": _describe(one, shifts), "two": _describe(two, shifts)},
            field="shift")


# ---------------------------------------------------------------------------------------------
# Shifts


def add_shift(*, membership: Membership, actor, name: str, starts, ends, now: datetime) -> Shift:
    _require_supervisor(membership)
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise InvalidInput(_("A shift needs a name of 1 to %(limit)d characters.")
                           % {"limit": MAX_NAME}, field="name")
    starts, ends = parse_time(starts, "starts"), parse_time(ends, "ends")
    if starts == ends:
        raise InvalidInput(_("A shift cannot start and end at the same time (a whole day is "
                             "two shifts)."), field="ends")
    try:
        with transaction.atomic():
            shift = Shift.objects.create(workspace_id=membership.workspace_id, name=name.strip(),
                                         starts=starts, ends=ends, created_at=now)
            events.record(workspace_id=membership.workspace_id, actor=actor,
                          action="roster.shift_added", now=now, obj=shift,
                          after={"name": shift.name, "starts": f"{starts:%H:%M}",
                                 "ends": f"{ends:%H:%M}"})
    except IntegrityError:
        raise Conflict(_("There is already a shift named %(name)s.") % {"name": name.strip()}) \
            from None
    return shift


def retire_shift(*, membership: Membership, actor, shift_id, now: datetime) -> Shift:
    """Take a shift out of use: its future duties go, its past stays in the fairness view."""
    _require_supervisor(membership)
    workspace = membership.workspace
    today = now.astimezone(queries.zone_of(workspace)).date()
    with transaction.atomic():
        shift = _shift(workspace.pk, shift_id)
        shift.retired = True
        shift.save(update_fields=["retired"])
        _end_slots(PatternSlot.objects.filter(shift=shift), today)
        DayChange.objects.filter(shift=shift, day__gt=today).delete()
        events.record(workspace_id=workspace.pk, actor=actor, action="roster.shift_retired",
                      now=now, obj=shift, before={"name": shift.name})
    return shift


def _end_slots(slots, today: date) -> None:
    """End slots after today (today's duties stand); slots not begun yet go."""
    tomorrow = today + timedelta(days=1)
    slots.filter(valid_from__gte=tomorrow).delete()
    for slot in slots.filter(valid_from__lt=tomorrow):
        if slot.valid_until is None or slot.valid_until > tomorrow:
            slot.valid_until = tomorrow
            slot.save(update_fields=["valid_until"])


# ---------------------------------------------------------------------------------------------
# The weekly pattern


def set_pattern(*, membership: Membership, actor, username, shift_id, weekdays, kind: str = "desk",
                now: datetime, valid_from=None) -> list[PatternSlot]:
    """`username` works `shift_id` on each of `weekdays` (0 Monday .. 6 Sunday), from
    `valid_from` (default today), as desk duty or on call."""
    _require_supervisor(membership)
    workspace = membership.workspace
    kind = _kind(kind)
    if (not isinstance(weekdays, (list, tuple)) or not weekdays
            or any(isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 6
                   for w in weekdays)):
        raise InvalidInput(_("'weekdays' must be a list of numbers from 0 (Monday) to 6 "
                             "(Sunday)."), field="weekdays")
    today = now.astimezone(queries.zone_of(workspace)).date()
    start = parse_day(valid_from, "valid_from") if valid_from is not None else today
    if start < today:
        raise InvalidInput(_("A pattern cannot start in the past."), field="valid_from")
    with transaction.atomic():
        member = _member(workspace.pk, username)
        shift = _shift(workspace.pk, shift_id)
        existing = PatternSlot.objects.filter(workspace_id=workspace.pk, user=member.user,
                                              shift=shift, weekday__in=weekdays)
        if existing.exclude(valid_until__isnull=False, valid_until__lte=start).exists():
            raise Conflict(_("%(name)s already works %(shift)s on one of these days.")
                           % {"name": member.user.username, "shift": shift.name})
        new = [schedule.SlotSpec(member.user_id, shift.pk, w, kind, start) for w in
               sorted(set(weekdays))]
        _refuse_overlaps(workspace, member.user, start, start + timedelta(days=CHECK_DAYS),
                         extra_slots=new)
        slots = [PatternSlot.objects.create(workspace_id=workspace.pk, user=member.user,
                                            shift=shift, weekday=spec.weekday, kind=kind,
                                            valid_from=start, created_at=now) for spec in new]
        events.record(workspace_id=workspace.pk, actor=actor, action="roster.pattern_set",
                      now=now, obj=shift,
                      after={"user": member.user.username, "shift": shift.name,
                             "weekdays": [s.weekday for s in slots], "kind": kind,
                             "valid_from": start.isoformat()})
    return slots


def end_pattern(*, membership: Membership, actor, username, shift_id, weekdays,
                now: datetime) -> int:
    """`username` no longer works `shift_id` on `weekdays` from tomorrow on."""
    _require_supervisor(membership)
    workspace = membership.workspace
    today = now.astimezone(queries.zone_of(workspace)).date()
    with transaction.atomic():
        member = _member(workspace.pk, username)
        shift = _shift(workspace.pk, shift_id, live=False)
        slots = PatternSlot.objects.filter(workspace_id=workspace.pk, user=member.user,
                                           shift=shift, weekday__in=list(weekdays or ()))
        slots = slots.exclude(valid_until__isnull=False, valid_until__lte=today
                              + timedelta(days=1))
        count = slots.count()
        if not count:
            raise NotFound(_("%(name)s has no such days of %(shift)s.")
                           % {"name": member.user.username, "shift": shift.name})
        _end_slots(slots, today)
        events.record(workspace_id=workspace.pk, actor=actor, action="roster.pattern_ended",
                      now=now, obj=shift,
                      before={"user": member.user.username, "shift": shift.name,
                              "weekdays": sorted(set(weekdays))})
    return count


# ---------------------------------------------------------------------------------------------
# One day


def change_day(*, membership: Membership, actor, username, shift_id, day, change: str,
               kind: str = "desk", now: datetime, source: str = "manual") -> None:
    """Add `username` to `shift_id` on `day` (cover, an extra night) or take them off it."""
    _require_supervisor(membership)
    with transaction.atomic():
        _change_day(membership.workspace, actor, username, shift_id, parse_day(day), change,
                    _kind(kind), now, source)


def _change_day(workspace, actor, username, shift_id, day: date, change: str, kind: str,
                now: datetime, source: str) -> None:
    if change not in ChangeKind.values:
        raise InvalidInput(_("'change' must be add or remove."), field="change")
    today = now.astimezone(queries.zone_of(workspace)).date()
    if day < today - timedelta(days=1):
        raise InvalidInput(_("Past days are history: they cannot be changed."), field="day")
    member = _member(workspace.pk, username)
    shift = _shift(workspace.pk, shift_id, live=change == ChangeKind.ADD)
    user = member.user
    scheduled = {(d.shift_id, d.day) for d in queries.duties(workspace, day, day, user_id=user.pk)}
    on = (shift.pk, day) in scheduled
    if change == ChangeKind.ADD and on:
        raise Conflict(_("%(name)s already works %(shift)s on %(day)s.")
                       % {"name": user.username, "shift": shift.name, "day": day.isoformat()})
    if change == ChangeKind.REMOVE and not on:
        raise Conflict(_("%(name)s does not work %(shift)s on %(day)s.")
                       % {"name": user.username, "shift": shift.name, "day": day.isoformat()})
    if change == ChangeKind.ADD:
        _refuse_overlaps(workspace, user, day, day, extra_changes=[
            schedule.ChangeSpec(user.pk, shift.pk, day, ChangeKind.ADD, kind)])
    # One row per (user, shift, day): an add that undoes a remove (or the reverse) replaces it.
    DayChange.objects.filter(user=user, shift=shift, day=day).delete()
    pattern_has = (shift.pk, day) in {(d.shift_id, d.day) for d in queries.duties(
        workspace, day, day, user_id=user.pk)}
    if (change == ChangeKind.ADD) != pattern_has:
        DayChange.objects.create(workspace_id=workspace.pk, user=user, shift=shift, day=day,
                                 change=change, kind=kind, source=source, created_at=now)
    events.record(workspace_id=workspace.pk, actor=actor, action="roster.day_changed", now=now,
                  obj=shift, after={"user": user.username, "shift": shift.name,
                                    "day": day.isoformat(), "change": change, "kind": kind,
                                    "source": source})


# ---------------------------------------------------------------------------------------------
# Time off


def request_time_off(*, membership: Membership, actor, first_day, last_day, reason: str = "",
                     now: datetime) -> TimeOff:
    if not membership.can_write:
        raise Forbidden()
    first, last = parse_day(first_day, "first_day"), parse_day(last_day, "last_day")
    if last < first:
        raise InvalidInput(_("The last day is before the first."), field="last_day")
    today = now.astimezone(queries.zone_of(membership.workspace)).date()
    if first < today:
        raise InvalidInput(_("Time off cannot start in the past."), field="first_day")
    if (last - today).days > MAX_DAYS_AHEAD or (last - first).days > 366:
        raise InvalidInput(_("Time off must fall within the next two years and last at most "
                             "a year."), field="last_day")
    reason = _clean_note(reason)
    with transaction.atomic():
        overlapping = TimeOff.objects.filter(
            workspace_id=membership.workspace_id, user=actor,
            status__in=(*OPEN_REQUEST_STATUSES, RequestStatus.APPROVED),
            first_day__lte=last, last_day__gte=first)
        if overlapping.exists():
            raise Conflict(_("You already asked for some of these days."))
        time_off = TimeOff.objects.create(workspace_id=membership.workspace_id, user=actor,
                                          first_day=first, last_day=last, reason=reason,
                                          requested_at=now)
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="roster.time_off_requested", now=now, obj=time_off,
                      after={"first_day": first.isoformat(), "last_day": last.isoformat(),
                             "reason": reason})
    return time_off


def _locked_request(model, workspace_id: int, request_id):
    found = model.objects.select_for_update().filter(
        workspace_id=workspace_id, pk=request_id).first() \
        if isinstance(request_id, int) or str(request_id).isdigit() else None
    if found is None:
        raise NotFound()
    return found


def decide_time_off(*, membership: Membership, actor, request_id, approve: bool, note: str = "",
                    now: datetime) -> TimeOff:
    _require_supervisor(membership)
    if not isinstance(approve, bool):
        raise InvalidInput(_("'approve' must be true or false."), field="approve")
    note = _clean_note(note, "note")
    with transaction.atomic():
        time_off = _locked_request(TimeOff, membership.workspace_id, request_id)
        if time_off.status != RequestStatus.WAITING:
            raise Conflict(_("This request was already decided (%(status)s).")
                           % {"status": time_off.get_status_display()})
        time_off.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
        time_off.decided_by, time_off.decided_at, time_off.decision_note = actor, now, note
        time_off.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="roster.time_off_decided", now=now, obj=time_off,
                      before={"status": RequestStatus.WAITING},
                      after={"status": time_off.status, "user": time_off.user.username,
                             "first_day": time_off.first_day.isoformat(),
                             "last_day": time_off.last_day.isoformat(), "note": note})
    return time_off


def cancel_time_off(*, membership: Membership, actor, request_id, now: datetime) -> TimeOff:
    """The member withdraws their own request (or approved days not begun yet)."""
    with transaction.atomic():
        time_off = _locked_request(TimeOff, membership.workspace_id, request_id)
        if time_off.user_id != actor.pk:
            raise Forbidden(_("Only the member who asked can withdraw it."))
        if time_off.status not in (RequestStatus.WAITING, RequestStatus.APPROVED):
            raise Conflict(_("This request is already %(status)s.")
                           % {"status": time_off.get_status_display()})
        before = time_off.status
        time_off.status = RequestStatus.CANCELLED
        time_off.save(update_fields=["status"])
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="roster.time_off_cancelled", now=now, obj=time_off,
                      before={"status": before}, after={"status": time_off.status})
    return time_off


# ---------------------------------------------------------------------------------------------
# Swaps


def request_swap(*, membership: Membership, actor, shift_id, day, colleague,
                 other_shift_id=None, other_day=None, reason: str = "", now: datetime) -> Swap:
    """Give my duty (`shift_id` on `day`) to `colleague`, and take theirs (`other_shift_id` on
    `other_day`) in return when given."""
    if not membership.can_write:
        raise Forbidden()
    workspace = membership.workspace
    day = parse_day(day)
    reason = _clean_note(reason)
    if (other_shift_id is None) != (other_day is None):
        raise InvalidInput(_("Name both the colleague's shift and day, or neither."),
                           field="other_day")
    today = now.astimezone(queries.zone_of(workspace)).date()
    with transaction.atomic():
        mate = _member(workspace.pk, colleague).user
        if mate.pk == actor.pk:
            raise InvalidInput(_("Swap with a colleague, not with yourself."), field="colleague")
        shift = _shift(workspace.pk, shift_id)
        other_shift = _shift(workspace.pk, other_shift_id) if other_shift_id is not None else None
        other = parse_day(other_day, "other_day") if other_day is not None else None
        if day < today or (other is not None and other < today):
            raise InvalidInput(_("Only duties to come can be swapped."), field="day")
        _require_duty(workspace, actor, shift, day)
        if other_shift is not None:
            _require_duty(workspace, mate, other_shift, other)
        swap = Swap.objects.create(workspace_id=workspace.pk, requester=actor, shift=shift,
                                   day=day, colleague=mate, other_shift=other_shift,
                                   other_day=other, reason=reason, requested_at=now)
        events.record(workspace_id=workspace.pk, actor=actor, action="roster.swap_requested",
                      now=now, obj=swap, after=_swap_facts(swap))
    return swap


def _swap_facts(swap: Swap) -> dict:
    return {"requester": swap.requester.username, "shift": swap.shift.name,
            "day": swap.day.isoformat(), "colleague": swap.colleague.username,
            "other_shift": swap.other_shift.name if swap.other_shift_id else None,
            "other_day": swap.other_day.isoformat() if swap.other_day else None,
            "status": swap.status}


def _require_duty(workspace, user, shift: Shift, day: date) -> None:
    if (shift.pk, day) not in {(d.shift_id, d.day) for d in
                               queries.duties(workspace, day, day, user_id=user.pk)}:
        raise InvalidInput(_("%(name)s does not work %(shift)s on %(day)s.")
                           % {"name": user.username, "shift": shift.name,
                              "day": day.isoformat()}, field="day")


def answer_swap(*, membership: Membership, actor, request_id, agree: bool,
                now: datetime) -> Swap:
    """The colleague agrees (the swap goes to a supervisor) or declines (it ends)."""
    if not isinstance(agree, bool):
        raise InvalidInput(_("'agree' must be true or false."), field="agree")
    with transaction.atomic():
        swap = _locked_request(Swap, membership.workspace_id, request_id)
        if swap.colleague_id != actor.pk:
            raise Forbidden(_("Only the colleague named in the swap answers it."))
        if swap.status != RequestStatus.WAITING_COLLEAGUE:
            raise Conflict(_("This swap is already %(status)s.")
                           % {"status": swap.get_status_display()})
        swap.status = RequestStatus.WAITING if agree else RequestStatus.REFUSED
        swap.colleague_agreed_at = now if agree else None
        swap.save(update_fields=["status", "colleague_agreed_at"])
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="roster.swap_answered", now=now, obj=swap,
                      before={"status": RequestStatus.WAITING_COLLEAGUE}, after=_swap_facts(swap))
    return swap


def decide_swap(*, membership: Membership, actor, request_id, approve: bool, note: str = "",
                now: datetime) -> Swap:
    """A supervisor approves (the duties change hands) or refuses a swap the colleague agreed
    to. Refused, with nothing changed, if a duty is no longer where the swap found it or the
    result would put someone on two shifts at once."""
    _require_supervisor(membership)
    if not isinstance(approve, bool):
        raise InvalidInput(_("'approve' must be true or false."), field="approve")
    note = _clean_note(note, "note")
    workspace = membership.workspace
    with transaction.atomic():
        swap = _locked_request(Swap, workspace.pk, request_id)
        if swap.status != RequestStatus.WAITING:
            raise Conflict(_("This swap is %(status)s: only an agreed swap is decided.")
                           % {"status": swap.get_status_display()})
        if approve:
            _apply_swap(workspace, actor, swap, now)
        swap.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
        swap.decided_by, swap.decided_at, swap.decision_note = actor, now, note
        swap.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        events.record(workspace_id=workspace.pk, actor=actor, action="roster.swap_decided",
                      now=now, obj=swap, before={"status": RequestStatus.WAITING},
                      after={**_swap_facts(swap), "note": note})
    return swap


def _apply_swap(workspace, actor, swap: Swap, now: datetime) -> None:
    """The day changes of an approved swap: each duty leaves its member and joins the other's
    roster as the same kind of duty (desk or on call)."""
    source = f"swap:{swap.pk}"
    mine, theirs = swap.requester, swap.colleague
    legs = [(mine, theirs, swap.shift_id, swap.day)]
    if swap.other_shift_id:
        legs.append((theirs, mine, swap.other_shift_id, swap.other_day))
    kinds = [_kind_of(workspace, giver, shift_id, day) for giver, _taker, shift_id, day in legs]
    for (giver, _taker, shift_id, day), kind in zip(legs, kinds, strict=True):
        _change_day(workspace, actor, giver.username, shift_id, day, ChangeKind.REMOVE, kind,
                    now, source)
    for (_giver, taker, shift_id, day), kind in zip(legs, kinds, strict=True):
        _change_day(workspace, actor, taker.username, shift_id, day, ChangeKind.ADD, kind, now,
                    source)


def _kind_of(workspace, user, shift_id: int, day: date) -> str:
    for duty in queries.duties(workspace, day, day, user_id=user.pk):
        if duty.shift_id == shift_id:
            return duty.kind
    raise InvalidInput(_("%(name)s no longer works this duty.") % {"name": user.username},
                       field="day")


def cancel_swap(*, membership: Membership, actor, request_id, now: datetime) -> Swap:
    with transaction.atomic():
        swap = _locked_request(Swap, membership.workspace_id, request_id)
        if swap.requester_id != actor.pk:
            raise Forbidden(_("Only the member who asked can withdraw it."))
        if swap.status not in OPEN_REQUEST_STATUSES:
            raise Conflict(_("This swap is already %(status)s.")
                           % {"status": swap.get_status_display()})
        before = swap.status
        swap.status = RequestStatus.CANCELLED
        swap.save(update_fields=["status"])
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="roster.swap_cancelled", now=now, obj=swap,
                      before={"status": before}, after={"status": swap.status})
    return swap


# ---------------------------------------------------------------------------------------------
# The member's calendar feed


def reset_feed(*, membership: Membership, actor, now: datetime) -> CalendarFeed:
    """A new secret for the member's iCalendar feed URL; the old URL answers 404 from the
    commit on. Audited in the workspace the member did it from (the feed is theirs, whatever
    the workspace)."""
    with transaction.atomic():
        CalendarFeed.objects.filter(user=actor).delete()
        feed = CalendarFeed.objects.create(user=actor, token=secrets.token_urlsafe(32),
                                           created_at=now)
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="roster.feed_reset", now=now, obj=feed)
    return feed
