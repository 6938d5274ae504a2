"""Handing the conversation with the citizen over to an internal body's own desk, and taking it
back: who may, what each side may then do, the audit on both sides, isolation (the body's desk
reads that one conversation and nothing else of the city's desk; outsiders get 404), and the
race of a reply against a hand-over (exactly one of them goes through)."""

from __future__ import annotations

import json
import threading

import pytest
from django.test import Client
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Direction, Message
from tanggap.conftest import Persona, make_desk
from tanggap.referrals.models import Referral
from tanggap.referrals.tests.conftest import make_directory
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token
from tanggap.workspaces.actions.workspaces import create_workspace

CITIZEN = "Sampah menumpuk di Jl. Ahmad Yani sudah seminggu"
REPLY = "Terima kasih, petugas DLH akan mengangkut sampah besok pagi."


def _referred_to_dlh(desk, directory, *, external_id="m1", author_id="warga1"):
    case = desk.inbound(text=CITIZEN, external_id=external_id, author_id=author_id).case
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/claim").status_code == 200
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals",
                             {"body_id": directory.dlh.pk})
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.linked_case is not None
    return Case.objects.get(pk=case.pk), referral


def _hand_over(persona, case, note="Mohon DLH menjawab warga langsung", version=None):
    version = Case.objects.get(pk=case.pk).version if version is None else version
    return persona.post(f"/api/v1/cases/{case.pk}/conversation/hand-over",
                        {"note": note, "base_version": version})


def _reply(persona, case, key="r1", text=REPLY, **more):
    return persona.post(f"/api/v1/cases/{case.pk}/replies",
                        {"text": text, "idempotency_key": key,
                         "base_version": Case.objects.get(pk=case.pk).version, **more})


def _linked_reply(persona, linked_id, key="l1", text=REPLY):
    return persona.post(f"/api/v1/cases/{linked_id}/linked-conversation",
                        {"text": text, "idempotency_key": key})


def _state(case_id):
    case = Case.objects.get(pk=case_id)
    return (case.version, case.speaking_workspace_id, case.messages.count(),
            AuditEvent.objects.filter(case_id=case_id).count())


def _outsider(now=None) -> Persona:
    now = now or timezone.now()
    other = create_workspace(slug="dishub", name="Dishub Balikpapan", now=now)
    user = add_member(workspace=other, username="asing", role="supervisor",
                      password="kata-sandi-uji", now=now).user
    return Persona(user, create_token(user=user, now=now), Client())


