"""What the desk sees of a form submission: its flags, contact, location and photo."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from tanggap.cases.models import Case, Message
from tanggap.portal.tests.conftest import PNG_BYTES, form_data


def _details(case) -> str:
    with translation.override("en"):
        return Template("{% load portal_desk %}{% portal_details case %}").render(
            Context({"case": case}))


def _photo_url(case) -> str:
    message = case.messages.get(direction="in")
    return f"/lapor/desk/cases/{case.pk}/messages/{message.pk}/photos/0"


def test_desk_details_show_contact_location_photo_and_flags(client, desk, uploads):
    client.post("/lapor/bpn/", {**form_data(
        name="Siti", contact="0812 3456 7890", address="Gang Mawar RT 07",
        latitude="-1.2654", longitude="116.8312", confidential="on",
    ), "photo": SimpleUploadedFile("jalan.png", PNG_BYTES)})
    case = Case.objects.get()

    html = " ".join(_details(case).split())
    assert ('<dt>Contact typed in the form (not verified)</dt><dd><a href="tel:+6281234567890">'
            '+6281234567890</a></dd>') in html
    assert "<dd>Gang Mawar RT 07</dd>" in html
    assert '<a href="geo:-1.265400,116.831200">-1.265400, 116.831200</a>' in html
    # The photo shows as a thumbnail that opens the whole image; the location as a map point.
    assert (f'<a class="thumb-link" href="{_photo_url(case)}" target="_blank" rel="noopener">'
            f'<img class="thumb" src="{_photo_url(case)}" alt="The citizen\'s photo '
            'jalan.png" loading="lazy"></a> <small>jalan.png (') in html
    assert ('<div class="case-map" data-map data-lat="-1.265400" data-lng="116.831200" '
            'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png" '
            'data-attribution="© OpenStreetMap contributors" role="img" '
            'aria-label="Where the citizen reported it"></div>') in html
    assert '<span class="badge st-baru">Confidential: text hidden on the status page</span>' in html
    assert "Anonymous" not in html


def test_desk_details_of_anonymous_report_hold_no_contact(client, desk):
    client.post("/lapor/bpn/", form_data(name="Siti", contact="0812 3456 7890", anonymous="on"))
    html = _details(Case.objects.get())
    assert "Siti" not in html and "6281234567890" not in html
    assert "tel:" not in html


def test_desk_details_render_nothing_for_other_cases(desk):
    assert _details(desk.inbound().case).strip() == ""


def test_member_gets_the_photo_as_an_inert_image(client, desk, uploads):
    client.post("/lapor/bpn/", {**form_data(), "photo": SimpleUploadedFile("a.png", PNG_BYTES)})
    case = Case.objects.get()
    stored = uploads / case.messages.get(direction="in").attachments[0]["path"]
    member = Client()
    member.force_login(desk.audi.user)  # read-only roles may look too

    response = member.get(_photo_url(case))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored.read_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="a.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_outsider_and_public_cannot_get_the_photo(client, desk, uploads):
    client.post("/lapor/bpn/", {**form_data(), "photo": SimpleUploadedFile("a.png", PNG_BYTES)})
    case = Case.objects.get()
    outsider = Client()
    outsider.force_login(desk.luar.user)

    assert outsider.get(_photo_url(case)).status_code == 404
    assert Client().get(_photo_url(case)).status_code == 302  # to the login page


def test_tampered_attachment_path_is_not_served(client, desk, uploads, tmp_path):
    client.post("/lapor/bpn/", {**form_data(), "photo": SimpleUploadedFile("a.png", PNG_BYTES)})
    case = Case.objects.get()
    secret = tmp_path / "secret.txt"
    secret.write_text("kunci")
    message = case.messages.get(direction="in")
    Message.objects.filter(pk=message.pk).update(attachments=[
        {**message.attachments[0], "path": "../secret.txt"}])
    member = Client()
    member.force_login(desk.ani.user)
    assert member.get(_photo_url(case)).status_code == 404
    assert member.get(_photo_url(case).replace("/photos/0", "/photos/1")).status_code == 404


def test_geo_link_on_the_case_page_keeps_decimal_points_in_indonesian(client, desk):
    # Indonesian writes -1,2654; a geo: URI needs -1.2654 (the comma separates lat and long).
    client.post("/lapor/bpn/", form_data(latitude="-1,2654", longitude="116,8312"))
    case = Case.objects.get()
    member = Client()
    member.force_login(desk.ani.user)

    page = member.get(f"/w/bpn/cases/{case.pk}/").content.decode()
    assert '<html lang="id">' in page
    assert '<a href="geo:-1.265400,116.831200">-1.265400, 116.831200</a>' in page


def test_without_a_tile_server_the_location_is_coordinates_only(client, desk, settings):
    settings.TANGGAP_MAP_TILES = ""
    client.post("/lapor/bpn/", form_data(latitude="-1.2654", longitude="116.8312"))
    html = _details(Case.objects.get())
    assert "geo:-1.265400,116.831200" in html and "data-map" not in html


def test_the_portal_form_offers_use_my_location(client, desk):
    page = " ".join(client.get("/lapor/bpn/").content.decode().split())
    assert '<script src="/static/portal/location.js" defer></script>' in page
    assert '<p class="use-location" hidden><button type="button" id="use-location"' in page

