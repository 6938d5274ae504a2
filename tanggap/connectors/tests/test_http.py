import httpx
import pytest

from tanggap.connectors.http import TransportError, parse_retry_after, with_retries
from tanggap.connectors.testing.fakes import FakeAPI, Sleeps


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


def test_retries_back_off_and_honour_retry_after():
    sleeps = Sleeps()
    answers = iter([TransportError("429", permanent=False, retry_after=3.0),
                    TransportError("500", permanent=False),
                    "posted"])

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(call, sleep=sleeps) == "posted"
    assert sleeps.waits == [3.0, 1.0]


def test_permanent_error_is_not_retried():
    sleeps = Sleeps()
    calls = []

    def call():
        calls.append(1)
        raise TransportError("bad token", permanent=True)

    with pytest.raises(TransportError):
        with_retries(call, sleep=sleeps)
    assert (len(calls), sleeps.waits) == (1, [])


def test_a_too_long_retry_after_gives_up_instead_of_blocking_the_worker():
    def call():
        raise TransportError("429", permanent=False, retry_after=3600.0)

    with pytest.raises(TransportError) as caught:
        with_retries(call, max_wait=60, sleep=Sleeps())
    assert "asks to wait 3600 s" in caught.value.message


def test_ambiguous_failure_reconciles_before_calling_again():
    posted = []

    def call():
        posted.append("post")
        if len(posted) == 1:
            raise TransportError("timed out", permanent=False, ambiguous=True)
        return "second-post"

    # The first attempt did reach the platform: reconcile finds it, no second post.
    assert with_retries(call, reconcile=lambda: "first-post", sleep=Sleeps()) == "first-post"
    assert posted == ["post"]
