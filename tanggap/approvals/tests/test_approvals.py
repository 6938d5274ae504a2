"""Replies held for a supervisor's approval: the policy, the API, who may decide, and that an
approval sends exactly once (also when two supervisors approve at the same moment)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from tanggap.approvals.models import ReplyApproval
from tanggap.audit.models import AuditEvent
from tanggap.cases import actions
from tanggap.cases.language import tone
from tanggap.cases.models import Case, Direction, Message
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token

WARN = "Terima kasih, laporan Anda SUDAH kami teruskan."
POLITE = "Terima kasih, Bapak. Laporan Anda sudah kami teruskan ke PLN."


def _held_case(desk, text=WARN, key="k1", who=None):
    who = who or desk.ani
    case = desk.inbound().case
    actions.claim_case(case_id=case.pk, actor=who.user, now=timezone.now())
    case.refresh_from_db()
    response = who.post(f"/api/v1/cases/{case.pk}/replies",
                        {"text": text, "idempotency_key": key, "base_version": case.version,
                         "confirm_tone": True})
    return case, response


def _outbound(case):
    return list(Message.objects.filter(case=case, direction=Direction.OUT)
                .values_list("text", flat=True))


@pytest.fixture
def approving(desk):
    call_command("workspace", "set", "bpn", "--approve-warn", "on")
    return desk


def test_the_reply_sets_the_policy_apart(desk):
    assert tone(WARN).verdict == "warn"
    assert tone(POLITE).verdict == "ok"


def test_without_the_policy_a_confirmed_warn_is_sent(desk):
    case, response = _held_case(desk)
    assert response.status_code == 201
    assert _outbound(case) == [WARN]


def test_a_confirmed_warn_is_held_and_nothing_sent(approving):
    desk = approving
    case, response = _held_case(desk)
    assert response.status_code == 202
    body = response.json()
    assert body == {"approval_id": body["approval_id"], "status": "menunggu_persetujuan"}
    assert _outbound(case) == []
    held = ReplyApproval.objects.get(pk=body["approval_id"])
    assert (held.requested_by, held.reason, held.verdict, held.text) == (
        desk.ani.user, "warn", "warn", WARN)
    # The operator's retry of the same reply holds nothing twice.
    again = desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                          {"text": WARN, "idempotency_key": "k1",
                           "base_version": Case.objects.get(pk=case.pk).version,
                           "confirm_tone": True})
    assert again.status_code == 202 and again.json() == body
    assert ReplyApproval.objects.count() == 1
    # Unconfirmed it is still the operator's tone warning first; a polite reply just leaves.
    unconfirmed = desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                                {"text": WARN, "idempotency_key": "k2",
                                 "base_version": Case.objects.get(pk=case.pk).version})
    assert unconfirmed.status_code == 422 and unconfirmed.json()["error"] == "tone_warning"


def test_a_supervisor_approves_and_exactly_one_message_leaves(approving):
    desk = approving
    case, response = _held_case(desk)
    approval_id = response.json()["approval_id"]
    approved = desk.sari.post(f"/api/v1/approvals/{approval_id}/approve")
    assert approved.status_code == 200
    body = approved.json()
    assert (body["status"], body["decided_by"], body["requested_by"]) == (
        "disetujui", "sari", "ani")
    message = Message.objects.get(pk=body["message_id"])
    assert (message.text, message.sent_by, message.delivery_status) == (
        WARN, desk.ani.user, "pending")
    replied = AuditEvent.objects.get(action="case.replied", case=case)
    assert replied.after["approved_by"] == "sari" and replied.actor == desk.ani.user
    assert AuditEvent.objects.filter(action="reply.approved", actor=desk.sari.user).count() == 1
    # Approving again changes nothing: 409 naming who decided.
    again = desk.sari.post(f"/api/v1/approvals/{approval_id}/approve")
    assert again.status_code == 409 and again.json()["error"] == "already_decided"
    assert _outbound(case) == [WARN]


def test_a_supervisor_edits_then_approves_and_the_edit_is_what_leaves(approving):
    desk = approving
    case, response = _held_case(desk)
    approval_id = response.json()["approval_id"]
    edited = desk.sari.post(f"/api/v1/approvals/{approval_id}/approve", {"text": POLITE})
    assert edited.status_code == 200
    assert _outbound(case) == [POLITE]
    event = AuditEvent.objects.get(action="reply.approved")
    assert event.after["edited"] is True and event.after["text_before"] == WARN


def test_an_edit_the_guard_blocks_is_refused_and_stays_waiting(approving):
    desk = approving
    case, response = _held_case(desk)
    approval_id = response.json()["approval_id"]
    refused = desk.sari.post(f"/api/v1/approvals/{approval_id}/approve",
                             {"text": "SUDAH KAMI BILANG!!!"})
    assert refused.status_code == 422 and refused.json()["error"] == "tone_blocked"
    assert _outbound(case) == []
    assert ReplyApproval.objects.get(pk=approval_id).status == "menunggu_persetujuan"


def test_reject_sends_nothing_and_keeps_the_note(approving):
    desk = approving
    case, response = _held_case(desk)
    approval_id = response.json()["approval_id"]
    rejected = desk.sari.post(f"/api/v1/approvals/{approval_id}/reject",
                              {"note": "Tanpa huruf kapital, ya."})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["note"]) == (
        "ditolak", "Tanpa huruf kapital, ya.")
    assert _outbound(case) == []
    assert desk.sari.post(f"/api/v1/approvals/{approval_id}/approve").status_code == 409
    assert _outbound(case) == []


def test_operators_auditors_and_outsiders_cannot_decide(approving):
    desk = approving
    case, response = _held_case(desk)
    approval_id = response.json()["approval_id"]
    for persona, status in ((desk.ani, 403), (desk.budi, 403), (desk.audi, 403),
                            (desk.luar, 404)):
        for verb in ("approve", "reject"):
            answer = persona.post(f"/api/v1/approvals/{approval_id}/{verb}")
            assert answer.status_code == status, (persona.user.username, verb)
    assert ReplyApproval.objects.get(pk=approval_id).status == "menunggu_persetujuan"
    assert _outbound(case) == []
    # The queue: readable by members (auditors too), empty for outsiders.
    assert [a["id"] for a in desk.audi.get("/api/v1/approvals").json()["results"]] == [
        approval_id]
    assert desk.luar.get("/api/v1/approvals").json()["results"] == []


def test_a_member_in_training_has_every_reply_held(desk):
    call_command("workspace", "training", "bpn", "budi", "on")
    case, response = _held_case(desk, text=POLITE, who=desk.budi)
    assert response.status_code == 202
    assert ReplyApproval.objects.get().reason == "training"
    call_command("workspace", "training", "bpn", "budi", "off")
    case2, response2 = _held_case(desk, text=POLITE, key="k9", who=desk.budi)
    assert response2.status_code == 201


def test_approval_of_a_case_that_moved_is_refused_as_stale(approving):
    desk = approving
    case, response = _held_case(desk)
    approval_id = response.json()["approval_id"]
    desk.inbound("Masih mati sampai sekarang", external_id="m2")  # the citizen wrote again
    stale = desk.sari.post(f"/api/v1/approvals/{approval_id}/approve")
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version"
    assert _outbound(case) == []


def test_workspace_set_refuses_unknown_workspace_and_member(desk):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("workspace", "set", "nope", "--approve-warn", "on")
    with pytest.raises(CommandError):
        call_command("workspace", "training", "bpn", "luar", "on")


# --- the race ---------------------------------------------------------------------------------


def _approve_in_thread(barrier, token, approval_id):
    try:
        barrier.wait()
        response = Client().post(f"/api/v1/approvals/{approval_id}/approve", data="{}",
                                 content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {token}")
        return response.status_code, json.loads(response.content)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_approve_at_once_and_one_reply_leaves(tx_desk):
    desk = tx_desk
    call_command("workspace", "set", "bpn", "--approve-warn", "on")
    now = timezone.now()
    second = add_member(workspace=desk.bpn, username="sari2", role="supervisor",
                        password="kata-sandi-uji", now=now)
    tokens = [desk.sari.token, create_token(user=second.user, now=now)]
    for round_ in range(5):
        case, response = _held_case(desk, key=f"race-{round_}",
                                    text=WARN) if round_ == 0 else _again(desk, round_)
        approval_id = response.json()["approval_id"]
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(_approve_in_thread, [barrier] * 2, tokens,
                                    [approval_id] * 2))
        statuses = sorted(status for status, _body in results)
        assert statuses == [200, 409], results
        assert Message.objects.filter(case=case, direction=Direction.OUT,
                                      idempotency_key=f"race-{round_}").count() == 1


def _again(desk, round_):
    case = desk.inbound(external_id=f"r{round_}", author_id=f"warga-r{round_}").case
    actions.claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())
    case.refresh_from_db()
    return case, desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                               {"text": WARN, "idempotency_key": f"race-{round_}",
                                "base_version": case.version, "confirm_tone": True})


def test_approve_and_reject_need_no_body(approving):
    desk = approving
    case, response = _held_case(desk)
    bare = desk.sari.client.post(f"/api/v1/approvals/{response.json()['approval_id']}/approve",
                                 data="", content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {desk.sari.token}")
    assert bare.status_code == 200 and _outbound(case) == [WARN]
    other, held = _again(desk, 9)
    rejected = desk.sari.client.post(f"/api/v1/approvals/{held.json()['approval_id']}/reject",
                                     data="", content_type="application/json",
                                     HTTP_AUTHORIZATION=f"Bearer {desk.sari.token}")
    assert rejected.status_code == 200 and rejected.json()["note"] == ""
    assert _outbound(other) == []
