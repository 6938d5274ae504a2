"""The one HTTP client every platform adapter talks through, and its error contract.

Every outbound call to Meta or X passes `PlatformHTTP.request`, which:
  * builds the URL from settings (`META_GRAPH_BASE_URL` + `META_GRAPH_VERSION`,
    `INSTAGRAM_GRAPH_BASE_URL`, `X_API_BASE_URL`), so tests and staging point elsewhere;
  * always has a timeout;
  * turns every failure into `TransportError(permanent=..., retry_after=..., ambiguous=...)`.

Callers make one attempt per task run: a retryable failure is scheduled again (`retry_wait`: the
platform's Retry-After, else a back-off) by queuing the task with `run_after`, never by sleeping
in a worker; before retrying a call that may already have reached the platform (a timeout after
sending, a 5xx) the caller looks for its effect first, so a public reply is never posted twice.

Tests inject a fake with `PlatformHTTP(transport=httpx.MockTransport(handler))`; nothing here may
log a token or a full request (tokens travel in the Authorization header only).
"""

from __future__ import annotations

import contextlib
import email.utils
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

# Graph API error codes that mean "slow down" rather than "this will never work". [M-RL] and
# WhatsApp's throughput codes (130429 per number, 131056 per recipient pair).
META_THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80006, 80008, 130429,
                                 131056})


class TransportError(Exception):
    """A platform call failed.

    permanent: retrying the same call cannot succeed (bad token, window closed, unknown id).
    retry_after: seconds the platform asked us to wait, when it said so.
    ambiguous: the request may have been processed (sent, then no or a 5xx answer); before any
        retry the caller must look for the effect on the platform.
    """

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None,
                 ambiguous: bool = False, status: int | None = None,
                 code: str | int | None = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.headers = headers or {}
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Response:
    status: int
    data: Any
    headers: dict[str, str] = field(default_factory=dict)


def api_base(api: str) -> str:
    """Base URL of one of the APIs we speak; read per call so settings overrides apply."""
    if api == "graph":
        return f"{settings.META_GRAPH_BASE_URL}/{settings.META_GRAPH_VERSION}"
    if api == "instagram":
        return f"{settings.INSTAGRAM_GRAPH_BASE_URL}/{settings.META_GRAPH_VERSION}"
    if api == "x":
        return settings.X_API_BASE_URL
    raise ValueError(f"unknown api {api!r}")


def parse_retry_after(value: str | None, *, clock: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - clock())


def _error_detail(data: Any) -> tuple[str, Any, bool]:
    """(message, code, transient) from a Graph or X error body."""
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):  # Graph API
            message = str(error.get("message") or error.get("type") or "error")
            return message, error.get("code"), bool(error.get("is_transient"))
        # OAuth 2.0 token endpoint (RFC 6749 section 5.2). Before X's `errors`, which its token
        # endpoint may add beside the standard pair ([S-CODE]).
        if isinstance(error, str):
            return str(data.get("error_description") or error), error, False
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # X API v2
            first = errors[0]
            message = str(first.get("message") or first.get("detail") or "error")
            return message, first.get("code") or first.get("type"), False
        if "detail" in data:  # X problem+json
            return str(data.get("detail")), data.get("type") or data.get("title"), False
    return "", None, False


