from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tanggap.roster.actions import roster as actions
from tanggap.workspaces.models import Membership

WITA = ZoneInfo("Asia/Makassar")
# A Monday in December 2026, 10:00 WITA.
MONDAY_10 = datetime(2026, 12, 7, 10, tzinfo=WITA)


def membership(desk, persona, workspace=None) -> Membership:
    return Membership.objects.select_related("workspace").get(
        user=persona.user, workspace=workspace or desk.bpn)


@pytest.fixture(autouse=True)
def in_indonesian():
    """The desk's default language, whatever an earlier test in this process left active: the
    tests read the messages members see."""
    from django.utils import translation

    with translation.override("id"):
        yield


@pytest.fixture
def rostered(desk):
    """bpn keeps WITA with three shifts: ani on Pagi Mon-Fri, budi on Malam every night,
    sari on call on Sore Saturdays."""
    desk.bpn.time_zone = "Asia/Makassar"
    desk.bpn.save(update_fields=["time_zone"])
    sari = membership(desk, desk.sari)
    now = MONDAY_10.replace(hour=6)
    shifts = {name: actions.add_shift(membership=sari, actor=desk.sari.user, name=name,
                                      starts=start, ends=end, now=now)
              for name, start, end in (("Pagi", "07:00", "15:00"), ("Sore", "15:00", "23:00"),
                                       ("Malam", "23:00", "07:00"))}
    actions.set_pattern(membership=sari, actor=desk.sari.user, username="ani",
                        shift_id=shifts["Pagi"].pk, weekdays=[0, 1, 2, 3, 4], now=now)
    actions.set_pattern(membership=sari, actor=desk.sari.user, username="budi",
                        shift_id=shifts["Malam"].pk, weekdays=list(range(7)), now=now)
    actions.set_pattern(membership=sari, actor=desk.sari.user, username="sari",
                        shift_id=shifts["Sore"].pk, weekdays=[5], kind="on_call", now=now)
    desk.shifts = shifts
    desk.supervisor = sari
    return desk
