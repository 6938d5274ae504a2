"""Roster actions: who is on duty, midnight, zone changes, overlaps refused, time off and swaps
approved by a supervisor (audited), and nothing changed by a refusal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tanggap.audit.models import AuditEvent
from tanggap.errors import Conflict, Forbidden, InvalidInput
from tanggap.roster import queries
from tanggap.roster.actions import roster as actions
from tanggap.roster.models import DayChange, PatternSlot, RequestStatus, Swap, TimeOff
from tanggap.roster.tests.conftest import MONDAY_10, WITA, membership


def names(users):
    return [u.username for u in users]


def test_who_is_on_duty_follows_the_shifts_across_midnight(rostered):
    now_on = queries.on_duty(rostered.bpn, MONDAY_10)
    assert (names(now_on.desk), names(now_on.on_call), now_on.nobody) == (["ani"], [], False)
    # 02:00 on Tuesday: Monday's night shift (23-07) still runs.
    assert names(queries.on_duty(rostered.bpn, datetime(2026, 12, 8, 2, tzinfo=WITA)).desk) == ["budi"]
    # 16:00 on Saturday: nobody at the desk (Sore has nobody), sari on call.
    saturday = queries.on_duty(rostered.bpn, datetime(2026, 12, 12, 16, tzinfo=WITA))
    assert (names(saturday.desk), names(saturday.on_call), saturday.nobody) == ([], ["sari"], True)


def test_the_duty_bar_asks_one_query_and_one_more_when_someone_is_on_duty(
        rostered, django_assert_num_queries):
    """The roster of the days around now in one query (which also says whether the desk keeps
    one), then the writers among those on duty: on every desk page's duty bar."""
    with django_assert_num_queries(2):
        now_on = queries.on_duty(rostered.bpn, MONDAY_10)
    assert (names(now_on.desk), now_on.rostered) == (["ani"], True)
    DayChange.objects.all().delete()
    PatternSlot.objects.filter(user=rostered.ani.user).delete()
    with django_assert_num_queries(1):
        nobody = queries.on_duty(rostered.bpn, MONDAY_10)
    assert (nobody.desk, nobody.on_call, nobody.nobody) == ([], [], True)
    with django_assert_num_queries(1):
        assert queries.on_duty(rostered.dlh, MONDAY_10).rostered is False


def test_a_zone_change_moves_who_is_on_duty_with_the_wall_clock(rostered):
    # 06:30 WITA is 05:30 WIB: under WITA ani's Pagi (07-15) has not begun, budi's night runs.
    instant = datetime(2026, 12, 8, 7, 30, tzinfo=WITA)
    assert names(queries.on_duty(rostered.bpn, instant).desk) == ["ani"]
    rostered.bpn.time_zone = "Asia/Jakarta"
    rostered.bpn.save(update_fields=["time_zone"])
    # The same instant is 06:30 WIB: budi's night shift (until 07:00 WIB) is still on.
    assert names(queries.on_duty(rostered.bpn, instant).desk) == ["budi"]


def test_an_overlapping_pattern_is_refused_and_nothing_is_stored(rostered):
    sari = rostered.supervisor
    dini = actions.add_shift(membership=sari, actor=rostered.sari.user, name="Dini",
                             starts="05:00", ends="09:00", now=MONDAY_10)
    before = PatternSlot.objects.count(), AuditEvent.objects.count()
    # budi works Malam (23-07) every night: a Tuesday 05-09 shift overlaps Monday night's.
    with pytest.raises(InvalidInput) as refused:
        actions.set_pattern(membership=sari, actor=rostered.sari.user, username="budi",
                            shift_id=dini.pk, weekdays=[1], now=MONDAY_10)
    assert str(refused.value.message) == (
        "budi akan bertugas di dua sif sekaligus: Malam 2026-12-07 23:00-07:00 dan "
        "Dini 2026-12-08 05:00-09:00.")
    assert (PatternSlot.objects.count(), AuditEvent.objects.count()) == before


