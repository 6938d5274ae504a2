"""The shared rules for typed text and ids (cases/cleaning.py), and every door that uses them:
the actions (which webhook events and the demo reach directly), the portal's form and the
channel page. The API's own door is tested in tanggap/api/tests/test_hardening.py."""

import pytest
from django.test import Client
from django.utils import timezone, translation

from tanggap.cases.actions import ingest_inbound, record_fetched_text
from tanggap.cases.cleaning import (
    MAX_ID,
    clean_handle,
    clean_name,
    clean_text,
    has_visible,
    object_id,
    parse_id,
    parse_int_param,
)
from tanggap.cases.models import Case, Contact, Message
from tanggap.connectors.actions.channels import add_channel
from tanggap.connectors.models import ChannelAccount
from tanggap.errors import InvalidInput
from tanggap.portal.tests.conftest import form_data


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English (the default language of the desk is Indonesian)."""
    with translation.override("en"):
        yield


INVISIBLE = ["", "   ", "\u200b", "\u200c\u200d", "\u2060\ufeff", "\u200e\u200f\u061c",
             "\u202e\u202c", "\u3164\u115f\u1160\uffa0", "\u2800", "\u00ad", "\u0301\ufe0f",
             "\t\n\u00a0\u3000"]


@pytest.mark.parametrize("text", INVISIBLE)
def test_text_with_nothing_visible_is_empty(text):
    assert not has_visible(text)
    with pytest.raises(InvalidInput, match="must not be empty"):
        clean_text(text)


@pytest.mark.parametrize("text", ["a", "٣", "😀", "!", "\u200bok\u200b", "e\u0301",
                                  "\u0627\u0644\u0645\u0627\u0621", "漢"])
def test_text_with_something_visible_is_kept_as_given_but_stripped(text):
    assert clean_text(f"  {text}\n") == text


@pytest.mark.parametrize(("text", "what"), [("a\x00b", "NUL"), ("a\ud800b", "surrogate"),
                                            ("\udfff", "surrogate")])
def test_unstorable_characters_are_refused(text, what):
    with pytest.raises(InvalidInput, match=what) as refused:
        clean_text(text)
    assert refused.value.extra == {"field": "text"}


def test_length_is_counted_as_sent(settings):
    settings.TANGGAP_MAX_MESSAGE_CHARS = 5
    assert clean_text("abcde") == "abcde"
    with pytest.raises(InvalidInput, match="longer than 5"):
        clean_text("abcde ")
    with pytest.raises(InvalidInput, match="must be a string"):
        clean_text(5)


@pytest.mark.parametrize(("raw", "clean"), [
    ("Budi\u202egnp.exe", "Budignp.exe"),
    ("\u2067Sari\u2069 \u200fW.", "Sari W."),
    ("Ani\nBudi\tCitra", "Ani Budi Citra"),
    ("Ani\x00", "Ani"),
    ("Ani \ud800", "Ani \ufffd"),
    ("\u202e\u200b", ""),
    (None, ""),
    (42, ""),
    ("x" * 300, "x" * 200),
])
def test_names_are_made_safe_to_show_never_refused(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize("handle", ["Pemkot\u202eBPN", "Pemkot\u200bBPN", "Pem\x00kot",
                                    "Pem\ud800", "\u200b", "", "x" * 121, 7])
def test_handles_with_hidden_characters_are_refused(handle):
    with pytest.raises(InvalidInput):
        clean_handle(handle)


def test_a_plain_handle_passes():
    assert clean_handle("  @PemkotBPN ") == "@PemkotBPN"


@pytest.mark.parametrize(("value", "expected"), [
    (5, 5), ("5", 5), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID), (MAX_ID + 1, None),
    (0, None), (-3, None), (True, None), (1.0, None), (float("inf"), None), ("1.9", None),
    ("١", None), (" 5", None), ("5_0", None), ("+5", None), ("9" * 30, None), (None, None),
])
def test_object_ids(value, expected):
    assert object_id(value) == expected


@pytest.mark.parametrize("value", [True, False, 1.9, 1.0, float("nan"), "1.9", "", " 1", [1],
                                   None, {"id": 1}])
def test_body_ids_of_the_wrong_kind_are_refused(value):
    with pytest.raises(InvalidInput, match="'channel_id' must be an integer id"):
        parse_id(value, field="channel_id")


def test_body_ids_in_range_or_not_are_returned_for_the_accessor_to_judge():
    assert parse_id(7, field="x") == 7
    assert parse_id("7", field="x") == 7
    assert parse_id(10**30, field="x") == 10**30  # no row has it: 404, not 422


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "1e3", "abc", "9" * 20, "١"])
def test_query_integers(value):
    assert parse_int_param(None, field="limit", minimum=1) is None
    assert parse_int_param("", field="limit", minimum=1) is None
    assert parse_int_param("12", field="limit", minimum=1) == 12
    with pytest.raises(InvalidInput, match="'limit' must be a whole number from 1 to"):
        parse_int_param(value, field="limit", minimum=1)


# --- every door -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "what"), [
    ("text", "\u200b\u200d", "must not be empty"),
    ("text", "Halo\x00", "NUL"),
    ("text", "Halo \ud83d", "surrogate"),
    ("external_id", "e\x00", "NUL"),
    ("author_id", "w\ud800", "surrogate"),
    ("thread_id", "t\x00", "NUL"),
])
def test_parsed_events_reach_the_same_rules(desk, field, value, what):
    """Webhook parsers and the demo call ingest_inbound directly, without the API's checks."""
    arguments = {"channel": desk.web, "external_id": "e1", "author_id": "w1",
                 "author_name": "Warga", "text": "Jalan rusak", "now": timezone.now()}
    arguments[field] = value
    with pytest.raises(InvalidInput, match=what):
        ingest_inbound(**arguments)
    assert Message.objects.count() == 0


