"""/lapor/status/: what anyone holding a tracking number may see, and nothing more."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tanggap.cases.actions import claim_case, send_reply
from tanggap.cases.models import Case, Message
from tanggap.portal.queries import normalise_tracking_number
from tanggap.portal.tests.conftest import PNG_BYTES, form_data

CITIZEN = {
    "name": "Siti Aminah",
    "contact": "0812-3456-7890",
    "address": "Gang Mawar RT 07",
    "latitude": "-1.2654",
    "longitude": "116.8312",
}
REPLY = "Terima kasih, petugas PJU akan memeriksa lampu tersebut besok pagi."


def _report(client, **fields) -> Case:
    client.post("/lapor/bpn/", form_data(**{**CITIZEN, **fields}))
    return Case.objects.order_by("-pk").first()


def _reply(desk, case, text=REPLY) -> Message:
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    case.refresh_from_db()
    return send_reply(case_id=case.pk, actor=desk.ani.user, text=text, idempotency_key="k1",
                      base_version=case.version, now=now).message


def test_status_shows_reply_kind_and_status_without_personal_data(client, desk, uploads):
    client.post("/lapor/bpn/", {**form_data(**CITIZEN),
                                "photo": SimpleUploadedFile("rumah_siti.png", PNG_BYTES)})
    case = Case.objects.get()
    _reply(desk, case)

    response = client.get(f"/lapor/status/{case.tracking_number}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert case.tracking_number in page
    assert '<span class="badge st-dijawab">Answered</span>' in page
    assert "<dd>Complaint</dd>" in page
    assert REPLY in page
    assert "Lampu jalan di Jl. Sudirman mati sejak kemarin malam." in page
    assert "Pemkot Balikpapan" in page
    photo_path = case.messages.get(direction="in").attachments[0]["path"]
    # Digits of the phone number may also occur by chance in a machine timestamp or in the
    # random tracking number; neither is personal data, so look past them.
    # So may the page's random tokens (the form's CSRF token, the scripts' nonce): look past them.
    shown = re.sub(r'(datetime|nonce|name="csrfmiddlewaretoken" value)="[^"]*"', "",
                   page).replace(case.tracking_number, "")
    for private in ("Siti", "Aminah", "0812", "+62812", "3456", "7890", "Gang Mawar",
                    "-1.2654", "116.8312", "rumah_siti", photo_path, "uploads", "ani",
                    case.contact.external_id):
        assert private not in shown, private
    assert '<meta name="robots" content="noindex">' in page
    assert "no-cache" in response["Cache-Control"]


def test_status_speaks_indonesian_by_default(desk):
    client = Client()
    case = _report(client)
    page = client.get(f"/lapor/status/{case.tracking_number}/").content.decode()
    assert '<span class="badge st-baru">Diterima</span>' in page
    assert "<dd>Aduan</dd>" in page


def test_confidential_case_hides_the_citizen_text_but_shows_replies(client, desk):
    case = _report(client, confidential="on", text="Ada pungutan liar di kantor kelurahan X.")
    _reply(desk, case)

    page = client.get(f"/lapor/status/{case.tracking_number}/").content.decode()
    assert "pungutan liar" not in page
    assert "The text of this report is not shown publicly." in page
    assert REPLY in page


def test_case_from_another_channel_never_shows_the_citizen_text(client, desk):
    # A private message on X or a web case not sent through the form never chose publication.
    case = desk.inbound(channel=desk.x, text="DM: rumah saya di Gang Mawar kebanjiran").case
    page = client.get(f"/lapor/status/{case.tracking_number}/").content.decode()
    assert "Gang Mawar" not in page
    assert "The text of this report is not shown publicly." in page


def test_html_in_citizen_text_and_reply_is_escaped(client, desk):
    case = _report(client, text="<script>alert('x')</script> <b>tebal</b>")
    _reply(desk, case, text='<img src=x onerror="alert(1)">')

    page = client.get(f"/lapor/status/{case.tracking_number}/").content.decode()
    assert "<script>alert" not in page and "<b>tebal</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;b&gt;tebal&lt;/b&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_failed_replies_are_not_shown(client, desk):
    case = _report(client)
    message = _reply(desk, case)
    Message.objects.filter(pk=message.pk).update(delivery_status="failed")
    page = client.get(f"/lapor/status/{case.tracking_number}/").content.decode()
    assert REPLY not in page
    assert "No answer yet." in page


def test_lookup_is_case_insensitive(client, desk):
    case = _report(client)
    number = case.tracking_number
    assert client.get(f"/lapor/status/{number.lower()}/").status_code == 200
    response = client.get("/lapor/status/", {"tracking": f"  {number.lower().replace('-', ' ')} "})
    assert response.status_code == 302
    assert response["Location"] == f"/lapor/status/{number}/"


def test_tracking_number_normalisation():
    assert normalise_tracking_number("tg-ab12-cd34-ef56") == "TG-AB12-CD34-EF56"
    assert normalise_tracking_number("TGAB12CD34EF56") == "TG-AB12-CD34-EF56"
    assert normalise_tracking_number(" ab12 cd34 ef56 ") == "TG-AB12-CD34-EF56"
    assert normalise_tracking_number("TG-OB1L-CDI4-0000") == "TG-0B11-CD14-0000"
    # The eight-character numbers of earlier versions still work.
    assert normalise_tracking_number("tg-ab12-cd34") == "TG-AB12-CD34"
    assert normalise_tracking_number("TGAB12CD34") == "TG-AB12-CD34"
    assert normalise_tracking_number("TG-OB1L-CDI4") == "TG-0B11-CD14"
    assert normalise_tracking_number("TG-AB12-CD3U") is None  # U is never issued
    assert normalise_tracking_number("TG-AB12-CD3") is None
    assert normalise_tracking_number("TG-AB12-CD34-EF5") is None
    assert normalise_tracking_number("TG-AB12-CD34-EF56-GH78") is None
    assert normalise_tracking_number("") is None


def test_a_case_with_an_eight_character_number_is_still_found(client, desk):
    case = _report(client)
    Case.objects.filter(pk=case.pk).update(tracking_number="TG-AB12-CD34")
    response = client.get("/lapor/status/tg-ab12-cd34/")
    assert response.status_code == 200
    assert "TG-AB12-CD34" in response.content.decode()


def test_new_reports_get_twelve_character_numbers(client, desk):
    case = _report(client)
    assert re.fullmatch(r"TG(-[0-9A-HJKMNP-TV-Z]{4}){3}", case.tracking_number)
    assert client.get(f"/lapor/status/{case.tracking_number}/").status_code == 200


def test_lookup_form_rejects_what_cannot_be_a_tracking_number(client, desk):
    response = client.get("/lapor/status/", {"tracking": "12345"})
    assert response.status_code == 200
    assert '<p class="field-error" id="id_tracking_error">A tracking number looks like TG-AB12-CD34-EF56.</p>' in response.content.decode()


def test_lookup_form_renders_empty(client, desk):
    response = client.get("/lapor/status/")
    assert response.status_code == 200
    assert 'id="id_tracking_error"' not in response.content.decode()


def test_unknown_tracking_number_is_404_with_a_clear_message(client, desk):
    response = client.get("/lapor/status/TG-0000-0000-0000/")
    assert response.status_code == 404
    assert ("We found no report with the tracking number TG-0000-0000-0000."
            in response.content.decode())


def test_malformed_tracking_number_is_404_and_escaped(client, desk):
    response = client.get("/lapor/status/<b>x/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<b>x" not in page and "tracking number &lt;b&gt;x." in page


PRIVATELY = "An answer was sent to you in a private message."


def _channel_case(desk, platform, thread_id):
    from tanggap.connectors.actions.channels import add_channel

    channel = add_channel(workspace=desk.bpn, platform=platform, handle=f"{platform}-bpn",
                          now=timezone.now(), simulated=True)
    return desk.inbound(channel=channel, thread_id=thread_id, external_id=f"{platform}-1",
                        text="Rumah saya di Gang Mawar kebanjiran").case


@pytest.mark.parametrize("platform,thread_id", [
    ("facebook", "dm"),         # Messenger
    ("instagram", "dm"),        # Instagram Direct
    ("whatsapp", "wa"),
    ("x", "dm:1582-7731"),      # an X Direct Message conversation
    ("web", ""),                # a web message filed through the API, not through the form
])
def test_replies_sent_in_private_conversations_show_only_that_an_answer_was_sent(
        client, desk, platform, thread_id):
    case = (desk.inbound(channel=desk.x, thread_id=thread_id).case if platform == "x"
            else _channel_case(desk, platform, thread_id))
    _reply(desk, case, text="Pak Budi, petugas datang ke Gang Mawar No. 7 besok jam 9.")

    response = client.get(f"/lapor/status/{case.tracking_number}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Gang Mawar" not in page and "Pak Budi" not in page
    assert page.count(PRIVATELY) == 1
    assert '<span class="badge st-dijawab">Answered</span>' in page
    assert "No answer yet." not in page


@pytest.mark.parametrize("platform,thread_id", [
    ("facebook", "post:1234_5678"),   # a reply under a public Page comment
    ("instagram", "media:9876"),      # a reply under a public Instagram comment
    ("x", "conv:1582"),               # a public reply to a mention
])
def test_replies_to_public_comments_may_show_their_words(client, desk, platform, thread_id):
    case = (desk.inbound(channel=desk.x, thread_id=thread_id).case if platform == "x"
            else _channel_case(desk, platform, thread_id))
    _reply(desk, case)

    page = client.get(f"/lapor/status/{case.tracking_number}/").content.decode()
    assert REPLY in page
    assert PRIVATELY not in page
