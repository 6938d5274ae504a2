"""The periodic SLA check on a real desk: clocks stored, a warning once, a breach recorded once
with the holder told and the supervisor on duty escalated to; pauses from the status history;
the inbox row and the API show the time left."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from tanggap.alerts.models import Notification
from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, ingest_inbound, send_reply, set_case_status
from tanggap.roster.actions import roster as roster_actions
from tanggap.roster.tests.conftest import WITA, membership
from tanggap.sla import actions, queries
from tanggap.sla.checks import check_workspace
from tanggap.sla.models import Breach, BreachWarning, CaseClock

T0 = datetime(2026, 12, 7, 10, tzinfo=WITA)  # Monday: ani on Pagi


@pytest.fixture
def sla_desk(rostered):
    roster_actions.change_day(membership=rostered.supervisor, actor=rostered.sari.user,
                              username="sari", shift_id=rostered.shifts["Pagi"].pk,
                              day="2026-12-07", change="add", now=T0.replace(hour=6))
    actions.set_policy(membership=rostered.supervisor, actor=rostered.sari.user, now=T0,
                       name="Standar", first_response=60, resolution=24 * 60)
    # A long lease: ani still holds her case when the clock runs out.
    rostered.bpn.claim_lease_minutes = 240
    rostered.bpn.save(update_fields=["claim_lease_minutes"])
    return rostered


def arrive(desk, n=1, now=T0, text="Lampu jalan mati"):
    return ingest_inbound(channel=desk.web, external_id=f"m{n}", author_id=f"w{n}",
                          author_name="Warga", text=text, now=now).case


def test_a_breach_is_recorded_once_the_holder_told_and_the_supervisor_on_duty_escalated(sla_desk):
    case = arrive(sla_desk)
    claim_case(case_id=case.pk, actor=sla_desk.ani.user, now=T0)
    assert check_workspace(workspace=sla_desk.bpn, now=T0 + timedelta(minutes=1))["computed"] == 1
    clock = CaseClock.objects.get(case=case)
    assert (clock.first_response_due_at, clock.warn_at) == (T0 + timedelta(hours=1),
                                                           T0 + timedelta(minutes=48))
    # 48 minutes in: the holder is warned, once.
    check_workspace(workspace=sla_desk.bpn, now=T0 + timedelta(minutes=50))
    check_workspace(workspace=sla_desk.bpn, now=T0 + timedelta(minutes=55))
    assert BreachWarning.objects.count() == 1
    assert list(Notification.objects.filter(kind="sla_warning").values_list(
        "user__username", flat=True)) == ["ani"]
    # Past the hour: one breach, however often the check runs.
    for minutes in (61, 62, 90):
        check_workspace(workspace=sla_desk.bpn, now=T0 + timedelta(minutes=minutes))
    breach = Breach.objects.get()
    assert (breach.clock, breach.due_at, breach.holder, breach.escalated_to) == (
        "first_response", T0 + timedelta(hours=1), sla_desk.ani.user, ["sari"])
    assert sorted(Notification.objects.filter(kind__in=["sla_breach", "escalation"])
                  .values_list("kind", "user__username")) == [("escalation", "sari"),
                                                              ("sla_breach", "ani")]
    event = AuditEvent.objects.get(action="sla.breached")
    assert (event.case_id, event.after["holder"]) == (case.pk, "ani")
    view = queries.clocks_for([case], T0 + timedelta(minutes=90))[case.pk]
    assert (view.breached, view.state(T0 + timedelta(minutes=90))) == (True, "breached")


def test_a_late_reply_is_still_recorded_as_a_breach(sla_desk):
    case = arrive(sla_desk)
    claim_case(case_id=case.pk, actor=sla_desk.ani.user, now=T0)
    case.refresh_from_db()
    send_reply(case_id=case.pk, actor=sla_desk.ani.user, text="Terima kasih, segera kami cek.",
               idempotency_key="r1", base_version=case.version,
               now=T0 + timedelta(minutes=70))
    check_workspace(workspace=sla_desk.bpn, now=T0 + timedelta(minutes=71))
    assert list(Breach.objects.values_list("clock", flat=True)) == ["first_response"]
    # Met late: recorded for the reports, nobody woken about a case already answered.
    assert not Notification.objects.filter(kind__in=["sla_breach", "escalation"]).exists()


def test_waiting_for_the_citizen_pauses_the_clock_across_midnight(sla_desk):
    case = arrive(sla_desk, now=T0)
    set_case_status(case_id=case.pk, actor=sla_desk.ani.user, status="menunggu",
                    now=T0 + timedelta(minutes=30))
    next_day = T0 + timedelta(days=1)
    check_workspace(workspace=sla_desk.bpn, now=next_day)
    assert not Breach.objects.exists()
    view = queries.clocks_for([case], next_day)[case.pk]
    assert (view.paused, view.first_response_due_at, view.state(next_day)) == (True, None, "paused")
    # The citizen writes again at 09:00 the next day: 30 minutes are left.
    ingest_inbound(channel=sla_desk.web, external_id="m1b", author_id="w1", author_name="Warga",
                   text="Bagaimana, Pak?", now=next_day - timedelta(hours=1))
    case.refresh_from_db()
    view = queries.clocks_for([case], next_day)[case.pk]
    assert view.first_response_due_at == next_day - timedelta(minutes=30)


def test_working_hours_policies_count_only_the_desks_hours(sla_desk):
    actions.set_policy(membership=sla_desk.supervisor, actor=sla_desk.sari.user, now=T0,
                       name="Jam kerja", kind="aduan", first_response=120, hours="working",
                       working_start=time(8),
                       working_end=time(16))
    friday_evening = datetime(2026, 12, 11, 15, tzinfo=WITA)
    case = arrive(sla_desk, text="Sampah menumpuk, saya mau lapor", now=friday_evening)
    case.kind = "aduan"
    case.save(update_fields=["kind"])
    view = queries.clocks_for([case], friday_evening)[case.pk]
    assert view.policy_name == "Jam kerja"
    # 1 h on Friday, the weekend skipped, 1 h on Monday 14 December.
    assert view.first_response_due_at == datetime(2026, 12, 14, 9, tzinfo=WITA)


def test_bad_policies_are_refused_and_nothing_is_stored(sla_desk):
    from tanggap.errors import Forbidden, InvalidInput
    from tanggap.sla.models import SlaPolicy

    for kwargs in ({"first_response": 0}, {"first_response": None},
                   {"first_response": 10, "hours": "working"}, {"first_response": 10, "kind": "x"}):
        with pytest.raises(InvalidInput):
            actions.set_policy(membership=sla_desk.supervisor, actor=sla_desk.sari.user, now=T0,
                               name="X", topic="air", **kwargs)
    with pytest.raises(Forbidden):
        actions.set_policy(membership=membership(sla_desk, sla_desk.ani), actor=sla_desk.ani.user,
                           now=T0, name="X", first_response=10)
    assert SlaPolicy.objects.count() == 1
