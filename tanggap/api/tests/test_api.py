"""REST v1 contract, endpoint by endpoint, with the outsider and the auditor on each."""

import json

import pytest

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Contact, Message, Note


def _inbound_body(desk, **over):
    body = {"channel_id": desk.web.pk, "external_id": "tw-1",
            "author": {"id": "warga1", "name": "Warga Satu"},
            "text": "Min, jalan di Gunung Sari berlubang besar"}
    body.update(over)
    return body


def _state():
    return (Case.objects.count(), Message.objects.count(), Contact.objects.count(),
            Note.objects.count(), AuditEvent.objects.count(),
            list(Case.objects.values_list("status", "claimed_by", "version")))


def test_inbound_creates_then_reports_duplicate(desk):
    first = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk))
    assert first.status_code == 201
    body = first.json()
    assert set(body) == {"case_id", "tracking_number", "message_id", "created"}
    assert body["created"] is True
    again = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk))
    assert again.status_code == 200
    assert again.json() == {**body, "created": False}


def test_inbound_accepts_numeric_platform_ids(desk):
    response = desk.gerbang.post("/api/v1/inbound", _inbound_body(
        desk, external_id=1789, author={"id": 555, "name": "N"}, thread_id=99))
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["message_id"])
    assert (message.external_id, message.case.thread_id, message.case.contact.external_id) == (
        "1789", "99", "555")


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ("[1, 2]", 400, "malformed_json"),
        (b"\xff\xfe", 400, "malformed_json"),
        (json.dumps({"channel_id": 1}), 422, "invalid"),
        (json.dumps({"channel_id": 1, "external_id": "x", "author": "budi", "text": "hai"}), 422,
         "invalid"),
        (json.dumps({"channel_id": 1, "external_id": "x", "author": {"name": "b"}, "text": "hai"}),
         422, "invalid"),
    ],
)
def test_inbound_bad_input_stores_nothing(desk, raw, status, code):
    before = _state()
    response = desk.gerbang.post("/api/v1/inbound", raw)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["message"]
    assert _state() == before


def test_inbound_oversized_or_empty_text_stores_nothing(desk):
    before = _state()
    for text in ("x" * 10_001, "", 12):
        response = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, text=text))
        assert response.status_code == 422
        assert response.json()["error"] == "invalid"
    assert _state() == before


def test_inbound_unknown_channel_is_404(desk):
    for channel_id in (999_999, 0, 2**70, "999999"):
        response = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, channel_id=channel_id))
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_inbound_channel_that_is_not_an_id_is_422(desk):
    before = _state()
    for channel_id in ("abc", None, 1.9, 1.0, True, [desk.web.pk], f" {desk.web.pk}", "1_0"):
        response = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, channel_id=channel_id))
        assert response.status_code == 422, channel_id
        assert (response.json()["error"], response.json()["field"]) == ("invalid", "channel_id")
    assert _state() == before


def test_html_in_citizen_text_is_stored_verbatim_and_rendered_as_text(desk):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    created = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, text=evil,
                                                              author={"id": "w", "name": evil}))
    case_id = created.json()["case_id"]
    assert desk.ani.get(f"/api/v1/cases/{case_id}").json()["messages"][0]["text"] == evil
    desk.ani.client.force_login(desk.ani.user)
    page = desk.ani.client.get(f"/w/bpn/cases/{case_id}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    inbox = desk.ani.client.get("/w/bpn/").content.decode()
    assert "<img src=x" not in inbox


def test_case_detail_shape(desk):
    case = desk.inbound().case
    response = desk.ani.get(f"/api/v1/cases/{case.pk}")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("id", "status", "kind", "claimed_by", "version",
                                 "tracking_number")} == {
        "id": case.pk, "status": "baru", "kind": "aduan", "claimed_by": None, "version": 1,
        "tracking_number": case.tracking_number}
    [message] = body["messages"]
    assert {k: message[k] for k in ("direction", "text", "author")} == {
        "direction": "in", "text": "Lampu jalan di Jl. Sudirman mati sejak kemarin",
        "author": "Warga Satu"}
    assert set(message) >= {"id", "direction", "text", "author", "created_at"}


def test_claim_conflict_names_holder(desk):
    case = desk.inbound().case
    assert desk.ani.post(f"/api/v1/cases/{case.pk}/claim").json()["version"] == 2
    refused = desk.budi.post(f"/api/v1/cases/{case.pk}/claim")
    assert refused.status_code == 409
    assert (refused.json()["error"], refused.json()["claimed_by"]) == ("claimed", "ani")
    renewed = desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    assert renewed.status_code == 200
    assert renewed.json()["version"] == 2


