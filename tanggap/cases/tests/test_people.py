"""One citizen, several accounts: an operator links a contact on X with the same person's
WhatsApp, the case shows the person's cases on every channel, a mistaken link is undone; each
step audited; outsiders, auditors and foreign contacts refused with nothing changed."""

from __future__ import annotations

from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import ingest_inbound
from tanggap.cases.models import Contact
from tanggap.connectors.actions.channels import add_channel


def _two_accounts(desk):
    whatsapp = add_channel(workspace=desk.bpn, platform="whatsapp", handle="62811000",
                           now=timezone.now(), simulated=True)
    on_x = ingest_inbound(channel=desk.x, external_id="t1", author_id="x-77", author_name="Budi",
                          text="Lampu jalan di Gang Mawar mati", now=timezone.now()).case
    on_wa = ingest_inbound(channel=whatsapp, external_id="w1", author_id="62812345678",
                           author_name="Budi Santoso", text="Min, lampunya masih mati",
                           now=timezone.now()).case
    return on_x, on_wa


def _flat(response) -> str:
    return " ".join(response.content.decode().split())


def test_linking_by_a_tracking_number_shows_the_persons_cases_on_every_channel(desk):
    on_x, on_wa = _two_accounts(desk)
    linked = desk.ani.post(f"/api/v1/contacts/{on_x.contact_id}/link",
                           {"tracking_number": on_wa.tracking_number.lower(),
                            "case_id": on_x.pk})
    assert linked.status_code == 200, linked.content
    assert linked.json() == {"id": on_x.contact_id, "linked": [
        {"id": on_wa.contact_id, "platform": "whatsapp", "name": "Budi Santoso"}]}
    assert set(Contact.objects.values_list("person_id", flat=True)) == {on_x.contact_id}
    event = AuditEvent.objects.get(action="contact.linked")
    assert (event.actor, event.case_id) == (desk.ani.user, on_x.pk)
    assert event.after["linked"] == ["whatsapp:Budi Santoso", "x:Budi"]

    desk.ani.client.force_login(desk.ani.user)
    panel = _flat(desk.ani.client.get(f"/w/bpn/cases/{on_x.pk}/panel"))
    assert "Budi Santoso <small>(whatsapp)</small>" in panel
    assert f">{on_wa.tracking_number}</a> · WhatsApp ·" in panel
    assert "ani menautkan akun warga: Budi Santoso (whatsapp), Budi (x)." in panel
    # The other side sees it too.
    other = _flat(desk.ani.client.get(f"/w/bpn/cases/{on_wa.pk}/panel"))
    assert f">{on_x.tracking_number}</a> · X ·" in other


def test_unlinking_leaves_each_contact_alone_and_is_audited(desk):
    on_x, on_wa = _two_accounts(desk)
    desk.ani.post(f"/api/v1/contacts/{on_x.contact_id}/link", {"contact_id": on_wa.contact_id})
    undone = desk.budi.post(f"/api/v1/contacts/{on_wa.contact_id}/unlink", {"case_id": on_x.pk})
    assert undone.status_code == 200 and undone.json() == {"id": on_wa.contact_id, "linked": []}
    assert set(Contact.objects.values_list("person_id", flat=True)) == {None}
    assert AuditEvent.objects.get(action="contact.unlinked").after == {
        "unlinked": "whatsapp:Budi Santoso"}
    # Unlinking a lone contact again changes nothing and records nothing.
    assert desk.budi.post(f"/api/v1/contacts/{on_wa.contact_id}/unlink").status_code == 200
    assert AuditEvent.objects.filter(action="contact.unlinked").count() == 1


def test_a_third_account_joins_the_person_and_leaving_renames_the_rest(desk):
    on_x, on_wa = _two_accounts(desk)
    web = desk.inbound(author_id="web-budi").case
    desk.ani.post(f"/api/v1/contacts/{on_x.contact_id}/link", {"contact_id": on_wa.contact_id})
    desk.ani.post(f"/api/v1/contacts/{web.contact_id}/link", {"contact_id": on_wa.contact_id})
    first = min(on_x.contact_id, on_wa.contact_id, web.contact_id)
    assert set(Contact.objects.values_list("person_id", flat=True)) == {first}
    desk.ani.post(f"/api/v1/contacts/{first}/unlink")
    rest = Contact.objects.exclude(pk=first)
    assert set(rest.values_list("person_id", flat=True)) == {min(rest.values_list("pk",
                                                                                 flat=True))}
    assert Contact.objects.get(pk=first).person_id is None


def test_refusals_change_nothing(desk):
    on_x, on_wa = _two_accounts(desk)
    foreign = desk.inbound(channel=desk.dlh_web, author_id="dlh-1").case
    cases = [
        (desk.luar, on_x.contact_id, {"contact_id": on_wa.contact_id}, 404),
        (desk.audi, on_x.contact_id, {"contact_id": on_wa.contact_id}, 403),
        (desk.ani, on_x.contact_id, {"contact_id": foreign.contact_id}, 404),
        (desk.ani, on_x.contact_id, {"contact_id": on_x.contact_id}, 422),
        (desk.ani, on_x.contact_id, {"tracking_number": foreign.tracking_number}, 422),
        (desk.ani, on_x.contact_id, {"tracking_number": "TG-NOPE"}, 422),
        (desk.ani, on_x.contact_id, {}, 422),
        (desk.ani, on_x.contact_id, {"contact_id": on_wa.contact_id, "case_id": foreign.pk}, 422),
    ]
    for persona, contact_id, body, status in cases:
        answer = persona.post(f"/api/v1/contacts/{contact_id}/link", body)
        assert answer.status_code == status, (persona.user.username, body, answer.content)
    assert set(Contact.objects.values_list("person_id", flat=True)) == {None}
    assert not AuditEvent.objects.filter(action__startswith="contact.").exists()
    assert desk.luar.post(f"/api/v1/contacts/{on_x.contact_id}/unlink").status_code == 404
