import httpx
import pytest

from tanggap.connectors.http import TransportError, parse_retry_after, retry_wait
from tanggap.connectors.testing.fakes import FakeAPI


def _error(status, body=None, headers=None):
    return httpx.Response(status, json=body or {}, headers=headers or {})


def test_base_urls_and_version_come_from_settings(settings):
    settings.META_GRAPH_BASE_URL = "http://graph.test"
    settings.META_GRAPH_VERSION = "v26.0"
    api = FakeAPI().on("GET", "/me", {"id": "1"})
    with api.http() as http:
        http.request("graph", "GET", "/me", token="EAAG-secret")
    request = api.requests[0]
    assert str(request.url) == "http://graph.test/v26.0/me"
    assert request.headers["Authorization"] == "Bearer EAAG-secret"


@pytest.mark.parametrize(("response", "permanent", "ambiguous", "retry_after"), [
    (_error(429, headers={"Retry-After": "7"}), False, False, 7.0),
    (_error(500), False, True, None),
    (_error(503, headers={"Retry-After": "2"}), False, True, 2.0),
    (_error(400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}), True, False, None),
    (_error(400, {"error": {"message": "Calls limit", "code": 80006}}), False, False, None),
    (_error(400, {"error": {"message": "Temporary", "code": 2, "is_transient": True}}), False, True, None),
    (_error(401, {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank"}), True, False, None),
])
def test_errors_are_classified(response, permanent, ambiguous, retry_after):
    api = FakeAPI().on("POST", "/x", response)
    with api.http() as http, pytest.raises(TransportError) as caught:
        http.request("graph", "POST", "/x", token="t", json={})
    assert (caught.value.permanent, caught.value.ambiguous, caught.value.retry_after) == (
        permanent, ambiguous, retry_after)


def test_timeout_after_sending_is_ambiguous_but_connect_failure_is_not():
    api = FakeAPI().on("POST", "/read", httpx.ReadTimeout("slow")).on(
        "POST", "/connect", httpx.ConnectError("refused"))
    with api.http() as http:
        with pytest.raises(TransportError) as read:
            http.request("graph", "POST", "/read", token="t")
        with pytest.raises(TransportError) as connect:
            http.request("graph", "POST", "/connect", token="t")
    assert (read.value.permanent, read.value.ambiguous) == (False, True)
    assert (connect.value.permanent, connect.value.ambiguous) == (False, False)


def test_error_messages_never_carry_the_token():
    api = FakeAPI().on("POST", "/x", _error(400, {"error": {"message": "bad", "code": 100}}))
    with api.http() as http, pytest.raises(TransportError) as caught:
        http.request("graph", "POST", "/x", token="EAAG-very-secret")
    assert "EAAG" not in str(caught.value)


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", clock=lambda: 40.0) == 60.0
    assert parse_retry_after("soon") is None


def test_the_wait_before_a_retry_is_what_the_platform_asked_else_a_back_off():
    assert retry_wait(TransportError("429", permanent=False, retry_after=3.0), 1) == 3.0
    assert [retry_wait(TransportError("500", permanent=False), n) for n in (1, 2, 3, 9)] == [
        0.5, 1.0, 2.0, 30.0]