def test_handed_over_the_linked_desk_speaks_and_the_city_desk_is_refused(desk, directory):
    case, referral = _referred_to_dlh(desk, directory)
    linked = referral.linked_case
    before = case.version
    response = _hand_over(desk.ani, case)
    assert response.status_code == 200, response.content
    assert response.json() == {"speaking_desk": {"workspace": "dlh", "name": "DLH Balikpapan"},
                               "version": before + 1}
    handed = AuditEvent.objects.get(case=case, action="case.conversation_handed_over")
    assert (handed.actor, handed.workspace_id, handed.after["speaking_desk"],
            handed.after["has_note"], handed.after["referral_id"]) == (
        desk.ani.user, desk.bpn.pk, "dlh", True, referral.pk)
    told = AuditEvent.objects.get(case=linked, action="referral.conversation_handed_over")
    assert (told.workspace_id, told.after) == (desk.dlh.pk, {"from": "Pemkot Balikpapan",
                                                             "has_note": True})
    # The note may quote the citizen: it stays on the referral (erasable), not in the trails.
    referral.refresh_from_db()
    assert referral.hand_over_note == "Mohon DLH menjawab warga langsung"

    # The city desk's composer is refused, naming the desk that speaks; nothing is stored.
    state = _state(case.pk)
    refused = _reply(desk.ani, case)
    assert refused.status_code == 409
    assert refused.json()["error"] == "handed_over"
    assert refused.json()["speaking_desk"] == "DLH Balikpapan"
    assert "DLH Balikpapan" in refused.json()["message"]
    assert _state(case.pk) == state

    # DLH's operator claims the linked case, reads the citizen's conversation and answers.
    assert desk.luar.post(f"/api/v1/cases/{linked.pk}/claim").status_code == 200
    read = desk.luar.get(f"/api/v1/cases/{linked.pk}/linked-conversation")
    assert read.status_code == 200
    body = read.json()
    assert (body["from_desk"], body["tracking_number"]) == ("Pemkot Balikpapan",
                                                             case.tracking_number)
    assert [(m["direction"], m["text"]) for m in body["messages"]][0] == ("in", CITIZEN)
    sent = _linked_reply(desk.luar, linked.pk)
    assert sent.status_code == 201, sent.content
    message = Message.objects.get(pk=sent.json()["message"]["id"])
    assert (message.case_id, message.channel_id, message.direction, message.text,
            message.sent_by) == (case.pk, desk.web.pk, Direction.OUT, REPLY, desk.luar.user)
    replied = AuditEvent.objects.get(case=case, action="case.replied")
    assert (replied.actor, replied.workspace_id, replied.after["workspace"],
            replied.after["handed_over"], replied.after["message_id"]) == (
        desk.luar.user, desk.bpn.pk, "dlh", True, message.pk)
    noted = AuditEvent.objects.get(case=linked, action="referral.citizen_replied")
    assert (noted.actor, noted.workspace_id, noted.after["message_id"]) == (
        desk.luar.user, desk.dlh.pk, message.pk)
    # The same key again: the same message, nothing new.
    again = _linked_reply(desk.luar, linked.pk)
    assert (again.status_code, again.json()["message"]["id"]) == (200, message.pk)
    assert case.messages.filter(direction=Direction.OUT).count() == 1
    # The city desk sees the reply in its own case.
    detail = desk.ani.get(f"/api/v1/cases/{case.pk}").json()
    assert [m["text"] for m in detail["messages"] if m["direction"] == "out"] == [REPLY]


def test_the_city_desk_takes_the_conversation_back(desk, directory):
    case, referral = _referred_to_dlh(desk, directory)
    linked = referral.linked_case
    assert _hand_over(desk.ani, case).status_code == 200
    desk.luar.post(f"/api/v1/cases/{linked.pk}/claim")
    back = desk.ani.post(f"/api/v1/cases/{case.pk}/conversation/take-back",
                         {"note": "Warga menelepon kami"})
    assert back.status_code == 200
    assert back.json()["speaking_desk"] is None
    event = AuditEvent.objects.get(case=case, action="case.conversation_taken_back")
    assert (event.actor, event.after["has_note"], event.before["speaking_desk"]) == (
        desk.ani.user, True, "dlh")
    referral.refresh_from_db()
    assert referral.take_back_note == "Warga menelepon kami"
    assert AuditEvent.objects.filter(case=linked,
                                     action="referral.conversation_taken_back").count() == 1
    # DLH may no longer speak, nor read the conversation; the city desk may again.
    state = _state(case.pk)
    refused = _linked_reply(desk.luar, linked.pk)
    assert (refused.status_code, refused.json()["error"]) == (409, "not_handed_over")
    assert desk.luar.get(f"/api/v1/cases/{linked.pk}/linked-conversation").status_code == 409
    assert _state(case.pk) == state
    assert _reply(desk.ani, case).status_code == 201
    # Taking back twice: nothing to take back. An empty body is accepted (the note is optional).
    assert _hand_over(desk.ani, case).status_code == 200
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/conversation/take-back",
                         "").status_code == 200
    twice = desk.ani.post(f"/api/v1/cases/{case.pk}/conversation/take-back", {})
    assert (twice.status_code, twice.json()["error"]) == (409, "not_handed_over")