def test_an_overlapping_one_off_day_is_refused(rostered):
    siang = actions.add_shift(membership=rostered.supervisor, actor=rostered.sari.user,
                              name="Siang", starts="12:00", ends="20:00", now=MONDAY_10)
    with pytest.raises(InvalidInput) as refused:
        actions.change_day(membership=rostered.supervisor, actor=rostered.sari.user,
                           username="ani", shift_id=siang.pk, day="2026-12-08", change="add",
                           now=MONDAY_10)
    assert str(refused.value.message) == (
        "ani akan bertugas di dua sif sekaligus: Pagi 2026-12-08 07:00-15:00 dan "
        "Siang 2026-12-08 12:00-20:00.")
    assert not DayChange.objects.exists()
    # Monday's Sore is free for ani: it follows her Pagi without overlap.
    actions.change_day(membership=rostered.supervisor, actor=rostered.sari.user, username="ani",
                       shift_id=rostered.shifts["Sore"].pk, day="2026-12-07", change="add",
                       now=MONDAY_10)
    assert names(queries.on_duty(rostered.bpn, MONDAY_10.replace(hour=16)).desk) == ["ani"]


def test_bad_shift_times_are_refused(rostered):
    for starts, ends in (("07:00", "07:00"), ("7 pagi", "15:00"), ("07:00:30", "15:00")):
        with pytest.raises(InvalidInput):
            actions.add_shift(membership=rostered.supervisor, actor=rostered.sari.user,
                              name="X", starts=starts, ends=ends, now=MONDAY_10)
    with pytest.raises(Conflict):
        actions.add_shift(membership=rostered.supervisor, actor=rostered.sari.user,
                          name="Pagi", starts="06:00", ends="14:00", now=MONDAY_10)


def test_an_operator_cannot_change_the_roster(rostered):
    with pytest.raises(Forbidden):
        actions.add_shift(membership=membership(rostered, rostered.ani), actor=rostered.ani.user,
                          name="X", starts="01:00", ends="02:00", now=MONDAY_10)


def test_time_off_approved_by_a_supervisor_takes_the_duties_off_the_roster(rostered):
    ani = membership(rostered, rostered.ani)
    request = actions.request_time_off(membership=ani, actor=rostered.ani.user,
                                       first_day="2026-12-08", last_day="2026-12-09",
                                       reason="Acara keluarga", now=MONDAY_10)
    tuesday = datetime(2026, 12, 8, 10, tzinfo=WITA)
    assert names(queries.on_duty(rostered.bpn, tuesday).desk) == ["ani"]  # not approved yet
    with pytest.raises(Forbidden):
        actions.decide_time_off(membership=ani, actor=rostered.ani.user, request_id=request.pk,
                                approve=True, now=MONDAY_10)
    actions.decide_time_off(membership=rostered.supervisor, actor=rostered.sari.user,
                            request_id=request.pk, approve=True, note="Silakan", now=MONDAY_10)
    assert queries.on_duty(rostered.bpn, tuesday).nobody
    event = AuditEvent.objects.get(action="roster.time_off_decided")
    assert (event.actor, event.after["status"], event.after["user"]) == (
        rostered.sari.user, "disetujui", "ani")
    with pytest.raises(Conflict):  # decided once
        actions.decide_time_off(membership=rostered.supervisor, actor=rostered.sari.user,
                                request_id=request.pk, approve=False, now=MONDAY_10)
    with pytest.raises(Conflict):  # the same days again
        actions.request_time_off(membership=ani, actor=rostered.ani.user, first_day="2026-12-09",
                                 last_day="2026-12-09", now=MONDAY_10)


def test_time_off_in_the_past_or_backwards_is_refused(rostered):
    ani = membership(rostered, rostered.ani)
    for first, last in (("2026-12-06", "2026-12-08"), ("2026-12-09", "2026-12-08"),
                        ("besok", "2026-12-08")):
        with pytest.raises(InvalidInput):
            actions.request_time_off(membership=ani, actor=rostered.ani.user, first_day=first,
                                     last_day=last, now=MONDAY_10)
    assert not TimeOff.objects.exists()


