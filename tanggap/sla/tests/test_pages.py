"""The clocks on the desk's pages: every inbox row shows the time left, amber when the warning
share is used, red and "overdue" once it ran out, paused while the case waits for the citizen;
the case shows its due times. The outsider sees no row of the case at all."""

from __future__ import annotations

from datetime import UTC, timedelta

from tanggap.cases.actions import set_case_status
from tanggap.sla.tests.test_checks import T0, arrive, sla_desk  # noqa: F401


def _row(client, case) -> str:
    rows = client.get("/w/bpn/rows?status=all").content.decode()
    [row] = [r for r in rows.split('<li class="case-row')[1:]
             if f'data-case-id="{case.pk}"' in r.split(">")[0]]
    return " ".join(row.split("</li>")[0].split())


def test_rows_and_the_case_show_the_time_left_then_the_warning_then_overdue(
        sla_desk, time_machine):  # noqa: F811
    case = arrive(sla_desk)
    client = sla_desk.ani.client
    client.force_login(sla_desk.ani.user)
    due = (T0 + timedelta(hours=1)).astimezone(UTC).isoformat()  # 11:00 WITA

    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    row = _row(client, case)
    assert 'class="badge sla sla-ok"' in row and f'data-sla-due="{due}"' in row
    assert "⏱ 50 menit" in row
    panel = client.get(f"/w/bpn/cases/{case.pk}/panel").content.decode()
    assert f'<time datetime="{due}">' in panel and 'id="case-sla"' in panel
    assert 'data-sla-state="ok"' in panel

    time_machine.move_to(T0 + timedelta(minutes=50), tick=False)  # 80 % of the hour used
    assert 'class="badge sla sla-warn"' in _row(client, case)
    assert 'data-sla-state="warn"' in client.get(f"/w/bpn/cases/{case.pk}/panel").content.decode()

    time_machine.move_to(T0 + timedelta(minutes=61), tick=False)
    row = _row(client, case)
    assert 'class="badge sla sla-breached"' in row and "⏰ terlambat" in row

    set_case_status(case_id=case.pk, actor=sla_desk.ani.user, status="menunggu",
                    now=T0 + timedelta(minutes=62))
    # Waiting for the citizen: the breach stays recorded on the row.
    assert "sla-breached" in _row(client, case)

    other = arrive(sla_desk, n=2, now=T0 + timedelta(minutes=62))
    set_case_status(case_id=other.pk, actor=sla_desk.ani.user, status="menunggu",
                    now=T0 + timedelta(minutes=63))
    row = _row(client, other)
    assert 'class="badge sla sla-paused"' in row and "⏸" in row

    sla_desk.luar.client.force_login(sla_desk.luar.user)
    assert f'data-case-id="{case.pk}"' not in sla_desk.luar.client.get(
        "/w/dlh/rows?status=all").content.decode()