def test_who_may_hand_over_and_take_back(desk, directory):
    case, referral = _referred_to_dlh(desk, directory)
    outsider = _outsider()
    state = _state(case.pk)
    # A colleague who does not hold it, the auditor, the body's desk and an outsider.
    not_holder = _hand_over(desk.budi, case)
    assert (not_holder.status_code, not_holder.json()["error"]) == (409, "not_holder")
    assert _hand_over(desk.audi, case).status_code == 403
    assert _hand_over(desk.luar, case).status_code == 404
    assert _hand_over(outsider, case).status_code == 404
    # Bad input: no note, a blank note, no or a stale base_version.
    for body in ({"base_version": case.version}, {"note": "  ", "base_version": case.version},
                 {"note": "x"}, {"note": "x", "base_version": "1"}):
        response = desk.ani.post(f"/api/v1/cases/{case.pk}/conversation/hand-over", body)
        assert response.status_code == 422, body
    stale = _hand_over(desk.ani, case, version=case.version - 1)
    assert (stale.status_code, stale.json()["error"]) == (409, "stale_version")
    assert _state(case.pk) == state
    # A supervisor may, without holding it; a second hand-over is refused.
    assert _hand_over(desk.sari, case).status_code == 200
    second = _hand_over(desk.ani, case)
    assert (second.status_code, second.json()["error"]) == (409, "handed_over")
    state = _state(case.pk)
    path = f"/api/v1/cases/{case.pk}/conversation/take-back"
    assert desk.budi.post(path, {}).json()["error"] == "not_holder"
    assert desk.audi.post(path, {}).status_code == 403
    assert desk.luar.post(path, {}).status_code == 404
    assert outsider.post(path, {}).status_code == 404
    assert _state(case.pk) == state
    assert desk.sari.post(path, {}).status_code == 200


def test_only_an_open_referral_to_a_body_with_its_own_desk_can_take_the_conversation(
        desk, directory):
    plain = desk.inbound(text=CITIZEN).case
    desk.ani.post(f"/api/v1/cases/{plain.pk}/claim")
    none = _hand_over(desk.ani, plain)
    assert (none.status_code, none.json()["error"]) == (409, "no_linked_desk")
    assert desk.ani.post(f"/api/v1/cases/{plain.pk}/referrals",
                         {"body_id": directory.pdam.pk}).status_code == 201
    external = _hand_over(desk.ani, plain)
    assert (external.status_code, external.json()["error"]) == (409, "no_linked_desk")
    assert Case.objects.get(pk=plain.pk).speaking_workspace_id is None


def test_the_linked_desks_reply_is_refused_to_everyone_but_the_holder(desk, directory):
    case, referral = _referred_to_dlh(desk, directory)
    linked = referral.linked_case
    path = f"/api/v1/cases/{linked.pk}/linked-conversation"
    # Not handed over yet: nothing to read or say.
    desk.luar.post(f"/api/v1/cases/{linked.pk}/claim")
    assert desk.luar.get(path).json()["error"] == "not_handed_over"
    assert _linked_reply(desk.luar, linked.pk).json()["error"] == "not_handed_over"
    assert _hand_over(desk.ani, case).status_code == 200
    now = timezone.now()
    dlh_two = Persona(*(lambda u: (u, create_token(user=u, now=now)))(add_member(
        workspace=desk.dlh, username="dewi", role="operator", password="kata-sandi-uji",
        now=now).user), Client())
    dlh_auditor = Persona(*(lambda u: (u, create_token(user=u, now=now)))(add_member(
        workspace=desk.dlh, username="dlh-audit", role="auditor", password="kata-sandi-uji",
        now=now).user), Client())
    outsider = _outsider(now)
    state = _state(case.pk)
    # Another DLH operator (not the holder), DLH's auditor, the city desk, an outsider.
    assert _linked_reply(dlh_two, linked.pk).json()["error"] == "not_holder"
    assert _linked_reply(dlh_auditor, linked.pk).status_code == 403
    assert dlh_auditor.get(path).status_code == 200  # reading is what an auditor does
    for stranger in (desk.ani, desk.sari, outsider):
        assert _linked_reply(stranger, linked.pk).status_code == 404
        assert stranger.get(path).status_code == 404
    # The city case itself stays closed to DLH: only the conversation is shared.
    assert desk.luar.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert desk.luar.post(f"/api/v1/cases/{case.pk}/replies",
                          {"text": REPLY, "idempotency_key": "x",
                           "base_version": 1}).status_code == 404
    # The tone guard runs on the linked desk's reply too.
    rude = _linked_reply(desk.luar, linked.pk, key="rude", text="Dasar bodoh, urus sendiri!")
    assert (rude.status_code, rude.json()["error"]) == (422, "tone_blocked")
    # A case of DLH's own that no referral opened has no conversation to share.
    own = desk.inbound(text="Pohon tumbang", channel=desk.dlh_web, external_id="d1").case
    assert desk.luar.get(f"/api/v1/cases/{own.pk}/linked-conversation").status_code == 409
    assert _state(case.pk) == state