def test_reply_flow_over_http(desk):
    case = desk.inbound().case
    version = desk.ani.post(f"/api/v1/cases/{case.pk}/claim").json()["version"]
    body = {"text": "Terima kasih, laporan kami teruskan ke DPUPR.", "idempotency_key": "abc",
            "base_version": version}
    sent = desk.ani.post(f"/api/v1/cases/{case.pk}/replies", body)
    assert sent.status_code == 201
    again = desk.ani.post(f"/api/v1/cases/{case.pk}/replies", body)
    assert again.status_code == 200
    assert again.json()["message"]["id"] == sent.json()["message"]["id"]
    stale = desk.ani.post(f"/api/v1/cases/{case.pk}/replies", {**body, "idempotency_key": "new"})
    assert stale.status_code == 409
    assert stale.json()["error"] == "stale_version"
    by_other = desk.budi.post(f"/api/v1/cases/{case.pk}/replies",
                              {**body, "idempotency_key": "b", "base_version": version + 1})
    assert by_other.status_code == 409
    assert by_other.json()["error"] == "not_holder"
    assert Message.objects.filter(case=case, direction="out").count() == 1


def test_already_answered_over_http(desk):
    case = desk.inbound().case
    v = desk.ani.post(f"/api/v1/cases/{case.pk}/claim").json()["version"]
    desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                  {"text": "Baik, kami cek.", "idempotency_key": "a", "base_version": v})
    desk.ani.post(f"/api/v1/cases/{case.pk}/release")
    v = desk.budi.post(f"/api/v1/cases/{case.pk}/claim").json()["version"]
    refused = desk.budi.post(f"/api/v1/cases/{case.pk}/replies",
                             {"text": "Halo", "idempotency_key": "b", "base_version": v})
    assert refused.status_code == 409
    assert (refused.json()["error"], refused.json()["answered_by"]) == ("already_answered", "ani")
    forced = desk.budi.post(f"/api/v1/cases/{case.pk}/replies",
                            {"text": "Halo", "idempotency_key": "b", "base_version": v,
                             "override": True})
    assert forced.status_code == 201


def test_list_filters_and_pagination(desk):
    for i in range(5):
        desk.inbound(external_id=f"m{i}", author_id=f"warga{i}")
    x_case = desk.inbound(external_id="x1", author_id="warga-x", channel=desk.x).case
    desk.ani.post(f"/api/v1/cases/{x_case.pk}/claim")
    page = desk.ani.get("/api/v1/cases?limit=4")
    assert page.status_code == 200
    body = page.json()
    assert len(body["results"]) == 4
    assert body["results"][0]["id"] == x_case.pk  # newest citizen message first
    rest = desk.ani.get(body["next"].replace("http://testserver", "")).json()
    assert len(rest["results"]) == 2 and rest["next"] is None
    ids = [c["id"] for c in body["results"] + rest["results"]]
    assert len(set(ids)) == 6
    assert [c["id"] for c in desk.ani.get("/api/v1/cases?claimed=true").json()["results"]] == [
        x_case.pk]
    assert len(desk.ani.get("/api/v1/cases?claimed=false").json()["results"]) == 5
    assert [c["id"] for c in desk.ani.get(f"/api/v1/cases?channel={desk.x.pk}").json()[
        "results"]] == [x_case.pk]
    assert [c["id"] for c in desk.ani.get("/api/v1/cases?status=diklaim").json()["results"]] == [
        x_case.pk]
    assert len(desk.ani.get("/api/v1/cases?status=open").json()["results"]) == 6
    assert desk.ani.get("/api/v1/cases?status=bogus").status_code == 422
    assert desk.ani.get("/api/v1/cases?cursor=garbage").status_code == 422


def test_list_never_shows_other_workspaces(desk):
    desk.inbound(channel=desk.dlh_web, external_id="dlh-1")
    assert desk.ani.get("/api/v1/cases").json()["results"] == []
    assert len(desk.luar.get("/api/v1/cases").json()["results"]) == 1


