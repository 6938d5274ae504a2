"""A roster with nobody on duty: recorded once, the supervisors alerted, closed when someone
comes on duty; shown in the top bar."""

from __future__ import annotations

from datetime import datetime

from tanggap.alerts.models import Notification, NotificationState
from tanggap.audit.models import AuditEvent
from tanggap.roster.actions.coverage import check_coverage
from tanggap.roster.models import CoverageGap
from tanggap.roster.tests.conftest import WITA


def test_nobody_on_duty_alerts_the_supervisors_once_and_ends_when_someone_comes(rostered):
    saturday = datetime(2026, 12, 12, 16, tzinfo=WITA)
    assert check_coverage(workspace=rostered.bpn, now=saturday) == "started"
    assert check_coverage(workspace=rostered.bpn, now=saturday.replace(hour=17)) is None
    alert = Notification.objects.get(kind="nobody_on_duty")
    assert (alert.user, alert.state) == (rostered.sari.user, NotificationState.PENDING)
    assert alert.body == "Tidak ada yang bertugas di Pemkot Balikpapan sekarang. Siaga: sari."
    assert AuditEvent.objects.filter(action="roster.nobody_on_duty").count() == 1
    # 23:00: budi's night shift begins.
    assert check_coverage(workspace=rostered.bpn, now=saturday.replace(hour=23)) == "ended"
    gap = CoverageGap.objects.get()
    assert (gap.started_at, gap.ended_at) == (saturday, saturday.replace(hour=23))


def test_the_top_bar_says_who_is_on_duty_or_that_nobody_is(rostered, client, time_machine):
    client.force_login(rostered.ani.user)
    time_machine.move_to(datetime(2026, 12, 7, 10, tzinfo=WITA), tick=False)
    page = client.get("/w/bpn/").content.decode()
    assert 'id="duty-bar"' in page and "ani" in page.split('id="duty-bar"')[1][:200]
    time_machine.move_to(datetime(2026, 12, 12, 16, tzinfo=WITA), tick=False)
    page = client.get("/w/bpn/").content.decode()
    bar = page.split('id="duty-bar"')[0][-60:] + page.split('id="duty-bar"')[1][:200]
    assert "nobody" in bar


def test_a_new_case_while_nobody_is_at_the_desk_alerts_whoever_is_on_call(rostered):
    from tanggap.roster.actions.coverage import alert_unattended

    saturday = datetime(2026, 12, 12, 16, tzinfo=WITA)  # nobody at the desk, sari on call
    case = rostered.inbound(now=saturday).case
    assert alert_unattended(case_id=case.pk, now=saturday) == [rostered.sari.user.pk]
    assert alert_unattended(case_id=case.pk, now=saturday) == []  # once
    alert = Notification.objects.get(kind="new_case")
    assert (alert.user, alert.url) == (rostered.sari.user, f"/w/bpn/cases/{case.pk}/")
    # Monday 10:00: ani is at the desk, nobody is woken.
    monday = datetime(2026, 12, 14, 10, tzinfo=WITA)
    other = rostered.inbound(external_id="m2", author_id="warga2", now=monday).case
    assert alert_unattended(case_id=other.pk, now=monday) == []
