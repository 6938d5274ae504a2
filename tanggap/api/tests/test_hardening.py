"""Inputs that used to crash the API (500) or slip through: each gets a JSON 4xx naming what was
wrong, and nothing is stored. Every response here is also checked against the OpenAPI document
(tanggap.testing.api_contract)."""

import json

import pytest
from django.test import Client

from tanggap.api.framework import MAX_BODY_BYTES
from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Contact, Message, Note


def _state():
    return (Case.objects.count(), Message.objects.count(), Contact.objects.count(),
            Note.objects.count(), AuditEvent.objects.count(),
            list(Case.objects.values_list("status", "claimed_by", "version")))


def _raw_inbound(desk, channel=None, text='"Jalan rusak di Gunung Sari"', name='"Warga"',
                 extra=""):
    """An inbound body as raw JSON text, so it can hold what json.dumps would never write."""
    channel = str(desk.web.pk) if channel is None else channel
    return ('{"channel_id": ' + channel + ', "external_id": "e1", "author": {"id": "w1", '
            '"name": ' + name + '}, "text": ' + text + extra + "}")


def _held_case(desk):
    case = desk.inbound().case
    version = desk.ani.post(f"/api/v1/cases/{case.pk}/claim").json()["version"]
    return case, version


# --- numbers JSON does not have, or no column can hold ---------------------------------------


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e400", "-1e400"])
def test_non_finite_numbers_are_malformed_json(desk, number):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(desk, channel=number))
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    case, version = _held_case(desk)
    before = _state()
    reply = desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                          '{"text": "Baik", "idempotency_key": "k", "base_version": ' + number + "}")
    assert reply.status_code == 400
    tone = desk.ani.post("/api/v1/tone", '{"text": "halo", "case_id": ' + number + "}")
    assert tone.status_code == 400
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "number"), [
    ("get", "/api/v1/cases/{n}", "99999999999999999999999"),
    ("get", "/api/v1/cases/{n}", "9223372036854775808"),
    ("get", "/api/v1/cases/{n}", "%EF%BC%91"),  # a full-width digit one: not an id
    ("get", "/api/v1/cases/{n}", "-1"),
    ("post", "/api/v1/cases/{n}/claim", "99999999999999999999999"),
    ("post", "/api/v1/messages/{n}/hide", "99999999999999999999999"),
])
def test_path_ids_that_name_no_row_are_404(desk, method, path, number):
    url = path.format(n=number)
    response = desk.ani.get(url) if method == "get" else desk.ani.post(url, {"hidden": True})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_huge_ids_in_bodies_are_404_not_500(desk):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(desk, channel="1" + "0" * 40))
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    response = desk.ani.post("/api/v1/tone", {"text": "halo", "case_id": 10**40})
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert _state() == before


@pytest.mark.parametrize("value", [1.9, True, "1.9", "true", "", "1e3"])
def test_a_case_id_that_is_not_an_id_is_422(desk, value):
    case = desk.inbound().case
    response = desk.ani.post("/api/v1/tone", {"text": "halo", "case_id": value})
    assert response.status_code == 422
    assert (response.json()["error"], response.json()["field"]) == ("invalid", "case_id")
    assert desk.ani.post("/api/v1/tone", {"text": "halo", "case_id": str(case.pk)}).status_code == 200


# --- text a column cannot hold --------------------------------------------------------------------


LONE = r'"Jalan \ud800 rusak"'
NUL = r'"Jalan \u0000 rusak"'


@pytest.mark.parametrize(("where", "body", "field"), [
    ("text", {"text": LONE}, "text"),
    ("text", {"text": NUL}, "text"),
    ("author.name", {"name": LONE}, "author.name"),
    ("author.name", {"name": NUL}, "author.name"),
    ("an unknown key", {"extra": ', "\\ud83dx": 1'}, "*"),
    ("an unknown value", {"extra": ', "note": ["a", "\\udfff"]'}, "note[1]"),
])
def test_lone_surrogates_and_nul_are_refused_with_the_field(desk, where, body, field):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(desk, **body))
    assert response.status_code == 422, where
    assert (response.json()["error"], response.json()["field"]) == ("invalid", field)
    assert _state() == before


@pytest.mark.parametrize("raw", [
    b'{"text": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 bytes, not escaped
    '{"text": "halo"}'.encode("utf-16"),  # JSON between systems is UTF-8
    b'{"text": "\xff"}',
])
def test_bodies_that_are_not_utf8_are_malformed(desk, raw):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", raw)
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")
    assert _state() == before


def test_a_utf8_byte_order_mark_is_forgiven(desk):
    response = desk.gerbang.post("/api/v1/inbound", b"\xef\xbb\xbf" + _raw_inbound(desk).encode())
    assert response.status_code == 201


def test_a_paired_surrogate_escape_is_an_emoji_and_is_stored(desk):
    response = desk.gerbang.post("/api/v1/inbound",
                             _raw_inbound(desk, text=r'"Terima kasih \ud83d\ude4f"'))
    assert response.status_code == 201
    assert Message.objects.get().text == "Terima kasih \U0001f64f"


@pytest.mark.parametrize("field", ["text", "idempotency_key"])
def test_nul_in_a_reply_is_refused(desk, field):
    case, version = _held_case(desk)
    before = _state()
    body = {"text": "Baik, kami cek.", "idempotency_key": "k", "base_version": version}
    body[field] = body[field] + "\x00"
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/replies", body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert _state() == before


