"""Canned replies: saved only when the tone guard passes them and their fields are known,
suggested by the case's topic and intent, filled in per case, checked again at send."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases import actions, templating
from tanggap.cases.models import Case
from tanggap.replytemplates.models import ReplyTemplate

POLITE = ("Terima kasih, Bapak/Ibu {nama}. Laporan {nomor_laporan} lewat {kanal} sudah kami "
          "terima. Salam, {operator}.")


def _create(persona, **body):
    return persona.post("/api/v1/templates", {"name": "Terima kasih", "text": POLITE, **body})


def test_supervisors_and_admins_save_a_template_and_everyone_reads_it(desk):
    created = _create(desk.sari, topics=["penerangan_jalan"], intents=["aduan"])
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": body["id"], "name": "Terima kasih", "text": POLITE,
                    "topics": ["penerangan_jalan"], "intents": ["aduan"], "workspace": "bpn"}
    assert AuditEvent.objects.filter(action="template.created", actor=desk.sari.user).count() == 1
    for reader in (desk.ani, desk.audi):
        listed = reader.get("/api/v1/templates").json()["results"]
        assert [t["id"] for t in listed] == [body["id"]]
    assert desk.luar.get("/api/v1/templates").json()["results"] == []


def test_operators_auditors_and_outsiders_cannot_write_templates(desk):
    for persona, status in ((desk.ani, 403), (desk.audi, 403), (desk.gerbang, 403)):
        assert _create(persona).status_code == status
    template = ReplyTemplate.objects.get(pk=_create(desk.sari).json()["id"])
    for persona, status in ((desk.ani, 403), (desk.luar, 404)):
        path = f"/api/v1/templates/{template.pk}"
        assert persona.client.patch(path, data='{"name": "x"}', content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {persona.token}"
                                    ).status_code == status
        assert persona.client.delete(path, HTTP_AUTHORIZATION=f"Bearer {persona.token}"
                                     ).status_code == status
    assert ReplyTemplate.objects.get().name == "Terima kasih"


@pytest.mark.parametrize(("text", "code"), [
    ("SUDAH KAMI BILANG, BACA PENGUMUMAN!!!", "tone_blocked"),
    ("Dasar warga bego, baca dulu pengumumannya.", "tone_blocked"),
])
def test_a_template_the_guard_blocks_is_422_with_findings_and_nothing_saved(desk, text, code):
    before = AuditEvent.objects.count()
    refused = _create(desk.sari, text=text)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == code and body["findings"]
    assert all(f["severity"] in ("info", "warn", "block") for f in body["findings"])
    assert not ReplyTemplate.objects.exists() and AuditEvent.objects.count() == before


def test_a_template_the_guard_warns_about_needs_confirmation(desk):
    text = "Terima kasih, laporan Anda SUDAH kami teruskan."
    warned = _create(desk.sari, text=text)
    assert warned.status_code == 422 and warned.json()["error"] == "tone_warning"
    assert not ReplyTemplate.objects.exists()
    assert _create(desk.sari, text=text, confirm_tone=True).status_code == 201


@pytest.mark.parametrize(("text", "unknown"), [
    ("Halo {nama}, dari {dinas}.", "{dinas}"),
    ("Halo {alamat}.", "{alamat}"),
])
def test_a_template_with_an_unknown_field_is_refused_at_save(desk, text, unknown):
    refused = _create(desk.sari, text=text)
    assert refused.status_code == 422
    assert refused.json()["field"] == "text" and unknown in refused.json()["message"]
    assert not ReplyTemplate.objects.exists()


@pytest.mark.parametrize("text", ["Halo {nama", "Halo {nama!r}", "Halo {nama:>999}", "Halo {}"])
def test_a_template_with_broken_braces_is_refused(desk, text):
    assert _create(desk.sari, text=text).status_code == 422
    assert not ReplyTemplate.objects.exists()


def test_bad_fields_are_422_and_a_duplicate_name_409(desk):
    assert _create(desk.sari, topics=["bukan_topik"]).status_code == 422
    assert _create(desk.sari, intents="aduan").status_code == 422
    assert _create(desk.sari, name="").status_code == 422
    assert _create(desk.sari).status_code == 201
    duplicate = _create(desk.sari)
    assert duplicate.status_code == 409 and ReplyTemplate.objects.count() == 1


def test_the_composer_gets_templates_filled_and_the_suggested_first(desk):
    case = desk.inbound("Lampu jalan di Jl. Sudirman mati").case  # penerangan_jalan, aduan
    assert (case.topic, case.intent) == ("penerangan_jalan", "aduan")
    _create(desk.sari, name="A umum")
    _create(desk.sari, name="B lampu", topics=["penerangan_jalan"])
    _create(desk.sari, name="C aduan", intents=["aduan"])
    _create(desk.sari, name="D lampu aduan", topics=["penerangan_jalan"], intents=["aduan"])
    results = desk.ani.get(f"/api/v1/cases/{case.pk}/templates").json()["results"]
    assert [r["name"] for r in results] == ["D lampu aduan", "B lampu", "C aduan", "A umum"]
    assert [r["suggested"] for r in results] == [True, True, True, False]
    channel = str(case.channel)
    assert results[0]["text"] == (
        f"Terima kasih, Bapak/Ibu Warga Satu. Laporan {case.tracking_number} lewat {channel} "
        "sudah kami terima. Salam, ani.")
    assert results[0]["missing"] == []
    assert desk.luar.get(f"/api/v1/cases/{case.pk}/templates").status_code == 404


def test_a_contact_known_only_by_number_leaves_nama_missing(desk):
    from tanggap.cases.actions import ingest_inbound

    case = ingest_inbound(channel=desk.web, external_id="n1", author_id="62811",
                          author_name="628110000", text="Air mati", now=timezone.now()).case
    _create(desk.sari)
    row = desk.ani.get(f"/api/v1/cases/{case.pk}/templates").json()["results"][0]
    assert (row["text"], row["missing"]) == (None, ["nama"])


def test_a_filled_template_is_checked_again_when_sent(desk):
    """The template passed at save; what leaves is checked again (here the citizen's own name
    makes it shout)."""
    from tanggap.cases.actions import ingest_inbound
    from tanggap.errors import ToneBlocked

    case = ingest_inbound(channel=desk.web, external_id="n2", author_id="w9",
                          author_name="BUDI SANTOSO MARPAUNG", text="Air mati",
                          now=timezone.now()).case
    template = "{nama} {nama} {nama}, mohon ditunggu."
    assert _create(desk.sari, text=template, name="x").status_code == 201
    filled = templating.render(template, templating.values_for(case=case, actor=desk.ani.user))
    actions.claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())
    with pytest.raises(ToneBlocked):
        actions.send_reply(case_id=case.pk, actor=desk.ani.user, text=filled,
                           idempotency_key="t1", now=timezone.now(),
                           base_version=Case.objects.get(pk=case.pk).version)


def test_update_and_delete_are_audited(desk):
    created = _create(desk.sari).json()
    path = f"/api/v1/templates/{created['id']}"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {desk.sari.token}"}
    changed = desk.sari.client.patch(path, data='{"name": "Baru", "topics": ["jalan"]}',
                                     content_type="application/json", **auth)
    assert changed.status_code == 200 and changed.json()["name"] == "Baru"
    assert changed.json()["topics"] == ["jalan"] and changed.json()["text"] == POLITE
    blocked = desk.sari.client.patch(path, data='{"text": "GOBLOK!!!"}',
                                     content_type="application/json", **auth)
    assert blocked.status_code == 422 and ReplyTemplate.objects.get().text == POLITE
    gone = desk.sari.client.delete(path, **auth)
    assert gone.json() == {"id": created["id"], "deleted": True}
    assert not ReplyTemplate.objects.exists()
    assert list(AuditEvent.objects.filter(action__startswith="template.")
                .values_list("action", flat=True).order_by("id")) == [
        "template.created", "template.updated", "template.deleted"]


def test_the_engine_refuses_unknown_and_names_missing_values():
    from tanggap.errors import InvalidInput

    assert templating.fields_of("Halo {nama}, nomor {nomor_laporan}") == ["nama",
                                                                          "nomor_laporan"]
    with pytest.raises(InvalidInput) as missing:
        templating.render("Halo {nama}", {})
    assert missing.value.extra["missing"] == ["nama"]
    assert templating.render("Halo {nama}", {"nama": "Budi"}) == "Halo Budi"


def test_an_admin_saves_a_template_too(desk):
    from django.test import Client

    from tanggap.conftest import Persona
    from tanggap.workspaces.actions.members import add_member
    from tanggap.workspaces.actions.tokens import create_token

    now = timezone.now()
    admin = add_member(workspace=desk.bpn, username="adi", role="admin",
                       password="kata-sandi-uji", now=now)
    adi = Persona(admin.user, create_token(user=admin.user, now=now), Client())
    created = _create(adi)
    assert (created.status_code, created.json()["name"]) == (201, "Terima kasih")
    assert AuditEvent.objects.filter(action="template.created", actor=admin.user).count() == 1