def test_an_event_with_a_disguised_name_is_stored_with_the_name_made_safe(desk):
    result = ingest_inbound(channel=desk.web, external_id="e1", author_id="w1",
                            author_name="\u202eimda\u202c Pemkot", text="Halo",
                            now=timezone.now())
    assert result.message.author_name == "imda Pemkot"
    assert result.case.contact.display_name == "imda Pemkot"


def test_words_fetched_late_reach_the_same_rules(desk):
    message = ingest_inbound(channel=desk.web, external_id="e1", author_id="w1",
                             author_name="", text="[pesan belum diambil]",
                             now=timezone.now()).message
    with pytest.raises(InvalidInput, match="must not be empty"):
        record_fetched_text(message_id=message.pk, placeholder="[pesan belum diambil]",
                            text="\u200b", author_name="", source="test", now=timezone.now())
    fetched = record_fetched_text(message_id=message.pk, placeholder="[pesan belum diambil]",
                                  text="Sampah menumpuk", author_name="\u202eBudi",
                                  source="test", now=timezone.now())
    assert (fetched.text, fetched.author_name) == ("Sampah menumpuk", "Budi")


def _portal():
    browser = Client()
    browser.cookies["django_language"] = "en"
    return browser


def test_the_portal_refuses_invisible_text_with_a_form_error(desk):
    response = _portal().post("/lapor/bpn/", form_data(text="\u200b\u200c\u2060"))
    assert response.status_code == 200
    assert "must not be empty" in response.content.decode()
    assert (Case.objects.count(), Contact.objects.count()) == (0, 0)


def test_the_portal_stores_a_disguised_name_made_safe(desk):
    response = _portal().post("/lapor/bpn/", form_data(name="Siti\u202e nimda"))
    assert response.status_code == 200
    assert Message.objects.get().author_name == "Siti nimda"


def test_the_channel_page_refuses_a_handle_with_direction_controls(desk):
    with pytest.raises(InvalidInput, match="direction-control"):
        add_channel(workspace=desk.bpn, platform="web", handle="bpn\u202eweb",
                    now=timezone.now())
    with pytest.raises(InvalidInput, match="direction-control"):
        add_channel(workspace=desk.bpn, platform="web", handle="bpn-lain", name="Web\u202e",
                    now=timezone.now())
    assert ChannelAccount.objects.filter(handle__startswith="bpn-lain").count() == 0
