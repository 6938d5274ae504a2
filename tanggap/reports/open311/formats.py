"""GeoReport v2's two formats: JSON, and XML mapped from it the way the specification's examples
are (a list becomes a root element of repeated children; None an empty element), each with the
content type and UTF-8 declaration the specification asks for."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ElementTree.Element, key: str, value) -> None:
    child = ElementTree.SubElement(element, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(child, k, v)
    elif isinstance(value, list):
        item_name = LIST_ITEMS.get(key, key.rstrip("s"))
        for item in value:
            _fill(child, item_name, item)
    else:
        child.text = _text(value)


# The element name of one item of each list, as in the specification's XML examples.
LIST_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
              "endpoints": "endpoint", "formats": "format", "attributes": "attribute",
              "values": "value"}


def to_xml(root: str, value) -> bytes:
    element = ElementTree.Element(root)
    if isinstance(value, list):
        item_name = LIST_ITEMS[root]
        for item in value:
            _fill(element, item_name, item)
    else:
        for k, v in value.items():
            _fill(element, k, v)
    body = ElementTree.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def respond(fmt: str, root: str, value, *, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(to_xml(root, value), content_type=XML_TYPE, status=status)
    return HttpResponse(json.dumps(value, ensure_ascii=False).encode("utf-8"),
                        content_type=JSON_TYPE, status=status)


class Open311Error(Exception):
    """An error the specification names: HTTP 404 for what does not exist, 403 for a missing or
    wrong api_key, 400 for anything else; the body is the list of errors."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = str(description)


def error_response(fmt: str, error: Open311Error) -> HttpResponse:
    return respond(fmt, "errors", [{"code": error.status, "description": error.description}],
                   status=error.status)