def test_a_swap_needs_the_colleague_then_a_supervisor_and_moves_the_duties(rostered):
    """Saturday night: budi asks ani to take it, and takes her Monday 14 Pagi in return."""
    budi, ani = membership(rostered, rostered.budi), membership(rostered, rostered.ani)
    swap = actions.request_swap(membership=budi, actor=rostered.budi.user,
                                shift_id=rostered.shifts["Malam"].pk, day="2026-12-12",
                                colleague="ani", other_shift_id=rostered.shifts["Pagi"].pk,
                                other_day="2026-12-14", reason="Malam minggu", now=MONDAY_10)
    with pytest.raises(Conflict):  # the colleague has not agreed
        actions.decide_swap(membership=rostered.supervisor, actor=rostered.sari.user,
                            request_id=swap.pk, approve=True, now=MONDAY_10)
    with pytest.raises(Forbidden):
        actions.answer_swap(membership=budi, actor=rostered.budi.user, request_id=swap.pk,
                            agree=True, now=MONDAY_10)
    actions.answer_swap(membership=ani, actor=rostered.ani.user, request_id=swap.pk, agree=True,
                        now=MONDAY_10)
    actions.decide_swap(membership=rostered.supervisor, actor=rostered.sari.user,
                        request_id=swap.pk, approve=True, now=MONDAY_10)
    saturday_night = datetime(2026, 12, 13, 1, tzinfo=WITA)
    monday_morning = datetime(2026, 12, 14, 9, tzinfo=WITA)
    assert names(queries.on_duty(rostered.bpn, saturday_night).desk) == ["ani"]
    assert names(queries.on_duty(rostered.bpn, monday_morning).desk) == ["budi"]
    assert Swap.objects.get().status == RequestStatus.APPROVED
    assert DayChange.objects.filter(source=f"swap:{swap.pk}").count() == 4
    assert AuditEvent.objects.filter(action="roster.day_changed").count() == 4


def test_a_swap_that_would_overlap_is_refused_whole(rostered):
    """ani gives budi her Monday 14 Pagi: budi's Sunday night runs until 07:00 Monday, fine;
    but his own Monday night follows. Giving him ani's Tuesday Pagi after he swapped... build a
    real clash: a Dini 05-09 shift for ani on Tuesday 15, given to budi (Malam Monday night)."""
    sari = rostered.supervisor
    dini = actions.add_shift(membership=sari, actor=rostered.sari.user, name="Dini",
                             starts="05:00", ends="09:00", now=MONDAY_10)
    actions.change_day(membership=sari, actor=rostered.sari.user, username="ani",
                       shift_id=rostered.shifts["Pagi"].pk, day="2026-12-15", change="remove",
                       now=MONDAY_10)
    actions.change_day(membership=sari, actor=rostered.sari.user, username="ani",
                       shift_id=dini.pk, day="2026-12-15", change="add", now=MONDAY_10)
    swap = actions.request_swap(membership=membership(rostered, rostered.ani),
                                actor=rostered.ani.user, shift_id=dini.pk, day="2026-12-15",
                                colleague="budi", now=MONDAY_10)
    actions.answer_swap(membership=membership(rostered, rostered.budi), actor=rostered.budi.user,
                        request_id=swap.pk, agree=True, now=MONDAY_10)
    changes = DayChange.objects.count()
    with pytest.raises(InvalidInput):
        actions.decide_swap(membership=sari, actor=rostered.sari.user, request_id=swap.pk,
                            approve=True, now=MONDAY_10)
    assert DayChange.objects.count() == changes
    assert Swap.objects.get().status == RequestStatus.WAITING


def test_a_pattern_change_keeps_the_past(rostered):
    later = MONDAY_10 + timedelta(days=3)  # Thursday
    actions.end_pattern(membership=rostered.supervisor, actor=rostered.sari.user, username="ani",
                        shift_id=rostered.shifts["Pagi"].pk, weekdays=[0, 1, 2, 3, 4], now=later)
    worked = queries.duties(rostered.bpn, date(2026, 12, 7), date(2026, 12, 13), user_id=rostered.ani.user.pk)
    # Monday to Thursday stand (Thursday's duty was under way); Friday is gone.
    assert [d.day.day for d in worked] == [7, 8, 9, 10]
