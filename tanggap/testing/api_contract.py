"""The OpenAPI document as the test suite's referee: every REST v1 response any test sees (through
Django's test client or a live server) is checked against tanggap/api/openapi.py, so a response
that drifts from the document fails the test that produced it.

What is checked, for every path under /api/v1/:
- a documented path and method: the status code is one the operation lists, the body is JSON
  and valid against that status's schema (required fields present, no undocumented ones, enums,
  formats of times and URLs);
- a documented path, another method: 405 with the error body and an `Allow` header naming the
  documented methods;
- any other path: 404 with the error body.
Server errors (5xx) are left to the test that met them: the exception itself is the finding.

Switched on by tanggap.test_settings only (ResponseContractMiddleware): production never pays for
it. The validators are compiled once per process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from tanggap.api.openapi import openapi_document

PREFIX = "/api/v1"


class ContractViolation(AssertionError):
    """A response that the OpenAPI document does not allow."""


_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value and datetime.fromisoformat(value).tzinfo is not None


@_formats.checks("uri")
def _uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


@dataclass(frozen=True)
class _Route:
    template: str
    pattern: re.Pattern
    operations: dict  # method (upper case) -> {status: validator or None}


def _validator(document: dict, response: dict) -> Draft202012Validator | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    # The components ride along at the root, so "#/components/schemas/X" resolves.
    root = {"allOf": [schema], "components": document["components"]}
    return Draft202012Validator(root, format_checker=_formats)


@cache
def _routes() -> tuple[_Route, ...]:
    document = openapi_document()
    routes = []
    for template, item in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
                             + "$")
        operations = {
            method.upper(): {status: _validator(document, response)
                             for status, response in operation["responses"].items()}
            for method, operation in item.items()
        }
        routes.append(_Route(template, pattern, operations))
    return tuple(routes)


@cache
def _error_validator(name: str) -> Draft202012Validator:
    document = openapi_document()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                 "components": document["components"]},
                                format_checker=_formats)


def _fail(method: str, path: str, status: int, problem: str, body: bytes = b"") -> None:
    excerpt = body[:500].decode("utf-8", "replace")
    raise ContractViolation(f"{method} {path} answered {status}: {problem}\nbody: {excerpt}")


def _body(method: str, path: str, response) -> object:
    content_type = response.get("Content-Type", "")
    if content_type.split(";")[0].strip() != "application/json":
        _fail(method, path, response.status_code, f"content type {content_type!r}, not JSON",
              response.content)
    try:
        return json.loads(response.content)
    except ValueError:
        _fail(method, path, response.status_code, "the body is not JSON", response.content)


def _validate(validator: Draft202012Validator, method: str, path: str, response) -> None:
    body = _body(method, path, response)
    error = best_match(validator.iter_errors(body))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(the body)"
        _fail(method, path, response.status_code, f"at {where}: {error.message}",
              response.content)


def check_response(method: str, path: str, response) -> None:
    """Raise ContractViolation if the document does not allow `response` to `method path`."""
    status = response.status_code
    if status >= 500 or not path.startswith(PREFIX + "/"):
        return
    relative = path[len(PREFIX):]
    route = next((r for r in _routes() if r.pattern.match(relative)), None)
    if route is None:
        if status != 404:
            _fail(method, path, status, "an undocumented path must answer 404", response.content)
        _validate(_error_validator("NotFound"), method, path, response)
        return
    responses = route.operations.get(method.upper())
    if responses is None:
        if status != 405:
            _fail(method, path, status, f"{route.template} documents no {method}: expected 405",
                  response.content)
        allowed = {m.strip() for m in response.get("Allow", "").split(",") if m.strip()}
        if allowed != set(route.operations):
            _fail(method, path, status, f"Allow {sorted(allowed)} is not the documented "
                  f"{sorted(route.operations)}", response.content)
        _validate(_error_validator("MethodNotAllowed"), method, path, response)
        return
    if str(status) not in responses:
        _fail(method, path, status, f"{status} is not documented for {method} "
              f"{route.template} (documented: {', '.join(sorted(responses))})", response.content)
    validator = responses[str(status)]
    if validator is not None:
        _validate(validator, method, path, response)


class ResponseContractMiddleware:
    """Checks every API response against the document (tests only, see the module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        check_response(request.method, request.path, response)
        return response
