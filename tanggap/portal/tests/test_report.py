"""POST /lapor/<slug>/: the citizen form becomes a case on the workspace's web channel."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Contact, Message
from tanggap.portal.models import Submission
from tanggap.portal.photos import MAX_PHOTO_BYTES
from tanggap.portal.tests.conftest import (
    JPEG_BYTES,
    PNG_BYTES,
    WEBP_BYTES,
    form_data,
    stored_files,
)


def _only_case() -> Case:
    (case,) = Case.objects.all()
    return case


def test_form_page_speaks_indonesian_by_default(desk):
    page = Client().get("/lapor/bpn/").content.decode()
    assert '<html lang="id">' in page
    assert "Pertanyaan" in page and "Aduan" in page


def test_form_page_has_labelled_fields_and_a_honeypot(client, desk):
    response = client.get("/lapor/bpn/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="form_token"' in page
    assert '<label for="id_text">' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page
    assert "Pemkot Balikpapan" in page


def test_submit_creates_case_and_shows_tracking_number(client, desk):
    response = client.post("/lapor/bpn/", form_data(
        name="Siti Aminah", contact="0812-3456-7890", kind="pertanyaan",
        text="Kapan jadwal pengangkutan sampah di RT 05 Gunung Samarinda?",
        address="Jl. Sudirman No. 12", latitude="-1,2654321", longitude="116.8312",
    ))

    case = _only_case()
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<p class="tracking" id="tracking-number">{case.tracking_number}</p>' in page
    assert f'href="/lapor/status/{case.tracking_number}/"' in page
    assert case.workspace_id == desk.bpn.pk
    assert case.channel_id == desk.web.pk
    assert case.kind == "pertanyaan"
    assert case.status == "baru"
    (message,) = case.messages.all()
    assert message.direction == "in"
    assert message.text == "Kapan jadwal pengangkutan sampah di RT 05 Gunung Samarinda?"
    assert message.author_name == "Siti Aminah"
    assert message.attachments == []
    assert message.external_id.startswith("portal-")
    assert case.thread_id == message.external_id
    assert (case.contact.platform, case.contact.display_name) == ("web", "Siti Aminah")
    assert re.fullmatch(r"web-[0-9a-f]{32}", case.contact.external_id)
    submission = Submission.objects.get()
    assert (submission.case_id, submission.message_id) == (case.pk, message.pk)
    assert submission.reporter_contact == "+6281234567890"
    assert submission.latitude == Decimal("-1.265432")
    assert submission.longitude == Decimal("116.831200")
    assert submission.address == "Jl. Sudirman No. 12"
    assert (submission.anonymous, submission.confidential) == (False, False)
    assert list(AuditEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "case.opened", "portal.submitted"]
    assert AuditEvent.objects.get(action="portal.submitted").after == {
        "anonymous": False, "confidential": False, "photo": False, "location": True}


def test_a_typed_phone_number_never_renames_or_joins_the_citizen_contact(client, desk):
    # Anyone can type anyone's number: it is contact data for the desk, not an identity.
    client.post("/lapor/bpn/", form_data(name="Siti", contact="+62 812 3456 7890",
                                         confidential="on", text="Pungli di kelurahan."))
    (siti_case,) = Case.objects.all()
    client.post("/lapor/bpn/", form_data(name="Penipu", contact="081234567890",
                                         text="Saya Siti, tolong kirim laporan saya."))

    siti_case.refresh_from_db()
    other_case = Case.objects.exclude(pk=siti_case.pk).get()
    assert siti_case.contact.display_name == "Siti"
    assert other_case.contact_id != siti_case.contact_id
    assert other_case.contact.display_name == "Penipu"
    assert list(siti_case.contact.cases.all()) == [siti_case]
    assert list(other_case.contact.cases.all()) == [other_case]
    assert all(c.external_id.startswith("web-") for c in Contact.objects.all())
    # Both numbers are kept, on each report, for the desk to call back.
    assert list(Submission.objects.order_by("pk").values_list("reporter_contact", flat=True)) == [
        "+6281234567890", "+6281234567890"]


def test_a_typed_number_does_not_join_a_contact_made_before_this_rule(client, desk):
    # Earlier versions filed every report with one number under `c-<hash of the number>`.
    phone_hash = hashlib.sha256(b"+6281234567890").hexdigest()[:40]
    old = desk.inbound(author_id=f"c-{phone_hash}", external_id="portal-old").case.contact
    Contact.objects.filter(pk=old.pk).update(display_name="Siti")

    client.post("/lapor/bpn/", form_data(name="Penipu", contact="0812 3456 7890"))

    old.refresh_from_db()
    assert old.display_name == "Siti"
    assert old.cases.count() == 1
    new_case = Case.objects.exclude(contact=old).get()
    assert new_case.contact.display_name == "Penipu"


def test_a_report_without_a_name_files_under_warga_even_with_a_contact(client, desk):
    client.post("/lapor/bpn/", form_data(contact="081234567890"))
    assert Case.objects.get().contact.display_name == "Warga"


def test_email_contact_is_normalised(client, desk):
    client.post("/lapor/bpn/", form_data(contact="  Siti.Aminah@Example.ID "))
    assert Submission.objects.get().reporter_contact == "siti.aminah@example.id"


def test_no_name_no_contact_files_under_warga(client, desk):
    client.post("/lapor/bpn/", form_data())
    case = _only_case()
    assert case.contact.display_name == "Warga"
    assert case.contact.external_id.startswith("web-")


def test_same_form_sent_twice_stores_one_case(client, desk):
    data = form_data()
    first = client.post("/lapor/bpn/", data)
    second = client.post("/lapor/bpn/", data)

    case = _only_case()
    assert Message.objects.count() == 1
    assert Submission.objects.count() == 1
    for response in (first, second):
        assert f'id="tracking-number">{case.tracking_number}<' in response.content.decode()


def test_anonymous_keeps_no_identity_even_if_typed(client, desk):
    client.post("/lapor/bpn/", form_data(
        name="Siti Aminah", contact="081234567890", anonymous="on"))
    client.post("/lapor/bpn/", form_data(
        name="Siti Aminah", contact="081234567890", anonymous="on", text="Laporan kedua."))

    contacts = list(Contact.objects.order_by("pk"))
    assert [c.display_name for c in contacts] == ["Anonim", "Anonim"]
    assert all(c.external_id.startswith("anon-") for c in contacts)
    assert contacts[0].external_id != contacts[1].external_id
    assert set(Message.objects.values_list("author_name", flat=True)) == {"Anonim"}
    assert set(Submission.objects.values_list("reporter_contact", "anonymous")) == {("", True)}
    phone_hash = hashlib.sha256(b"+6281234567890").hexdigest()[:40]
    assert not Contact.objects.filter(external_id__contains=phone_hash).exists()


def test_confidential_flag_is_recorded_for_the_desk(client, desk):
    response = client.post("/lapor/bpn/", form_data(confidential="on"))
    assert Submission.objects.get().confidential is True
    assert "its text will not appear on the status page" in response.content.decode()


def test_photo_is_stored_under_a_random_name_with_metadata(client, desk, uploads):
    photo = SimpleUploadedFile("../../etc/foto jalan.png", PNG_BYTES, content_type="text/html")
    client.post("/lapor/bpn/", {**form_data(), "photo": photo})

    (message,) = Message.objects.all()
    (attachment,) = message.attachments
    (stored,) = stored_files(uploads)
    assert stored == attachment["path"]
    assert stored.startswith("portal/") and stored.endswith(".png")
    assert len(stored) == len("portal/") + 32 + len(".png")
    data = (uploads / stored).read_bytes()
    assert attachment == {
        "type": "image", "name": "foto jalan.png", "content_type": "image/png",
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "storage": "uploads", "path": stored,
    }
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_jpeg_and_webp_are_accepted(client, desk, uploads):
    for name, body in (("a.jpg", JPEG_BYTES), ("b.webp", WEBP_BYTES)):
        client.post("/lapor/bpn/", {**form_data(text=name),
                                    "photo": SimpleUploadedFile(name, body)})
    types = [m.attachments[0]["content_type"] for m in Message.objects.order_by("pk")]
    assert types == ["image/jpeg", "image/webp"]


def test_photo_named_jpg_but_not_an_image_is_refused_and_nothing_stored(client, desk, uploads):
    fake = SimpleUploadedFile("foto.jpg", b"<script>alert(1)</script>" + b"\x00" * 50,
                              content_type="image/jpeg")
    response = client.post("/lapor/bpn/", {**form_data(), "photo": fake})

    page = response.content.decode()
    assert response.status_code == 200
    assert '<p class="field-error" id="id_photo_error">This file is not a JPEG, PNG or WebP picture, or it is damaged.</p>' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_photo_helptext id_photo_error"' in page
    assert "Lampu jalan di Jl. Sudirman mati sejak kemarin malam." in page  # the text is kept
    assert "Your photo was not kept. Choose it again before sending." in page
    assert (Case.objects.count(), Message.objects.count(), Contact.objects.count()) == (0, 0, 0)
    assert Submission.objects.count() == 0
    assert stored_files(uploads) == []


def test_photo_over_5_mb_is_refused(client, desk, uploads):
    big = SimpleUploadedFile("besar.jpg", b"\xff\xd8\xff" + b"\x00" * (MAX_PHOTO_BYTES - 2))
    response = client.post("/lapor/bpn/", {**form_data(), "photo": big})

    assert "The photo is larger than 5 MB." in response.content.decode()
    assert Case.objects.count() == 0
    assert stored_files(uploads) == []


def test_photo_of_exactly_5_mb_is_accepted(client, desk, uploads):
    # Decoders stop at the picture's end marker; the padding makes the upload 5 MB exactly.
    padded = JPEG_BYTES + b"\x00" * (MAX_PHOTO_BYTES - len(JPEG_BYTES))
    client.post("/lapor/bpn/", {**form_data(), "photo": SimpleUploadedFile("pas.jpg", padded)})
    (attachment,) = Message.objects.get().attachments
    assert attachment["content_type"] == "image/jpeg"
    assert attachment["size"] == (uploads / attachment["path"]).stat().st_size < 10_000


def test_failed_transaction_leaves_no_photo_behind(client, desk, uploads, monkeypatch):
    from tanggap.portal import actions

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(actions, "ingest_inbound", broken)
    photo = SimpleUploadedFile("a.png", PNG_BYTES)
    client.raise_request_exception = False
    response = client.post("/lapor/bpn/", {**form_data(), "photo": photo})

    assert response.status_code == 500
    assert stored_files(uploads) == []
    assert Case.objects.count() == 0


def test_double_submit_with_photo_keeps_one_file(client, desk, uploads):
    data = form_data()
    for _ in range(2):
        client.post("/lapor/bpn/", {**data, "photo": SimpleUploadedFile("a.png", PNG_BYTES)})
    (message,) = Message.objects.all()
    assert stored_files(uploads) == [message.attachments[0]["path"]]


def test_location_out_of_range_is_refused(client, desk):
    response = client.post("/lapor/bpn/", form_data(latitude="91", longitude="-180.5"))
    page = response.content.decode()
    assert '<p class="field-error" id="id_latitude_error">Ensure this value is less than or equal to 90.</p>' in page
    assert '<p class="field-error" id="id_longitude_error">Ensure this value is greater than or equal to -180.</p>' in page
    assert Case.objects.count() == 0


def test_location_needs_both_coordinates(client, desk):
    response = client.post("/lapor/bpn/", form_data(latitude="-1.2"))
    assert 'id="id_longitude_error"' in response.content.decode()
    assert Case.objects.count() == 0


def test_location_extremes_are_accepted(client, desk):
    client.post("/lapor/bpn/", form_data(latitude="-90", longitude="180"))
    submission = Submission.objects.get()
    assert (submission.latitude, submission.longitude) == (Decimal("-90"), Decimal("180"))


def test_bad_contact_and_missing_text_are_field_errors(client, desk):
    response = client.post("/lapor/bpn/", form_data(contact="bukan kontak", text="   ",
                                                    kind="rahasia"))
    page = response.content.decode()
    assert 'id="id_contact_error"' in page
    assert 'id="id_text_error"' in page
    assert 'id="id_kind_error"' in page
    assert '<a href="#id_contact">' in page  # the summary links to the field
    assert Case.objects.count() == 0


def test_text_longer_than_10000_characters_is_refused(client, desk):
    response = client.post("/lapor/bpn/", form_data(text="a" * 10_001))
    assert 'id="id_text_error"' in response.content.decode()
    assert Case.objects.count() == 0
    client.post("/lapor/bpn/", form_data(text="a" * 10_000))
    assert Case.objects.count() == 1


def test_second_workspace_files_into_its_own_channel(client, desk):
    client.post("/lapor/dlh/", form_data())
    assert (_only_case().workspace_id, _only_case().channel_id) == (desk.dlh.pk, desk.dlh_web.pk)


def test_unknown_workspace_is_404(client, desk):
    response = client.get("/lapor/tidak-ada/")
    assert response.status_code == 404
    assert "There is no complaint form at this address." in response.content.decode()
    assert client.post("/lapor/tidak-ada/", form_data()).status_code == 404
    assert Case.objects.count() == 0


def test_workspace_without_active_web_channel_is_404(client, desk):
    desk.dlh_web.is_active = False
    desk.dlh_web.save(update_fields=["is_active"])
    assert client.get("/lapor/dlh/").status_code == 404