class PlatformHTTP:
    """A small, hardened wrapper around one httpx.Client."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None,
                 timeout: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._client = httpx.Client(
            transport=transport,
            timeout=timeout if timeout is not None else settings.CONNECTORS_HTTP_TIMEOUT_SECONDS,
            headers={"User-Agent": "Tanggap/0.1 (+https://github.com/tanggap)"},
            follow_redirects=False,
        )
        self._clock = clock

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PlatformHTTP:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, api: str, method: str, path: str, *, token: str,
                params: dict | None = None, json: Any = None) -> Response:
        url = api_base(api) + path
        try:
            response = self._client.request(
                method, url, params=params, json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # The request never left: safe to send again without looking first.
            raise TransportError(f"cannot connect: {type(exc).__name__}", permanent=False) from None
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out: {type(exc).__name__}", permanent=False,
                                 ambiguous=method != "GET") from None
        except httpx.HTTPError as exc:
            raise TransportError(f"transport failed: {type(exc).__name__}", permanent=False,
                                 ambiguous=method != "GET") from None
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        if response.is_success:
            if data is None and response.content:
                raise TransportError("the platform answered with a body that is not JSON",
                                     permanent=False, ambiguous=method != "GET",
                                     status=response.status_code)
            return Response(response.status_code, data, headers)
        error = self._classify(method, response.status_code, data, headers)
        error.headers = headers
        raise error

    def post_form(self, api: str, path: str, *, data: dict[str, str],
                  basic_auth: tuple[str, str] | None = None) -> Response:
        """A form-encoded POST with optional HTTP Basic client authentication: the OAuth 2.0
        token endpoint's shape. The body carries secrets (a refresh token), so like `request` it
        is never logged, and a failure's message comes from the platform's answer only."""
        url = api_base(api) + path
        try:
            response = self._client.post(url, data=data, auth=basic_auth)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TransportError(f"cannot connect: {type(exc).__name__}", permanent=False) from None
        except httpx.HTTPError as exc:
            raise TransportError(f"transport failed: {type(exc).__name__}", permanent=False,
                                 ambiguous=True) from None
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict):
            return Response(response.status_code, body, headers)
        if response.is_success:
            raise TransportError("the platform answered with a body that is not a JSON object",
                                 permanent=False, ambiguous=True, status=response.status_code)
        error = self._classify("POST", response.status_code, body, headers)
        error.headers = headers
        raise error

    def post_bytes(self, url: str, *, content: bytes, headers: dict[str, str]) -> Response:
        """A POST of an opaque body to a full URL the caller has checked: a Web Push service's
        endpoint (tanggap.alerts.push), or an address a workspace admin registered for outgoing
        webhooks (tanggap.hooks). The body may be encrypted or signed, so neither it nor the
        headers are logged. Any 2xx is success, whatever its body; a redirect is a failure (not
        followed); a failure is a TransportError with the status (404 and 410 mean a push
        subscription is gone)."""
        try:
            response = self._client.post(url, content=content, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TransportError(f"cannot connect: {type(exc).__name__}", permanent=False) from None
        except httpx.HTTPError as exc:
            raise TransportError(f"transport failed: {type(exc).__name__}", permanent=False,
                                 ambiguous=True) from None
        headers = {k.lower(): v for k, v in response.headers.items()}
        if response.is_success:
            return Response(response.status_code, None, headers)
        error = self._classify("POST", response.status_code, None, headers)
        error.headers = headers
        raise error

    def _classify(self, method: str, status: int, data: Any, headers: dict) -> TransportError:
        message, code, transient = _error_detail(data)
        text = f"HTTP {status}" + (f" code {code}" if code is not None else "") + (
            f": {message}" if message else "")
        retry_after = parse_retry_after(headers.get("retry-after"), clock=self._clock)
        if retry_after is None and headers.get("x-rate-limit-reset", "").isdigit():
            retry_after = max(0.0, int(headers["x-rate-limit-reset"]) - self._clock())
        if status == 429 or code in META_THROTTLE_CODES:
            return TransportError(text, permanent=False, retry_after=retry_after, status=status,
                                  code=code)
        if status >= 500 or transient:
            return TransportError(text, permanent=False, retry_after=retry_after,
                                  ambiguous=method != "GET", status=status, code=code)
        return TransportError(text, permanent=True, status=status, code=code)


_shared: PlatformHTTP | None = None
_shared_lock = threading.Lock()


def shared_client() -> PlatformHTTP:
    """This process's client, made once: building one loads the CA bundle (about 33 ms here),
    which cost more than the send itself. httpx clients are safe to share between threads."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PlatformHTTP()
        return _shared


@contextlib.contextmanager
def given_or_own(http: PlatformHTTP | None) -> Iterator[PlatformHTTP]:
    """The client a caller injected (tests, benchmarks), or this process's shared one."""
    yield http if http is not None else shared_client()


def backoff_seconds(attempt: int) -> float:
    """0.5, 1, 2, 4, ... seconds after the 1st, 2nd, 3rd, 4th failure; capped at 30."""
    return min(30.0, 0.5 * (2 ** (attempt - 1)))


def retry_wait(exc: TransportError, attempt: int) -> float:
    """How long to wait before the next attempt after `exc` ended attempt number `attempt`: what
    the platform asked for (Retry-After, x-rate-limit-reset), else the back-off. The caller
    schedules the next attempt (a task queued with run_after); nothing here sleeps."""
    return exc.retry_after if exc.retry_after is not None else backoff_seconds(attempt)
