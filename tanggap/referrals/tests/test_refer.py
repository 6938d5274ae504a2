"""Referring a case: the API, the rules (holder, supervisor, one open referral, closed cases),
the citizen's reply through the exactly-once path, e-mail to the body, deadlines."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Message
from tanggap.referrals import liaison, tasks
from tanggap.referrals.actions import reply_key
from tanggap.referrals.models import EmailState, Referral
from tanggap.workspaces import calendars

PLN_TEXT = "Listrik padam di Jl. Sudirman sejak pagi, PLN kok lambat sekali"


def _claimed_case(desk, persona=None, text=PLN_TEXT, external_id="m1", author_id="warga1"):
    case = desk.inbound(text=text, external_id=external_id, author_id=author_id).case
    response = (persona or desk.ani).post(f"/api/v1/cases/{case.pk}/claim")
    assert response.status_code == 200, response.content
    return case


def _refer(persona, case, body, **extra):
    return persona.post(f"/api/v1/cases/{case.pk}/referrals",
                        {"body_id": body.pk, "note": "Mohon dicek", **extra})


def test_the_holder_refers_and_the_case_shows_it(desk, directory, django_capture_on_commit_callbacks,
                                                 monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "enqueue_email", queued.append)
    case = _claimed_case(desk)
    detail = desk.ani.get(f"/api/v1/cases/{case.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert detail["suggested_body"]["body_id"] == directory.pln.pk
    assert detail["suggested_body"]["reason"] == "PLN UP3 Balikpapan answers for Electricity."
    assert detail["referrals"] == []
    with django_capture_on_commit_callbacks(execute=True):
        response = _refer(desk.ani, case, directory.pln, idempotency_key="r-1")
    assert response.status_code == 201, response.content
    data = response.json()
    referral = Referral.objects.get()
    assert data["id"] == referral.pk and data["status"] == "terkirim"
    assert data["liaison_url"].startswith("http://127.0.0.1:8000/penghubung/")
    assert Case.objects.get(pk=case.pk).status == "diteruskan"
    detail = desk.ani.get(f"/api/v1/cases/{case.pk}").json()
    assert detail["status"] == "diteruskan"
    assert detail["suggested_body"] is None
    assert detail["referrals"] == [{"id": referral.pk, "body_id": directory.pln.pk,
                                    "status": "terkirim",
                                    "updates": [{"status": "terkirim", "text": "Mohon dicek",
                                                 "at": referral.created_at.isoformat()}]}]
    assert list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))[-2:] == \
        ["case.referred", "referral.created"]
    # The body's e-mail is queued after commit; the task sends it through Django's mail framework.
    assert queued == [referral.pk] and mail.outbox == []
    assert tasks.send_referral_email_now(referral.pk, now=timezone.now()) == "sent"
    assert [m.to for m in mail.outbox] == [["pengaduan@pln.example"]]
    # The same link, signed again when the e-mail is written (the signature carries its second).
    emailed = re.search(r"http://127\.0\.0\.1:8000/penghubung/([^/\s]+)/", mail.outbox[0].body)
    assert liaison.referral_for_token(emailed.group(1), now=timezone.now()) == referral
    assert Referral.objects.get().email_state == EmailState.SENT
    # The same key again: the same referral, 200, nothing new.
    again = _refer(desk.ani, case, directory.pln, idempotency_key="r-1")
    assert again.status_code == 200 and again.json()["id"] == referral.pk
    assert Referral.objects.count() == 1
    # Open everywhere: the inbox's open filter lists it.
    listed = desk.ani.get("/api/v1/cases").json()["results"]
    assert [c["id"] for c in listed] == [case.pk]


def test_refusals_change_nothing(desk, directory):
    case = desk.inbound(text=PLN_TEXT).case
    # Nobody holds it: an operator may not refer.
    response = _refer(desk.budi, case, directory.pln)
    assert response.status_code == 409 and response.json()["error"] == "not_holder"
    desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    assert _refer(desk.budi, case, directory.pln).status_code == 409
    assert _refer(desk.audi, case, directory.pln).status_code == 403
    assert _refer(desk.luar, case, directory.pln).status_code == 404
    # A body of another workspace, and an unknown body: 404.
    assert _refer(desk.ani, case, directory.dlh_bodies).status_code == 404
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/referrals",
                         {"body_id": 999999}).status_code == 404
    assert desk.ani.post("/api/v1/cases/999999/referrals",
                         {"body_id": directory.pln.pk}).status_code == 404
    bad = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals", {})
    assert bad.status_code == 422 and bad.json()["fields"] == ["body_id"]
    bad_key = _refer(desk.ani, case, directory.pln, idempotency_key=5)
    assert bad_key.status_code == 422
    assert Referral.objects.count() == 0
    assert Case.objects.get(pk=case.pk).status == "diklaim"


def test_a_supervisor_refers_without_holding_and_a_second_referral_is_refused(desk, directory):
    case = _claimed_case(desk)
    assert _refer(desk.sari, case, directory.pdam).status_code == 201
    second = _refer(desk.ani, case, directory.pln)
    assert second.status_code == 409 and second.json()["error"] == "already_referred"
    assert Referral.objects.filter(case=case).count() == 1


def test_a_closed_case_is_not_referred(desk, directory):
    case = _claimed_case(desk)
    desk.ani.post(f"/api/v1/cases/{case.pk}/status", {"status": "ditutup"})
    response = _refer(desk.sari, case, directory.pln)
    assert response.status_code == 409 and response.json()["error"] == "case_closed"
    assert Referral.objects.count() == 0


def test_the_citizen_reply_goes_through_the_reply_path(desk, directory):
    case = _claimed_case(desk)
    response = _refer(desk.ani, case, directory.pdam, idempotency_key="r-2",
                      citizen_reply="Terima kasih, Bapak/Ibu {nama}. Laporan Bapak/Ibu sudah "
                                    "kami teruskan ke {instansi}, nomor laporan {nomor}.")
    assert response.status_code == 201, response.content
    sent = Message.objects.get(case=case, direction="out")
    assert sent.text == (f"Terima kasih, Bapak/Ibu Warga Satu. Laporan Bapak/Ibu sudah kami "
                         f"teruskan ke Perumda Tirta Manuntung Balikpapan, nomor laporan "
                         f"{case.tracking_number}.")
    assert sent.delivery_status in ("pending", "sent")
    assert sent.idempotency_key == reply_key("referral", "r-2")
    case.refresh_from_db()
    assert case.status == "diteruskan" and case.answered_by_id == desk.ani.user.pk
    # Retried: neither a second referral nor a second message.
    assert _refer(desk.ani, case, directory.pdam, idempotency_key="r-2",
                  citizen_reply="x {nama}").status_code == 200
    assert Message.objects.filter(case=case, direction="out").count() == 1


def test_a_reply_the_case_cannot_fill_or_that_is_rude_refers_nothing(desk, directory):
    case = desk.ingest = None
    case = desk.inbound(text=PLN_TEXT, author_id="12345").case
    Case.objects.filter(pk=case.pk).update()
    case.contact.display_name = "628123456789"
    case.contact.save()
    desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    missing = _refer(desk.ani, case, directory.pln, citizen_reply="Bapak/Ibu {nama}, sudah.")
    assert missing.status_code == 422
    assert "{nama}" in missing.json()["message"] and missing.json()["missing"] == ["nama"]
    unknown = _refer(desk.ani, case, directory.pln, citizen_reply="Halo {alamat}")
    assert unknown.status_code == 422 and "{alamat}" in unknown.json()["message"]
    rude = _refer(desk.ani, case, directory.pln,
                  citizen_reply="DASAR BODOH, SUDAH KAMI TERUSKAN KE {instansi}!!!")
    assert rude.status_code == 422 and rude.json()["error"] in ("tone_blocked", "tone_warning")
    assert Referral.objects.count() == 0
    assert not Message.objects.filter(case=case, direction="out").exists()
    assert Case.objects.get(pk=case.pk).status == "diklaim"


def test_deadlines_count_working_days_in_the_workspace_calendar(desk, directory):
    wita = ZoneInfo("Asia/Makassar")
    calendars.set_calendar(workspace_id=desk.bpn.pk, actor=None, now=timezone.now(),
                           time_zone="Asia/Makassar")
    friday = datetime(2025, 8, 15, 10, 0, tzinfo=wita)
    case = desk.inbound(text=PLN_TEXT, now=friday).case
    from tanggap.cases.actions import claim_case
    from tanggap.referrals.actions import refer_case

    claim_case(case_id=case.pk, actor=desk.ani.user, now=friday)
    referral = refer_case(case_id=case.pk, body_id=directory.pln.pk, actor=desk.ani.user,
                          membership=None, now=friday).referral
    # 17 Aug (Sunday, Independence Day) and 18 Aug (cuti bersama) do not count.
    assert referral.acknowledge_due_at == datetime(2025, 8, 22, 0, 0, tzinfo=wita)
    assert referral.follow_up_due_at == datetime(2025, 8, 26, 0, 0, tzinfo=wita)
    # PDAM's own limits (2 and 4 working days).
    other = desk.inbound(text="Air PDAM mati", external_id="m2", author_id="w2", now=friday).case
    claim_case(case_id=other.pk, actor=desk.ani.user, now=friday)
    pdam = refer_case(case_id=other.pk, body_id=directory.pdam.pk, actor=desk.ani.user,
                      membership=None, now=friday).referral
    assert pdam.acknowledge_due_at == datetime(2025, 8, 21, 0, 0, tzinfo=wita)


def test_e_mail_failure_shows_on_the_referral_is_retried_and_never_blocks(desk, directory,
                                                                          monkeypatch):
    case = _claimed_case(desk)
    assert _refer(desk.ani, case, directory.pln).status_code == 201
    referral = Referral.objects.get()

    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks, "send_mail", refuse)
    Referral.objects.filter(pk=referral.pk).update(email_state=EmailState.PENDING)
    assert tasks.send_referral_email_now(referral.pk, now=timezone.now()) == "failed"
    referral.refresh_from_db()
    assert referral.email_state == "failed"
    assert referral.email_error == "OSError: connection refused"
    assert Case.objects.get(pk=case.pk).status == "diteruskan"
    page = desk.ani.client
    page.force_login(desk.ani.user)
    html = page.get(f"/w/bpn/cases/{case.pk}/panel").content.decode()
    assert "OSError: connection refused" in html
    monkeypatch.undo()
    assert tasks.send_referral_email_now(referral.pk, now=timezone.now()) == "sent"
    referral.refresh_from_db()
    assert (referral.email_state, referral.email_attempts) == ("sent", 2)


@pytest.mark.django_db(transaction=True)
def test_two_operators_referring_at_once_make_one_referral(tx_desk):
    import threading

    from tanggap.referrals.tests.conftest import make_directory

    directory = make_directory(tx_desk)
    case = tx_desk.inbound(text=PLN_TEXT).case
    barrier = threading.Barrier(2)
    results = []

    def refer(persona, key):
        from django.db import connection
        from django.test import Client

        client = Client()
        barrier.wait()
        try:
            response = client.post(f"/api/v1/cases/{case.pk}/referrals",
                                   data={"body_id": directory.pln.pk, "idempotency_key": key},
                                   content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {persona.token}")
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refer, args=(p, k))
               for p, k in ((tx_desk.sari, "a"), (tx_desk.sari, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    assert Referral.objects.filter(case=case).count() == 1
