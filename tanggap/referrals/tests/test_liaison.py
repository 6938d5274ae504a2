"""The body's side: the signed liaison link (forged, altered, expired, replaced, replayed after
resolution), the answers and what they do to the case, the internal body's own desk, the
liaison role, and the citizen's status page."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case
from tanggap.referrals import actions, liaison
from tanggap.referrals.models import Referral, ReferralUpdate
from tanggap.referrals.reminders import remind_and_escalate
from tanggap.workspaces.actions.members import add_member

PDAM_TEXT = "Air PDAM mati tiga hari di Gang Mawar, tolong min"


def _referred(desk, body, text=PDAM_TEXT):
    case = desk.inbound(text=text).case
    desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals", {"body_id": body.pk})
    assert response.status_code == 201, response.content
    return case, Referral.objects.get(pk=response.json()["id"]), response.json()["liaison_url"]


def _path(url: str) -> str:
    return url.replace("http://127.0.0.1:8000", "")


def test_the_body_answers_through_its_link_and_the_desk_gets_drafts(desk, directory):
    case, referral, url = _referred(desk, directory.pdam)
    client = Client()
    page = client.get(_path(url))
    assert page.status_code == 200
    html = page.content.decode()
    assert PDAM_TEXT in html and case.tracking_number in html
    assert "Warga Satu" not in html  # the citizen's name is not the body's business
    ack = client.post(_path(url), {"status": "diterima", "message": "", "name": "Rina"})
    assert ack.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "diterima" and referral.acknowledged_at is not None
    assert Case.objects.get(pk=case.pk).status == "diteruskan"
    done = client.post(_path(url), {"status": "selesai", "message": "Pipa sudah diperbaiki.",
                                    "name": "Rina"})
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "selesai" and referral.closed_at is not None
    update = referral.updates.order_by("-id").first()
    assert update.author_label == "Rina (Perumda Tirta Manuntung Balikpapan, lewat tautan)"
    assert "Pipa sudah diperbaiki." in update.draft and "Bapak/Ibu Warga Satu" in update.draft
    assert list(AuditEvent.objects.filter(case=case, action="referral.answered")
                .values_list("after__status", flat=True)) == ["diterima", "selesai"]
    # Replayed after resolution: a read-only page, and a POST changes nothing.
    again = client.get(_path(url))
    assert again.status_code == 200 and 'id="settled"' in again.content.decode()
    assert 'id="answer"' not in again.content.decode()
    replay = client.post(_path(url), {"status": "diproses", "message": "lagi"})
    assert replay.status_code == 422
    assert ReferralUpdate.objects.filter(referral=referral).count() == 3
    # The desk closes the loop: the closing reply, then the case is done.
    head = desk.ani.get(f"/api/v1/cases/{case.pk}").json()
    closing = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals/close",
                            {"text": update.draft, "idempotency_key": "close-1",
                             "base_version": head["version"]})
    assert closing.status_code == 201, closing.content
    assert closing.json()["status"] == "selesai"
    assert closing.json()["message"]["text"] == update.draft


def test_forged_altered_replaced_and_expired_links_open_nothing(desk, directory):
    case, referral, url = _referred(desk, directory.pln,
                                    text="Listrik padam di Jl. Sudirman, PLN tolong")
    client = Client()
    token = _path(url).split("/")[2]
    forged = liaison.token_for(Referral(pk=referral.pk, link_nonce="guessed"))
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (forged, altered, "nonsense", token + "x"):
        response = client.post(f"/penghubung/{bad}/", {"status": "selesai", "message": "x"})
        assert response.status_code == 404, bad
    # Expired.
    Referral.objects.filter(pk=referral.pk).update(
        link_expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(_path(url)).status_code == 404
    assert client.post(_path(url), {"status": "selesai", "message": "x"}).status_code == 404
    # A new link replaces the old one.
    fresh = actions.new_liaison_link(referral_id=referral.pk, actor=desk.ani.user,
                                     now=timezone.now())
    assert client.get(_path(url)).status_code == 404
    assert client.get(f"/penghubung/{liaison.token_for(fresh)}/").status_code == 200
    referral.refresh_from_db()
    assert referral.status == "terkirim" and referral.updates.count() == 1
    assert Case.objects.get(pk=case.pk).status == "diteruskan"


def test_bad_answers_on_the_page_say_why_and_change_nothing(desk, directory):
    case, referral, url = _referred(desk, directory.pln)
    client = Client()
    for form in ({"status": "bukan_wewenang", "message": "Bukan jaringan kami.",
                  "suggested_body": "abc"},
                 {"status": "bukan_wewenang", "message": "Bukan jaringan kami.",
                  "suggested_body": str(directory.dlh_bodies.pk)},
                 {"status": "selesai", "message": ""},
                 {"status": "dibatalkan", "message": "x"}):
        page = client.post(_path(url), form)
        assert page.status_code == 422, form
        assert 'role="alert"' in page.content.decode()
    referral.refresh_from_db()
    assert referral.status == "terkirim" and referral.updates.count() == 1
    assert Case.objects.get(pk=case.pk).status == "diteruskan"


def test_a_decline_returns_the_case_with_the_next_body(desk, directory):
    case, referral, url = _referred(desk, directory.pln, text="Air mati dan listrik padam")
    empty = Client().post(_path(url), {"status": "bukan_wewenang", "message": ""})
    assert empty.status_code == 422  # a decline says why
    Client().post(_path(url), {"status": "bukan_wewenang", "message": "Ini urusan PDAM.",
                               "suggested_body": str(directory.pdam.pk)})
    referral.refresh_from_db()
    assert referral.status == "bukan_wewenang"
    assert Case.objects.get(pk=case.pk).status == "diklaim"
    desk.ani.client.force_login(desk.ani.user)
    panel = desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel")
    assert "Instansi menyarankan Perumda Tirta Manuntung Balikpapan." in panel.content.decode()
    # It can be referred again, to the next body.
    again = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals", {"body_id": directory.pdam.pk})
    assert again.status_code == 201


def test_an_internal_body_with_its_own_desk_sees_a_linked_case_both_ways(desk, directory):
    case, referral, _url = _referred(desk, directory.dlh, text="Sampah menumpuk di Jl. Ahmad Yani")
    referral.refresh_from_db()
    linked = referral.linked_case
    assert linked is not None and linked.workspace_id == desk.dlh.pk
    # DLH's own operator sees it in their inbox, and answers the referral from their desk.
    listed = desk.luar.get("/api/v1/cases").json()["results"]
    assert [c["id"] for c in listed] == [linked.pk]
    desk.luar.client.force_login(desk.luar.user)
    panel = desk.luar.client.get(f"/w/dlh/cases/{linked.pk}/panel").content.decode()
    assert f"/penghubung/rujukan/{referral.pk}/" in panel
    answer = desk.luar.client.post(f"/penghubung/rujukan/{referral.pk}/",
                                   {"status": "diproses", "message": "Truk dijadwalkan besok."})
    assert answer.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "diproses"
    # The city's desk sees DLH's answer on its case; DLH never talks to the citizen.
    detail = desk.ani.get(f"/api/v1/cases/{case.pk}").json()
    assert detail["referrals"][0]["updates"][-1]["text"] == "Truk dijadwalkan besok."
    # Outsiders and the city's auditor cannot answer.
    assert desk.audi.client.post(f"/penghubung/rujukan/{referral.pk}/", {}).status_code in (302, 403)


def test_a_liaison_account_sees_only_its_bodys_referrals(desk, directory):
    now = timezone.now()
    rina = add_member(workspace=desk.bpn, username="rina", role="liaison",
                      password="kata-sandi-uji", now=now).user
    actions.add_body_liaison(body_id=directory.pln.pk, username="rina", actor=None, now=now)
    _case, pln_referral, _ = _referred(desk, directory.pln, text="Listrik padam, PLN lambat")
    other = desk.inbound(text=PDAM_TEXT, external_id="m2", author_id="w2").case
    desk.ani.post(f"/api/v1/cases/{other.pk}/claim")
    pdam_referral = Referral.objects.get(pk=desk.ani.post(
        f"/api/v1/cases/{other.pk}/referrals", {"body_id": directory.pdam.pk}).json()["id"])
    client = Client()
    client.force_login(rina)
    home = client.get("/penghubung/").content.decode()
    assert f"/penghubung/rujukan/{pln_referral.pk}/" in home
    assert f"/penghubung/rujukan/{pdam_referral.pk}/" not in home
    assert client.get(f"/penghubung/rujukan/{pdam_referral.pk}/").status_code == 404
    assert client.post(f"/penghubung/rujukan/{pln_referral.pk}/",
                       {"status": "diterima", "message": ""}).status_code == 302
    # Nothing of the desk: no inbox, no case, no API.
    assert client.get("/w/bpn/").status_code == 404
    assert client.get(f"/api/v1/cases/{other.pk}").status_code == 404


def test_the_status_page_shows_the_trail_without_personal_data(desk, directory):
    case, referral, url = _referred(desk, directory.pdam)
    Client().post(_path(url), {"status": "diproses", "message": "Tim menuju lokasi.",
                               "name": "Bu Rina"})
    page = Client().get(f"/lapor/status/{case.tracking_number}/", HTTP_ACCEPT_LANGUAGE="id")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="referral-trail"' in html
    assert "Perumda Tirta Manuntung Balikpapan" in html and "Tim menuju lokasi." in html
    for private in ("Bu Rina", "ani", "Warga Satu", "penghubung", referral.link_nonce):
        assert private not in html, private


def test_overdue_referrals_remind_the_body_and_escalate_once(desk, directory):
    from django.core import mail

    case, referral, _url = _referred(desk, directory.pln, text="Listrik padam, PLN lambat")
    desk.sari.user.email = "sari@bpn.example"
    desk.sari.user.save()
    early = remind_and_escalate(now=referral.created_at + timedelta(hours=1),
                                send_email=lambda *a, **k: None)
    assert early.reminded == [] and early.escalated == []
    late = referral.acknowledge_due_at + timedelta(minutes=1)
    run = remind_and_escalate(now=late, send_email=lambda *a, **k: None)
    assert run.reminded == [referral.pk] and run.escalated == []
    assert [m.to for m in mail.outbox] == [["pengaduan@pln.example"]]
    later = referral.follow_up_due_at + timedelta(minutes=1)
    run = remind_and_escalate(now=later, send_email=lambda *a, **k: None)
    assert run.reminded == [] and run.escalated == [referral.pk]
    assert mail.outbox[-1].to == ["sari@bpn.example"]
    assert remind_and_escalate(now=later, send_email=lambda *a, **k: None).escalated == []
    # Marked on the inbox row and the case, and listed with its age on the referrals view.
    desk.ani.client.force_login(desk.ani.user)
    rows = desk.ani.client.get("/w/bpn/rows").content.decode()
    assert "badge overdue" not in rows  # the real clock: not yet late
    from tanggap.referrals.queries import open_referrals_by_body, overdue_reason
    assert overdue_reason(referral, later) == "acknowledge"
    by_body = open_referrals_by_body(desk.bpn, now=later)
    assert [(r.body.name, [x.pk for x in r.referrals]) for r in by_body] == \
        [("PLN UP3 Balikpapan", [referral.pk])]
    assert by_body[0].referrals[0].age_days >= 5
    Referral.objects.filter(pk=referral.pk).update(acknowledge_due_at=timezone.now()
                                                   - timedelta(hours=1))
    rows = desk.ani.client.get("/w/bpn/rows").content.decode()
    assert rows.count("badge overdue") == 1
    assert desk.ani.client.get("/w/bpn/referrals/").status_code == 200
    assert desk.luar.client.get("/w/bpn/referrals/").status_code in (302, 404)
