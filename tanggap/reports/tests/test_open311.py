"""Open311 GeoReport v2, checked against the specification's examples
(http://wiki.open311.org/GeoReport_v2): the resources, their JSON and XML shapes, the errors and
their codes, and what a posted request becomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import set_case_status
from tanggap.cases.models import Case
from tanggap.reports import rollup
from tanggap.reports.actions import set_case_public
from tanggap.reports.models import CaseFact, Open311Request
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token

BASE = "/open311/v2"
# The specification's example request, with our service code, a place in Balikpapan and a real
# token instead of "xyz".
EXAMPLE = {
    "jurisdiction_id": "bpn", "service_code": "jalan", "lat": "-1.265386",
    "long": "116.831200", "address_string": "Jl. Jenderal Sudirman No. 12, Klandasan Ilir",
    "email": "smit333@example.org", "device_id": "tt222111", "account_id": "123456",
    "first_name": "john", "last_name": "smith", "phone": "111111111",
    "description": "A large sinkhole is destroying the street",
    "media_url": "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg",
    "attribute[WHISPAWN]": "123456", "attribute[WHISDORN]": "COISL001",
}
SERVICE_KEYS = ["service_code", "service_name", "description", "metadata", "type", "keywords",
                "group"]
REQUEST_KEYS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                "description", "agency_responsible", "service_notice", "requested_datetime",
                "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                "lat", "long", "media_url"]


@pytest.fixture
def anon():
    return Client()


@pytest.fixture
def token(desk):
    """The token of the city portal's integration account, which posts citizens' reports."""
    membership = add_member(workspace=desk.bpn, username="portal-kota", role="integration",
                            password="", now=datetime.now(UTC))
    return create_token(user=membership.user, now=datetime.now(UTC))


def post(client, data, fmt="json"):
    return client.post(f"{BASE}/requests.{fmt}", data)


def stored():
    return (Case.objects.count(), Open311Request.objects.count(), AuditEvent.objects.count())


def test_discovery_in_both_formats(desk, anon):
    body = anon.get(f"{BASE}/discovery.json").json()
    assert sorted(body) == ["changeset", "contact", "endpoints", "key_service"]
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    response = anon.get(f"{BASE}/discovery.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ElementTree.fromstring(response.content)
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml",
                                                                          "application/json"]


def test_the_service_list_is_the_topic_taxonomy(desk, anon):
    response = anon.get(f"{BASE}/services.json", {"jurisdiction_id": "bpn"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = response.json()
    assert len(services) == 17 and all(list(s) == SERVICE_KEYS for s in services)
    roads = next(s for s in services if s["service_code"] == "jalan")
    assert (roads["metadata"], roads["type"], roads["group"]) == (False, "realtime",
                                                                  "infrastruktur")
    root = ElementTree.fromstring(anon.get(f"{BASE}/services.xml",
                                           {"jurisdiction_id": "bpn"}).content)
    assert root.tag == "services" and len(root.findall("service")) == 17
    first = root.find("service")
    assert [child.tag for child in first] == SERVICE_KEYS
    assert first.find("metadata").text == "false"


def test_a_service_definition_and_an_unknown_code(desk, anon):
    body = anon.get(f"{BASE}/services/jalan.json", {"jurisdiction_id": "bpn"}).json()
    assert body == {"service_code": "jalan", "attributes": []}
    root = ElementTree.fromstring(anon.get(f"{BASE}/services/jalan.xml",
                                           {"jurisdiction_id": "bpn"}).content)
    assert root.tag == "service_definition" and root.find("service_code").text == "jalan"
    response = anon.get(f"{BASE}/services/033.json", {"jurisdiction_id": "bpn"})
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code 033 tidak ditemukan."}]
    response = anon.get(f"{BASE}/services/033.xml", {"jurisdiction_id": "bpn"})
    root = ElementTree.fromstring(response.content)
    assert (response.status_code, root.tag, root.find("error/code").text) == (404, "errors", "404")


def test_jurisdictions(desk, anon):
    # Two workspaces on this desk: the jurisdiction must be named, and must exist.
    response = anon.get(f"{BASE}/services.json")
    assert response.status_code == 400 and response.json()[0]["code"] == 400
    response = anon.get(f"{BASE}/services.json", {"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404


def test_the_specifications_example_request_becomes_a_case(desk, anon, token):
    # The newest id, not the count: ids have gaps on PostgreSQL (sequences skip rolled-back rows).
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = post(anon, {**EXAMPLE, "api_key": token})
    assert response.status_code == 200
    (body,) = response.json()
    assert sorted(body) == ["service_notice", "service_request_id"]
    case = Case.objects.get(pk=body["service_request_id"])
    assert case.channel == desk.web and case.workspace == desk.bpn
    assert case.tracking_number in body["service_notice"]
    assert f"http://testserver/lapor/status/{case.tracking_number}/" in body["service_notice"]
    assert case.messages.get().text == EXAMPLE["description"]
    assert case.contact.display_name == "john smith"
    request = Open311Request.objects.get(case=case)
    assert (request.service_code, str(request.latitude), request.email, request.phone,
            request.submitted_by.username) == ("jalan", "-1.265386", "smit333@example.org",
                                               "111111111", "portal-kota")
    assert request.attributes == {"attribute[WHISPAWN]": ["123456"],
                                  "attribute[WHISDORN]": ["COISL001"]}
    actions = list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert actions == ["case.opened", "open311.submitted"]
    submitted = AuditEvent.objects.get(action="open311.submitted")
    assert "smit333" not in json.dumps(submitted.after)  # flags only, no personal data


def test_the_xml_answer_to_a_post(desk, anon, token):
    response = post(anon, {**EXAMPLE, "api_key": token}, fmt="xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == ["service_request_id", "service_notice"]


def test_a_request_without_description_is_named_by_its_service(desk, anon, token):
    data = {k: v for k, v in EXAMPLE.items() if k != "description"}
    (body,) = post(anon, {**data, "api_key": token}).json()
    text = Case.objects.get(pk=body["service_request_id"]).messages.get().text
    assert text == "Jalan · Jl. Jenderal Sudirman No. 12, Klandasan Ilir"


@pytest.mark.parametrize("change, status", [
    ({"api_key": None}, 403),
    ({"api_key": "xyz"}, 403),
    ({"service_code": "033"}, 404),
    ({"service_code": None}, 400),
    ({"jurisdiction_id": "sfgov.org"}, 404),
    ({"jurisdiction_id": None}, 400),
    ({"description": "x" * 4001}, 400),
    ({"lat": "91"}, 400),
    ({"long": "-181"}, 400),
    ({"lat": "abc"}, 400),
    ({"long": None}, 400),
    ({"lat": None, "long": None, "address_string": None}, 400),
    ({"email": "not-an-email"}, 400),
    ({"media_url": "javascript:alert(1)"}, 400),
])
def test_refusals_store_nothing(desk, anon, change, status, token):
    data = {**EXAMPLE, "api_key": token}
    for key, value in change.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    before = stored()
    for fmt in ("json", "xml"):
        response = post(anon, data, fmt)
        assert response.status_code == status
        if fmt == "json":
            (error,) = response.json()
            assert error["code"] == status and error["description"]
        else:
            root = ElementTree.fromstring(response.content)
            assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert stored() == before


def test_tokens_that_may_not_create_requests(desk, anon, token):
    before = stored()
    # An operator may not put words in a citizen's mouth (as with POST /api/v1/inbound); the
    # auditor is read-only; the outsider belongs to another workspace.
    for other in (desk.ani.token, desk.audi.token, desk.luar.token):
        response = post(anon, {**EXAMPLE, "api_key": other})
        assert response.status_code == 403
    assert stored() == before
    # The integration account's token works in its own jurisdiction only.
    assert post(anon, {**EXAMPLE, "jurisdiction_id": "dlh", "api_key": token}).status_code == 403
    assert post(anon, {**EXAMPLE, "api_key": token}).status_code == 200
    assert Case.objects.count() == before[0] + 1


def test_get_requests_filters_and_shapes(desk, anon, token):
    now = datetime.now(UTC)
    (created,) = post(anon, {**EXAMPLE, "api_key": token}).json()
    social = desk.inbound(text="Sampah menumpuk di pasar Klandasan", author_id="w5",
                          external_id="s1", now=now - timedelta(days=1)).case
    set_case_status(case_id=social.pk, actor=desk.sari.user, status="selesai", now=now)
    rollup.catch_up(now=now)
    params = {"jurisdiction_id": "bpn"}
    listed = anon.get(f"{BASE}/requests.json", params).json()
    assert [r["service_request_id"] for r in listed] == [created["service_request_id"], social.pk]
    assert all(list(r) == REQUEST_KEYS for r in listed)
    first = listed[0]
    assert (first["status"], first["service_code"], first["service_name"]) == ("open", "jalan",
                                                                               "Jalan")
    assert (first["lat"], first["long"]) == (-1.265, 116.835)  # the area's centre, not the point
    assert first["description"] is None and first["address"] is None
    assert first["agency_responsible"] == "Pemkot Balikpapan"
    assert listed[1]["status"] == "closed" and listed[1]["status_notes"] == "Selesai"

    by_code = anon.get(f"{BASE}/requests.json", {**params, "service_code": "sampah_kebersihan"})
    assert [r["service_request_id"] for r in by_code.json()] == [social.pk]
    closed = anon.get(f"{BASE}/requests.json", {**params, "status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [social.pk]
    both = anon.get(f"{BASE}/requests.json", {**params, "status": "open,closed"}).json()
    assert len(both) == 2
    by_id = anon.get(f"{BASE}/requests.json", {**params, "service_request_id": str(social.pk),
                                               "status": "open"}).json()
    assert [r["service_request_id"] for r in by_id] == [social.pk]  # the id overrides the rest
    old = anon.get(f"{BASE}/requests.json", {**params, "start_date": "2010-05-24T00:00:00Z",
                                             "end_date": "2010-06-24T00:00:00Z"}).json()
    assert old == []
    one = anon.get(f"{BASE}/requests/{social.pk}.json", params).json()
    assert [r["service_request_id"] for r in one] == [social.pk]
    root = ElementTree.fromstring(anon.get(f"{BASE}/requests/{social.pk}.xml", params).content)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == REQUEST_KEYS
    assert root.find("request/description").text is None


@pytest.mark.parametrize("params, status", [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400),
    ({"start_date": "yesterday"}, 400),
    ({"start_date": "2026-01-01T00:00:00"}, 400),
    ({"status": "pending"}, 400),
    ({"service_code": "033"}, 404),
    ({"service_request_id": "abc"}, 400),
])
def test_bad_queries(desk, anon, params, status):
    response = anon.get(f"{BASE}/requests.json", {"jurisdiction_id": "bpn", **params})
    assert response.status_code == status and response.json()[0]["code"] == status


def test_a_request_of_another_jurisdiction_is_not_found(desk, anon):
    other = desk.inbound(channel=desk.dlh_web, external_id="d1", now=datetime.now(UTC)).case
    response = anon.get(f"{BASE}/requests/{other.pk}.json", {"jurisdiction_id": "bpn"})
    assert response.status_code == 404
    assert anon.get(f"{BASE}/requests/999999.json", {"jurisdiction_id": "bpn"}).status_code == 404


def test_a_public_case_shows_its_description(desk, anon):
    case = desk.inbound(text="Lampu PJU di depan Masjid Agung mati", author_id="w7",
                        external_id="p1", now=datetime.now(UTC)).case
    set_case_public(case_id=case.pk, actor=desk.sari.user, public=True, now=datetime.now(UTC))
    (record,) = anon.get(f"{BASE}/requests/{case.pk}.json", {"jurisdiction_id": "bpn"}).json()
    assert record["description"] == "Lampu PJU di depan Masjid Agung mati"


def test_wrong_methods(desk, anon):
    assert anon.post(f"{BASE}/services.json").status_code == 405
    assert anon.delete(f"{BASE}/requests.json").status_code == 405
    assert anon.get(f"{BASE}/requests.yaml").status_code == 404


def test_facts_follow_a_posted_request(desk, anon, token):
    (body,) = post(anon, {**EXAMPLE, "api_key": token}).json()
    rollup.catch_up(now=datetime.now(UTC))
    fact = CaseFact.objects.get(case_id=body["service_request_id"])
    assert fact.area == "-1.27,116.83"
