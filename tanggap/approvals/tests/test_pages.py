"""The approval queue page and what the case page shows of a held reply: supervisors decide,
the operator who wrote it sees it wait and what became of it, outsiders see nothing."""

from __future__ import annotations

from django.core.management import call_command
from django.utils import timezone

from tanggap.approvals import actions as approval_actions
from tanggap.approvals.models import ReplyApproval
from tanggap.cases import actions
from tanggap.cases.models import Case
from tanggap.workspaces.models import Membership

WARN = "Terima kasih, laporan Anda SUDAH kami teruskan."


def _english(persona):
    persona.client.force_login(persona.user)
    persona.client.cookies["django_language"] = "en"


def _flat(response) -> str:
    return " ".join(response.content.decode().split())


def _held(desk):
    call_command("workspace", "set", "bpn", "--approve-warn", "on")
    case = desk.inbound().case
    actions.claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())
    result = actions.send_reply(case_id=case.pk, actor=desk.ani.user, text=WARN,
                                idempotency_key="p1", confirm_tone=True, now=timezone.now(),
                                base_version=Case.objects.get(pk=case.pk).version)
    return case, ReplyApproval.objects.get(pk=result.held.approval_id)


def test_the_supervisor_sees_the_held_reply_with_its_findings_and_buttons(desk):
    case, approval = _held(desk)
    _english(desk.sari)
    page = _flat(desk.sari.client.get("/w/bpn/approvals/"))
    assert f'id="approval-{approval.pk}"' in page and case.tracking_number in page
    assert "Written by ani" in page and "The tone guard warned about it" in page
    assert "A word in capitals for emphasis reads as impatient." in page
    assert 'class="primary approve"' in page and 'class="reject"' in page
    # The top bar counts what waits.
    assert '<span class="badge held-count">1</span>' in page


def test_an_operator_reads_the_queue_without_buttons_and_an_outsider_gets_404(desk):
    _case, approval = _held(desk)
    desk.budi.client.force_login(desk.budi.user)
    page = _flat(desk.budi.client.get("/w/bpn/approvals/"))
    assert f'id="approval-{approval.pk}"' in page and "approve" not in page.split("<main>")[1]
    desk.luar.client.force_login(desk.luar.user)
    assert desk.luar.client.get("/w/bpn/approvals/").status_code == 404
    assert desk.luar.client.get("/w/bpn/approvals/rows").status_code == 404


def test_the_case_shows_the_reply_waiting_then_its_outcome(desk):
    case, approval = _held(desk)
    _english(desk.ani)
    panel = _flat(desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    assert "ani's reply waits for a supervisor" in panel and WARN in panel
    sari = Membership.objects.get(user=desk.sari.user, workspace=desk.bpn)
    approval_actions.reject_reply(approval_id=approval.pk, actor=desk.sari.user,
                                  membership=sari, note="Tanpa kapital.", now=timezone.now())
    panel = _flat(desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    assert '<span class="badge ap-ditolak">Rejected</span>' in panel
    assert "decided by sari" in panel and "Supervisor's note: Tanpa kapital." in panel
