"""The OpenAPI document is the referee of every API test: a response that drifts from it fails.

tanggap.test_settings puts tanggap.testing.api_contract.ResponseContractMiddleware in front of
every request, so each test of the suite that calls the API checks its responses; these tests
prove that the referee catches drift, and that the document itself stays strict.
"""

import pytest
from django.http import JsonResponse
from django.test import Client

from tanggap.api.openapi import openapi_document
from tanggap.testing.api_contract import ContractViolation, check_response


def _claim_state(desk):
    case = desk.inbound().case
    return case, f"/api/v1/cases/{case.pk}/claim"


def test_an_undocumented_field_fails_the_test_that_sees_it(desk, monkeypatch):
    from tanggap.api import views

    case, path = _claim_state(desk)
    real = views.case_state
    monkeypatch.setattr(views, "case_state", lambda c: {**real(c), "holder_email": "x@y.id"})
    with pytest.raises(ContractViolation, match="holder_email"):
        desk.ani.post(path)


def test_a_missing_field_fails(desk, monkeypatch):
    from tanggap.api import views

    case, path = _claim_state(desk)
    real = views.case_state
    monkeypatch.setattr(views, "case_state",
                        lambda c: {k: v for k, v in real(c).items() if k != "version"})
    with pytest.raises(ContractViolation, match="'version' is a required property"):
        desk.ani.post(path)


def test_a_wrongly_typed_field_fails(desk, monkeypatch):
    from tanggap.api import views

    case, path = _claim_state(desk)
    real = views.case_state
    monkeypatch.setattr(views, "case_state", lambda c: {**real(c), "version": str(c.version)})
    with pytest.raises(ContractViolation, match="at version"):
        desk.ani.post(path)


def test_an_undocumented_status_fails():
    with pytest.raises(ContractViolation, match="418 is not documented for GET /cases"):
        check_response("GET", "/api/v1/cases", JsonResponse({"error": "x", "message": "y"},
                                                            status=418))


def test_an_error_with_an_undocumented_code_fails():
    # 409 on claim documents only `claimed` and `case_closed`.
    body = {"error": "stale_version", "message": "m", "version": 3, "changes": []}
    with pytest.raises(ContractViolation):
        check_response("POST", "/api/v1/cases/1/claim", JsonResponse(body, status=409))
    check_response("POST", "/api/v1/cases/1/replies", JsonResponse(body, status=409))


def test_a_time_that_is_not_a_time_fails():
    body = {"status": "diklaim", "claimed_by": "ani", "claim_expires_at": "besok",
            "version": 2}
    with pytest.raises(ContractViolation, match="date-time"):
        check_response("POST", "/api/v1/cases/1/claim", JsonResponse(body))


def test_other_methods_answer_405_with_allow(desk):
    response = desk.ani.get("/api/v1/inbound")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"
    response = desk.ani.client.delete("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {desk.ani.token}")
    assert (response.status_code, response["Allow"]) == (405, "GET")


def test_unknown_api_paths_answer_json_404(desk):
    for path in ("/api/v1/nothing", "/api/v1/cases/1/explode", "/api/v1/cases/"):
        response = desk.ani.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    response = desk.ani.client.put("/api/v1/nothing")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_a_server_error_on_an_api_path_is_json_and_says_nothing_more(desk, monkeypatch):
    from tanggap.api import views

    def explode(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(views.queries, "inbox_filter", explode)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {desk.ani.token}")
    assert response.status_code == 500
    assert response.json() == {"error": "server_error",
                               "message": "Terjadi kesalahan di server."}
    client.force_login(desk.ani.user)
    monkeypatch.setattr("tanggap.web.views.queries.inbox_filter", explode)
    page = client.get("/w/bpn/")
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


def _schemas_of_responses(document):
    """Every schema a response can carry, followed through $refs."""
    components = document["components"]["schemas"]
    named = {id(schema) for schema in components.values()}
    seen, stack = {}, []
    for item in document["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                stack.append(response["content"]["application/json"]["schema"])
    while stack:
        schema = stack.pop()
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen[name] = components[name]
                if name != "OpenApi":  # the document itself: its top level is closed
                    stack.append(components[name])
            continue
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend(schema.get(key, []))
        stack.extend(schema.get("properties", {}).values())
        if isinstance(schema.get("items"), dict):
            stack.append(schema["items"])
        if schema.get("type") == "object" and id(schema) not in named:
            seen.setdefault(f"(inline {id(schema)})", schema)
    return seen


def test_every_response_schema_is_closed_and_names_its_required_fields():
    # Fields an error may carry or not, by design; everything else is always present.
    optional = {"Invalid": {"field", "fields", "unknown", "missing"}}
    schemas = _schemas_of_responses(openapi_document())
    assert {"Case", "CaseDetail", "CaseState", "Message", "ReplyResult", "NoteResult",
            "TriageResult", "Invalid", "StaleVersion", "ToneRefused"} <= set(schemas)
    for name, schema in schemas.items():
        if schema.get("type") != "object":
            continue
        assert schema.get("additionalProperties") is False, (name, schema)
        assert set(schema["properties"]) - set(schema["required"]) == optional.get(name, set()), name


def test_every_operation_documents_its_errors():
    document = openapi_document()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if operation.get("security") == []:
                assert codes == {"200"}, path
                continue
            assert {"401", "403"} <= codes, (method, path)
            if method == "post":
                assert "413" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
