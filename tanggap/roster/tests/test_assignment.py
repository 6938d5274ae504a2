"""Fair assignment: offers by load and round robin among operators on duty only, never a hold;
hand-overs with a note, audited; the cases room's arrivals port wakes the offer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tanggap.alerts.models import Notification
from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, ingest_inbound, set_case_status
from tanggap.errors import CaseClaimed, InvalidInput
from tanggap.roster.actions import assignment
from tanggap.roster.actions import roster as actions
from tanggap.roster.models import Offer, OfferKind
from tanggap.roster.tests.conftest import WITA, membership


@pytest.fixture
def two_on_duty(rostered):
    """Monday 10:00: ani and sari at the desk (sari added to Pagi today), budi off duty."""
    actions.change_day(membership=rostered.supervisor, actor=rostered.sari.user, username="sari",
                       shift_id=rostered.shifts["Pagi"].pk, day="2026-12-07", change="add",
                       now=datetime(2026, 12, 7, 6, tzinfo=WITA))
    assignment.configure(membership=rostered.supervisor, actor=rostered.sari.user,
                         fair_assignment=True, default_capacity=2,
                         now=datetime(2026, 12, 7, 6, tzinfo=WITA))
    return rostered


def arrive(desk, n, now):
    return ingest_inbound(channel=desk.web, external_id=f"m{n}", author_id=f"warga{n}",
                          author_name=f"Warga {n}", text="Jalan berlubang di depan pasar",
                          now=now).case


def test_offers_go_by_load_then_round_robin_and_never_off_duty(two_on_duty):
    now = datetime(2026, 12, 7, 10, tzinfo=WITA)
    cases = [arrive(two_on_duty, n, now + timedelta(minutes=n)) for n in range(5)]
    offered = [assignment.offer_case(case_id=c.pk, now=now + timedelta(minutes=n))
               for n, c in enumerate(cases)]
    # Alternating (equal load, the one offered to longest ago first); capacity 2 each: the fifth
    # waits for nobody in particular.
    assert [o.user.username if o else None for o in offered] == ["ani", "sari", "ani", "sari", None]
    assert "budi" not in {o.user.username for o in Offer.objects.all()}
    # A claim is still the only hold: budi (off duty) may claim ani's offered case.
    claim_case(case_id=cases[0].pk, actor=two_on_duty.budi.user, now=now)
    counts = assignment.review_offers(workspace=two_on_duty.bpn, now=now + timedelta(minutes=6))
    assert counts["settled"] == 1
    assert Offer.objects.get(case=cases[0]).end_reason == "settled"
    # ani has room again: the waiting fifth case goes to her.
    assert Offer.objects.get(case=cases[4], ended_at__isnull=True).user.username == "ani"
    assert Notification.objects.filter(user=two_on_duty.ani.user, kind="assigned").count() == 3


def test_an_unclaimed_offer_moves_on_after_the_offer_time(two_on_duty):
    now = datetime(2026, 12, 7, 10, tzinfo=WITA)
    case = arrive(two_on_duty, 1, now)
    first = assignment.offer_case(case_id=case.pk, now=now)
    assignment.review_offers(workspace=two_on_duty.bpn, now=now + timedelta(minutes=11))
    moved = Offer.objects.get(case=case, ended_at__isnull=True)
    assert (first.user.username, moved.user.username) == ("ani", "sari")


def test_nobody_on_duty_means_no_offer(two_on_duty):
    night = datetime(2026, 12, 12, 16, tzinfo=WITA)  # Saturday 16:00: only sari on call
    case = arrive(two_on_duty, 1, night)
    assert assignment.offer_case(case_id=case.pk, now=night) is None
    assert not Offer.objects.exists()


def test_off_when_the_workspace_does_not_assign(rostered):
    now = datetime(2026, 12, 7, 10, tzinfo=WITA)
    assert assignment.offer_case(case_id=arrive(rostered, 1, now).pk, now=now) is None


def test_the_arrivals_port_wakes_the_offer_for_new_and_reopened_cases(
        two_on_duty, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    now = datetime(2026, 12, 7, 10, tzinfo=WITA)
    with django_capture_on_commit_callbacks(execute=True):
        case = arrive(two_on_duty, 1, now)
    with django_capture_on_commit_callbacks(execute=True):
        set_case_status(case_id=case.pk, actor=two_on_duty.ani.user, status="menunggu", now=now)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_inbound(channel=two_on_duty.web, external_id="m1b", author_id="warga1",
                       author_name="Warga 1", text="Masih berlubang", now=now)
    queued = DBTaskResult.objects.filter(task_path="tanggap.roster.tasks.offer_case")
    # Opened, then re-opened by the citizen; the move to menunggu woke nothing.
    assert [row.args_kwargs["args"] for row in queued.order_by("enqueued_at")] == [
        [case.pk], [case.pk]]


def test_a_hand_over_releases_the_claim_and_shows_untukmu_audited(two_on_duty):
    now = datetime(2026, 12, 7, 10, tzinfo=WITA)
    case = arrive(two_on_duty, 1, now)
    claim_case(case_id=case.pk, actor=two_on_duty.ani.user, now=now)
    ani = membership(two_on_duty, two_on_duty.ani)
    with pytest.raises(InvalidInput) as off_duty:
        assignment.hand_over(case_id=case.pk, actor=two_on_duty.ani.user, membership=ani,
                             to_username="budi", note="", now=now)
    assert str(off_duty.value.message) == "budi sedang tidak bertugas atau siaga."
    with pytest.raises(CaseClaimed):  # budi does not hold it
        assignment.hand_over(case_id=case.pk, actor=two_on_duty.budi.user,
                             membership=membership(two_on_duty, two_on_duty.budi),
                             to_username="sari", note="", now=now)
    offer = assignment.hand_over(case_id=case.pk, actor=two_on_duty.ani.user, membership=ani,
                                 to_username="sari", note="Warga minta ditelepon", now=now)
    case.refresh_from_db()
    assert (case.claimed_by_id, offer.kind, offer.user.username, offer.note) == (
        None, OfferKind.HANDOVER, "sari", "Warga minta ditelepon")
    event = AuditEvent.objects.get(action="case.handed_over")
    assert (event.actor, event.case_id, event.after) == (
        two_on_duty.ani.user, case.pk, {"to": "sari", "has_note": True})
    assert AuditEvent.objects.filter(action="case.released", case=case).count() == 1


def test_the_offered_operator_sees_untukmu_on_the_row_and_the_case_and_others_see_to_whom(
        two_on_duty, time_machine):
    now = datetime(2026, 12, 7, 10, tzinfo=WITA)
    time_machine.move_to(now, tick=False)
    case = arrive(two_on_duty, 1, now)
    claim_case(case_id=case.pk, actor=two_on_duty.ani.user, now=now)
    assignment.hand_over(case_id=case.pk, actor=two_on_duty.ani.user,
                         membership=membership(two_on_duty, two_on_duty.ani),
                         to_username="sari", note="Warga minta ditelepon", now=now)
    sari, ani = two_on_duty.sari.client, two_on_duty.ani.client
    sari.force_login(two_on_duty.sari.user)
    ani.force_login(two_on_duty.ani.user)
    rows = sari.get("/w/bpn/rows").content.decode()
    assert '<span class="badge untukmu" title="Warga minta ditelepon">untukmu</span>' in rows, (
        " ".join(rows.split()), list(Offer.objects.values()))
    panel = " ".join(sari.get(f"/w/bpn/cases/{case.pk}/panel").content.decode().split())
    assert ('<strong class="badge untukmu">untukmu</strong> · diserahkan oleh ani: '
            '“Warga minta ditelepon”') in panel
    assert '<span class="badge offered">→ sari</span>' in ani.get("/w/bpn/rows").content.decode()
    # The API's rows and the case say the same.
    [row] = two_on_duty.ani.get("/api/v1/cases").json()["results"]
    assert (row["id"], row["assigned_to"]) == (case.pk, "sari")
    assert two_on_duty.sari.get(f"/api/v1/cases/{case.pk}").json()["assigned_to"] == "sari"
    # The claim ends the offer: nobody reads "untukmu" on a held case.
    claim_case(case_id=case.pk, actor=two_on_duty.sari.user, now=now)
    assert "untukmu" not in sari.get("/w/bpn/rows").content.decode()


def test_an_english_reader_sees_for_you(two_on_duty, time_machine):
    now = datetime(2026, 12, 7, 10, tzinfo=WITA)
    time_machine.move_to(now, tick=False)
    case = arrive(two_on_duty, 1, now)
    assert assignment.offer_case(case_id=case.pk, now=now).user.username == "ani"
    ani = two_on_duty.ani.client
    ani.force_login(two_on_duty.ani.user)
    ani.cookies["django_language"] = "en"
    assert '<span class="badge untukmu" title="">for you</span>' in ani.get(
        "/w/bpn/rows").content.decode()
    assert '<strong class="badge untukmu">for you</strong>' in ani.get(
        f"/w/bpn/cases/{case.pk}/panel").content.decode()