def test_unauthenticated_and_bad_token(desk, client):
    case = desk.inbound().case
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 401
    response = client.get(f"/api/v1/cases/{case.pk}", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def test_error_message_follows_language(desk):
    case = desk.inbound().case
    desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    en = desk.budi.post(f"/api/v1/cases/{case.pk}/claim", HTTP_ACCEPT_LANGUAGE="en")
    # The refusal names the holder (their full name when they have one).
    assert en.json()["message"] == "ani is handling this case."
    default = desk.budi.post(f"/api/v1/cases/{case.pk}/claim")
    assert default.json()["message"] == "ani sedang menangani kasus ini."


def test_wrong_method_is_405(desk):
    assert desk.ani.get("/api/v1/inbound").status_code == 405


def test_openapi_document_lists_every_endpoint_and_method(client):
    """The document and the URLconf name the same paths and methods, both ways."""
    import re

    from tanggap.api.urls import urlpatterns

    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    routed = {}
    for pattern in urlpatterns:
        if pattern.name == "not_found":
            continue
        path = "/" + re.sub(r"<str:\w+>", "{id}", str(pattern.pattern))
        routed[path] = {m.lower() for m in pattern.callback.api_methods}
    documented = {path: set(item) for path, item in doc["paths"].items()}
    assert documented == routed
    assert "/openapi.json" in documented and "/messages/{id}/hide" in documented


# --- isolation and roles, on every endpoint -----------------------------------------------------

WRITES = [
    ("claim", None),
    ("release", None),
    ("takeover", None),
    ("replies", {"text": "halo", "idempotency_key": "k", "base_version": 1}),
    ("status", {"status": "selesai"}),
    ("kind", {"kind": "aduan"}),
    ("notes", {"text": "catatan"}),
    ("triage", {"topic": "jalan"}),
]


@pytest.mark.parametrize(("verb", "body"), WRITES)
def test_outsider_gets_404_and_nothing_changes(desk, verb, body):
    case = desk.inbound().case
    before = _state()
    response = desk.luar.post(f"/api/v1/cases/{case.pk}/{verb}", body)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert _state() == before


def test_outsider_cannot_read_or_post_inbound(desk):
    case = desk.inbound().case
    assert desk.luar.get(f"/api/v1/cases/{case.pk}").status_code == 404
    before = _state()
    response = desk.luar.post("/api/v1/inbound", _inbound_body(desk, external_id="luar"))
    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize(("verb", "body"), WRITES)
def test_auditor_cannot_write(desk, verb, body):
    case = desk.inbound().case
    before = _state()
    response = desk.audi.post(f"/api/v1/cases/{case.pk}/{verb}", body)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert _state() == before


def test_auditor_reads(desk):
    case = desk.inbound().case
    assert desk.audi.get(f"/api/v1/cases/{case.pk}").status_code == 200
    before = _state()
    assert desk.audi.post("/api/v1/inbound", _inbound_body(desk, external_id="a")).status_code == 403
    assert _state() == before


def test_outsider_gets_404_on_pages(desk):
    case = desk.inbound().case
    desk.luar.client.force_login(desk.luar.user)
    assert desk.luar.client.get("/w/bpn/").status_code == 404
    assert desk.luar.client.get(f"/w/bpn/cases/{case.pk}/").status_code == 404
    assert desk.luar.client.get(f"/w/dlh/cases/{case.pk}/").status_code == 404


def test_session_writes_need_csrf(desk):
    from django.test import Client

    case = desk.inbound().case
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(desk.ani.user)
    response = browser.post(f"/api/v1/cases/{case.pk}/claim", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
    assert Case.objects.get(pk=case.pk).claimed_by_id is None


# --- language engine over HTTP --------------------------------------------------------------------


def test_blocked_reply_is_422_with_findings_and_nothing_stored(desk):
    case = desk.inbound().case
    version = desk.ani.post(f"/api/v1/cases/{case.pk}/claim").json()["version"]
    before = _state()
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/replies",
                             {"text": "KALIAN GOBLOK SEMUA!!!", "idempotency_key": "k",
                              "base_version": version})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "tone_blocked"
    assert {f["severity"] for f in body["findings"]} >= {"block"}
    assert _state() == before


def test_warn_reply_needs_confirm_tone(desk):
    case = desk.inbound().case
    version = desk.ani.post(f"/api/v1/cases/{case.pk}/claim").json()["version"]
    body = {"text": "Makanya baca dulu pengumuman di website.", "idempotency_key": "k",
            "base_version": version}
    warned = desk.ani.post(f"/api/v1/cases/{case.pk}/replies", body)
    assert warned.status_code == 422
    assert warned.json()["error"] == "tone_warning"
    sent = desk.ani.post(f"/api/v1/cases/{case.pk}/replies", {**body, "confirm_tone": True})
    assert sent.status_code == 201


def test_tone_endpoint_checks_drafts(desk):
    case = desk.inbound().case
    response = desk.ani.post("/api/v1/tone", {"text": "lu baca dong", "case_id": case.pk})
    assert response.status_code == 200
    result = response.json()
    assert result["verdict"] == "warn"
    assert [f["code"] for f in result["findings"] if f["severity"] == "warn"]
    assert desk.luar.post("/api/v1/tone", {"text": "halo", "case_id": case.pk}).status_code == 404
    assert desk.ani.post("/api/v1/tone", {}).status_code == 422


def test_classify_endpoint(desk):
    response = desk.ani.post("/api/v1/classify", {"text": "Air PDAM mati dua hari min"})
    assert response.status_code == 200
    assert response.json()["topic"] == "air_bersih"


def test_triage_correction_over_http(desk):
    case = desk.inbound().case
    response = desk.ani.post(f"/api/v1/cases/{case.pk}/triage", {"topic": "penerangan_jalan"})
    assert response.status_code == 200
    assert response.json()["topic"] == "penerangan_jalan"
    bad = desk.ani.post(f"/api/v1/cases/{case.pk}/triage", {"topic": "bogus"})
    assert bad.status_code == 422
    listed = desk.ani.get("/api/v1/cases?topic=penerangan_jalan").json()["results"]
    assert [c["id"] for c in listed] == [case.pk]
    assert desk.ani.get("/api/v1/cases?topic=air_bersih").json()["results"] == []
