"""The demo's roster and SLA clocks: three WITA shifts that leave no hour of the week without
someone at the desk, the supervisor on call at weekends, fair assignment on, two policies, and
the seeded inbox's open cases on the clock; a second run leaves a roster someone changed alone."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from tanggap.cases.models import CLOSED_STATUSES, Case
from tanggap.demo.tests.test_demo_setup import demo_setup
from tanggap.roster import queries as roster
from tanggap.roster.models import Shift
from tanggap.sla import queries as sla
from tanggap.sla.models import SlaPolicy
from tanggap.workspaces.models import Workspace


@pytest.mark.django_db
def test_the_demo_keeps_a_roster_round_the_clock_and_sla_clocks():
    output = demo_setup()
    assert "clocks set up (/w/balikpapan-demo/roster/)" in output
    workspace = Workspace.objects.get()
    assert workspace.time_zone == "Asia/Makassar"
    assert sorted(Shift.objects.values_list("name", "starts", "ends")) == [
        ("Malam", time(23), time(7)), ("Pagi", time(7), time(15)), ("Sore", time(15), time(23))]
    zone = roster.zone_of(workspace)
    tomorrow = (timezone.now().astimezone(zone) + timedelta(days=1)).replace(
        hour=0, minute=30, second=0, microsecond=0)
    on_call_hours = 0
    for hour in range(7 * 24):
        now_on = roster.on_duty(workspace, tomorrow + timedelta(hours=hour))
        assert now_on.desk, f"nobody at the desk {tomorrow + timedelta(hours=hour)}"
        on_call_hours += [u.username for u in now_on.on_call] == ["hendra"]
    assert on_call_hours == 2 * 8  # Saturday and Sunday mornings
    assert roster.settings_of(workspace.pk).fair_assignment
    assert sorted(SlaPolicy.objects.values_list("name", "kind", "hours")) == [
        ("Aduan (jam kerja)", "aduan", "working"), ("Standar 24 jam", "", "calendar")]
    open_cases = list(Case.objects.exclude(status__in=CLOSED_STATUSES))
    assert open_cases
    clocks = sla.clocks_for(open_cases, timezone.now())
    assert set(clocks) == {c.pk for c in open_cases}

    again = demo_setup()
    assert "clocks exist, left alone" in again
    assert Shift.objects.count() == 3