def test_a_settled_referral_gives_the_conversation_back(desk, directory):
    case, referral = _referred_to_dlh(desk, directory)
    assert _hand_over(desk.ani, case).status_code == 200
    desk.luar.client.force_login(desk.luar.user)
    answer = desk.luar.client.post(f"/penghubung/rujukan/{referral.pk}/",
                                   {"status": "selesai", "message": "Sampah sudah diangkut."})
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.speaking_workspace_id is None
    event = AuditEvent.objects.get(case=case, action="case.conversation_taken_back")
    assert (event.actor, event.after["reason"]) == (None, "referral_settled")
    assert _linked_reply(desk.luar, referral.linked_case_id).json()["error"] == "not_handed_over"


def test_the_desk_pages_show_who_speaks_on_both_sides(desk, directory):
    case, referral = _referred_to_dlh(desk, directory)
    linked = referral.linked_case
    desk.ani.client.force_login(desk.ani.user)
    desk.luar.client.force_login(desk.luar.user)
    panel = desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel",
                                HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'id="hand-over"' in panel
    assert "Serahkan percakapan ke DLH Balikpapan" in panel
    assert 'data-speaking-desk=""' in panel
    other = desk.luar.client.get(f"/w/dlh/cases/{linked.pk}/panel").content.decode()
    assert 'id="linked-conversation"' not in other  # not handed over: nothing to read

    assert _hand_over(desk.ani, case).status_code == 200
    panel = desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel",
                                HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'data-speaking-desk="DLH Balikpapan"' in panel
    assert "DLH Balikpapan yang kini berbicara dengan warga" in panel
    assert 'id="take-back"' in panel and 'id="hand-over"' not in panel
    page = desk.ani.client.get(f"/w/bpn/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="id")
    assert "{desk} yang kini berbicara dengan warga" in page.content.decode()
    other = desk.luar.client.get(f"/w/dlh/cases/{linked.pk}/panel",
                                 HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'id="linked-conversation"' in other and 'id="linked-reply"' in other
    assert CITIZEN in other
    assert "Catatan dari meja layanan: Mohon DLH menjawab warga langsung" in other
    desk.luar.client.cookies["django_language"] = "en"
    english = desk.luar.client.get(f"/w/dlh/cases/{linked.pk}/panel").content.decode()
    assert "Send to the citizen" in english
    assert "Pemkot Balikpapan handed the conversation with the citizen over to your desk" in english
    del desk.luar.client.cookies["django_language"]
    # Nothing else of the city desk: its internal notes stay there.
    desk.ani.post(f"/api/v1/cases/{case.pk}/notes", {"text": "Catatan internal kota"})
    other = desk.luar.client.get(f"/w/dlh/cases/{linked.pk}/panel").content.decode()
    assert "Catatan internal kota" not in other
    assert desk.luar.client.get(f"/w/bpn/cases/{case.pk}/panel").status_code == 404


# ---------------------------------------------------------------------------------------------
# The race: the city desk sends while the hand-over commits. Each on its own connection,
# released together; exactly one goes through, whichever the database lets in first.


def _post(token, path, body):
    try:
        response = Client().post(path, data=json.dumps(body), content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {token}")
        return response.status_code, response.json()
    finally:
        from django.db import connections

        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_reply_racing_a_hand_over_exactly_one_goes_through():
    desk = make_desk()
    directory = make_directory(desk)
    outcomes = set()
    for round_ in range(6):
        case, _referral = _referred_to_dlh(desk, directory, external_id=f"race{round_}",
                                           author_id=f"warga-race{round_}")
        version = case.version
        barrier = threading.Barrier(2)
        results = {}

        def reply(case=case, version=version, barrier=barrier, results=results):
            barrier.wait()
            results["reply"] = _post(desk.ani.token, f"/api/v1/cases/{case.pk}/replies",
                                     {"text": REPLY, "idempotency_key": "race",
                                      "base_version": version})

        def hand_over(case=case, version=version, barrier=barrier, results=results):
            barrier.wait()
            results["hand_over"] = _post(
                desk.sari.token, f"/api/v1/cases/{case.pk}/conversation/hand-over",
                {"note": "DLH menjawab", "base_version": version})

        threads = [threading.Thread(target=reply), threading.Thread(target=hand_over)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = (results["reply"][0], results["hand_over"][0])
        stored = Case.objects.get(pk=case.pk)
        sent = stored.messages.filter(direction=Direction.OUT).count()
        if statuses == (201, 409):
            assert results["hand_over"][1]["error"] == "stale_version"
            assert (sent, stored.speaking_workspace_id) == (1, None)
        else:
            assert statuses == (409, 200), results
            assert results["reply"][1]["error"] in ("handed_over", "stale_version")
            assert (sent, stored.speaking_workspace_id) == (0, desk.dlh.pk)
        outcomes.add(statuses)
    assert outcomes <= {(201, 409), (409, 200)}


def test_a_held_reply_approved_after_the_hand_over_is_refused(desk, directory):
    from django.core.management import call_command

    call_command("workspace", "set", "bpn", "--approve-warn", "on")
    case, _referral = _referred_to_dlh(desk, directory)
    held = _reply(desk.ani, case, text="Terima kasih, laporan Anda SUDAH kami teruskan.",
                  confirm_tone=True)
    assert held.status_code == 202, held.content
    assert _hand_over(desk.ani, case).status_code == 200
    state = _state(case.pk)
    approved = desk.sari.post(f"/api/v1/approvals/{held.json()['approval_id']}/approve")
    assert (approved.status_code, approved.json()["error"]) == (409, "handed_over")
    assert _state(case.pk) == state


def test_an_incident_announcement_skips_a_handed_over_member(desk, directory):
    case, _referral = _referred_to_dlh(desk, directory)
    assert _hand_over(desk.ani, case).status_code == 200
    other = desk.inbound(text=CITIZEN, external_id="m2", author_id="warga2").case
    incident = desk.sari.post("/api/v1/incidents", {"case_ids": [case.pk, other.pk],
                                                    "title": "Sampah Jl. Ahmad Yani"})
    assert incident.status_code == 201, incident.content
    sent = desk.sari.post(f"/api/v1/incidents/{incident.json()['id']}/replies",
                          {"text": REPLY, "idempotency_key": "a1"})
    assert sent.status_code == 201, sent.content
    assert sent.json() == {"sent": 1, "skipped": [{"case_id": case.pk, "reason": "handed_over"}]}
    assert case.messages.filter(direction=Direction.OUT).count() == 0


def test_a_withdrawn_referral_gives_the_conversation_back(desk, directory):
    from tanggap.referrals.actions import withdraw_referral
    from tanggap.workspaces.models import Membership

    case, referral = _referred_to_dlh(desk, directory)
    assert _hand_over(desk.ani, case).status_code == 200
    withdraw_referral(referral_id=referral.pk, actor=desk.ani.user, reason="Salah instansi",
                      membership=Membership.objects.get(user=desk.ani.user), now=timezone.now())
    case.refresh_from_db()
    assert case.speaking_workspace_id is None
    event = AuditEvent.objects.get(case=case, action="case.conversation_taken_back")
    assert event.after == {**event.after, "reason": "referral_settled", "has_note": False}
    assert _reply(desk.ani, case, key="after-withdrawal").status_code == 201
