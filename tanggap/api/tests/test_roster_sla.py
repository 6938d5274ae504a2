"""REST v1's roster and SLA parts: GET /roster/now, the cases' "sla" and "assigned_to", and
POST /cases/{id}/handover, with the outsider and the read-only auditor (every response is checked
against the OpenAPI document by the test settings' middleware)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tanggap.cases.actions import claim_case
from tanggap.roster.models import Offer
from tanggap.roster.tests.conftest import WITA, rostered  # noqa: F401
from tanggap.sla import actions as sla_actions

T0 = datetime(2026, 12, 7, 10, tzinfo=WITA)


def test_roster_now_for_members_and_never_for_outsiders(rostered, time_machine):  # noqa: F811
    time_machine.move_to(T0, tick=False)
    ok = rostered.ani.get("/api/v1/roster/now")
    assert (ok.status_code, ok.json()) == (200, {"workspace": "bpn", "on_duty": ["ani"],
                                                 "on_call": [], "rostered": True})
    assert rostered.audi.get("/api/v1/roster/now?workspace=bpn").json()["on_duty"] == ["ani"]
    # The outsider's own workspace keeps no roster; bpn's is not theirs to see.
    assert rostered.luar.get("/api/v1/roster/now").json() == {
        "workspace": "dlh", "on_duty": [], "on_call": [], "rostered": False}
    assert rostered.luar.get("/api/v1/roster/now?workspace=bpn").status_code == 404
    assert rostered.gerbang.get("/api/v1/roster/now?workspace=bpn").status_code == 403
    time_machine.move_to(datetime(2026, 12, 12, 16, tzinfo=WITA), tick=False)
    assert rostered.ani.get("/api/v1/roster/now").json() == {
        "workspace": "bpn", "on_duty": [], "on_call": ["sari"], "rostered": True}


def test_a_member_of_two_workspaces_names_one(rostered):  # noqa: F811
    from tanggap.workspaces.actions.members import add_member

    add_member(workspace=rostered.dlh, username="ani", role="operator", password="", now=T0)
    answer = rostered.ani.get("/api/v1/roster/now")
    assert (answer.status_code, answer.json()["field"]) == (422, "workspace")


def test_cases_carry_their_sla_and_who_they_are_offered_to(rostered, time_machine):  # noqa: F811
    time_machine.move_to(T0, tick=False)
    case = rostered.inbound(now=T0).case
    plain = rostered.ani.get(f"/api/v1/cases/{case.pk}").json()
    assert (plain["sla"], plain["assigned_to"]) == (None, None)
    sla_actions.set_policy(membership=rostered.supervisor, actor=rostered.sari.user, now=T0,
                           name="Standar", first_response=60, resolution=1440)
    detail = rostered.ani.get(f"/api/v1/cases/{case.pk}").json()
    assert detail["sla"] == {"first_response_due_at": "2026-12-07T03:00:00+00:00",
                             "next_response_due_at": None,
                             "resolution_due_at": "2026-12-08T02:00:00+00:00",
                             "breached": False, "paused": False}
    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    [row] = rostered.ani.get("/api/v1/cases").json()["results"]
    assert (row["id"], row["sla"]["breached"]) == (case.pk, True)


def test_hand_over_through_the_api(rostered, time_machine):  # noqa: F811
    night = T0.replace(hour=23, minute=30)  # Monday night: budi's Malam
    time_machine.move_to(night, tick=False)
    case = rostered.inbound(now=night).case
    claim_case(case_id=case.pk, actor=rostered.ani.user, now=night)
    path = f"/api/v1/cases/{case.pk}/handover"
    assert rostered.luar.post(path, {"to": "budi"}).status_code == 404
    assert rostered.audi.post(path, {"to": "budi"}).status_code == 403
    refused = rostered.ani.post(path, {"to": "sari"})  # sari is neither on duty nor on call
    assert (refused.status_code, refused.json()["field"]) == (422, "to")
    assert not Offer.objects.exists()
    done = rostered.ani.post(path, {"to": "budi", "note": "Minta ditelepon"})
    assert (done.status_code, done.json()) == (200, {"assigned_to": "budi",
                                                     "note": "Minta ditelepon"})
    assert rostered.budi.get(f"/api/v1/cases/{case.pk}").json()["assigned_to"] == "budi"