def test_nul_in_a_note_is_refused(desk):
    case = desk.inbound().case
    before = _state()
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/notes", {"text": "catatan\x00"})
    assert (response.status_code, response.json()["field"]) == (422, "text")
    assert _state() == before


# --- nesting and size -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_deep_nesting_is_malformed(desk, depth):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", '{"a": ' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert _state() == before


def test_nesting_within_the_limit_is_read(desk):
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(
        desk, extra=', "meta": ' + "[" * 30 + "]" * 30))
    assert response.status_code == 201


def test_an_oversize_json_body_gets_json_413(desk):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound",
                             _raw_inbound(desk, text='"' + "a" * (MAX_BODY_BYTES + 1) + '"'))
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert response["Content-Type"] == "application/json"
    assert _state() == before


def test_an_oversize_form_body_on_an_api_path_gets_json_413(desk, settings):
    """Over Django's own limit, met while the session's CSRF check reads the form."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    case = desk.inbound().case
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(desk.ani.user)
    # A CSRF cookie but no header: the check looks for the token in the form, and reads it.
    browser.cookies["csrftoken"] = "a" * 32
    response = browser.post(f"/api/v1/cases/{case.pk}/claim", data="x=" + "a" * 2000,
                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json() == {"error": "too_large",
                               "message": "Isi permintaan lebih dari 1000 byte."}
    assert Case.objects.get(pk=case.pk).claimed_by_id is None


# --- query strings --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "channel=99999999999999999999999", "channel=1.9", "channel=true", "channel=-1",
    "channel=0", "channel=%EF%BC%91", "limit=0", "limit=1e3", "limit=+5",
    "limit=99999999999999999999999", "kind=%00", "kind=bogus", "topic=bogus", "intent=bogus",
    "cursor=9999-12-31T23:59:59%2B14:00_1",
    "cursor=2026-01-01T00:00:00%2B00:00_99999999999999999999",
    "cursor=2026-02-30T00:00:00%2B00:00_1", "cursor=2026-01-01T00:00:00%2B00:00_0",
    "cursor=2026-01-01T00:00:00_1",
])
def test_bad_list_parameters_are_422(desk, query):
    desk.inbound()
    response = desk.ani.get(f"/api/v1/cases?{query}")
    assert response.status_code == 422, query
    assert response.json()["error"] == "invalid"


def test_extreme_but_valid_cursors_page_correctly(desk):
    case = desk.inbound().case
    early = desk.ani.get("/api/v1/cases?cursor=0001-01-01T00:00:00%2B00:00_1").json()
    late = desk.ani.get("/api/v1/cases?cursor=9999-12-31T23:59:59.999999%2B00:00_1").json()
    assert (early["results"], [c["id"] for c in late["results"]]) == ([], [case.pk])


def test_the_inbox_page_shows_an_error_for_a_huge_channel_number(desk):
    desk.inbound()
    desk.ani.client.force_login(desk.ani.user)
    for query in ("channel=99999999999999999999999", "channel=1.9", "kind=%00"):
        page = desk.ani.client.get(f"/w/bpn/?{query}")
        assert page.status_code == 200, query
        rows = desk.ani.client.get(f"/w/bpn/rows?{query}")
        assert rows.status_code == 200, query
        assert '<p class="error">' in rows.content.decode()
    rows = desk.ani.client.get("/w/bpn/rows?channel=99999999999999999999999").content.decode()
    assert "&#x27;channel&#x27; harus bilangan bulat dari 1 sampai" in rows
    assert desk.ani.client.get("/w/bpn/cases/99999999999999999999999/").status_code == 404


# --- invisible text and names that reorder what follows -------------------------------------------


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \u200e\u200f ",
                                  "\u3164", "\u0301\u0301", "\u2800\u00ad"])
def test_invisible_only_text_is_not_a_message(desk, text):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(desk, text=json.dumps(text)))
    assert (response.status_code, response.json()["field"]) == (422, "text")
    case, version = _held_case(desk)
    before = _state()
    note = desk.ani.post(f"/api/v1/cases/{case.pk}/notes", {"text": text})
    assert note.status_code == 422
    reply = desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                          {"text": text, "idempotency_key": "k", "base_version": version})
    assert reply.status_code == 422
    assert desk.ani.post("/api/v1/classify", {"text": text}).status_code == 422
    assert _state() == before


def test_direction_controls_never_reach_a_name(desk):
    name = "Budi\u202egnp.exe\u202c \u2067Sari\u2069\u200f"
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(desk, name=json.dumps(name)))
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["message_id"])
    assert (message.author_name, message.case.contact.display_name) == (
        "Budignp.exe Sari", "Budignp.exe Sari")
    detail = desk.ani.get(f"/api/v1/cases/{message.case_id}").json()
    assert detail["contact"]["name"] == "Budignp.exe Sari"


def test_a_name_of_nothing_visible_keeps_the_contact_nameless(desk):
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(desk, name=json.dumps("\u202e\u200b")))
    assert response.status_code == 201
    assert Contact.objects.get().display_name == ""


@pytest.mark.parametrize("name", [True, 5, ["Budi"], {"n": 1}])
def test_a_name_that_is_not_a_string_is_422(desk, name):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", _raw_inbound(desk, name=json.dumps(name)))
    assert (response.status_code, response.json()["field"]) == (422, "author.name")
    assert _state() == before
