"""The OpenAPI 3.1 document of REST v1, written by hand so it states the contract exactly."""

from __future__ import annotations

from functools import cache


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "Malformed JSON"),
    "401": _json(_ref("Error"), "No or bad credentials"),
    "403": _json(_ref("Error"), "Your role may not do this (auditors are read-only)"),
    "404": _json(_ref("Error"), "No such object in your workspaces"),
    "422": _json(_ref("Error"), "Invalid input; nothing was stored"),
}


def _case_action(summary: str, ok: dict, extra: dict | None = None, body: str | None = None):
    op = {
        "summary": summary,
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "responses": {"200": ok, **_ERRORS, **(extra or {})},
    }
    if body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(body)}}}
    return {"post": op}


@cache
def openapi_document() -> dict:
    conflict = _json(_ref("Error"), "Conflict: claimed, not_holder, stale_version, "
                     "already_answered or case_closed")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tanggap REST API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "Inbound": {
                    "type": "object",
                    "required": ["channel_id", "external_id", "author", "text"],
                    "properties": {
                        "channel_id": {"type": "integer"},
                        "external_id": {"type": ["string", "integer"]},
                        "author": {"type": "object", "required": ["id"],
                                   "properties": {"id": {"type": ["string", "integer"]},
                                                  "name": {"type": "string"}}},
                        "text": {"type": "string", "minLength": 1, "maxLength": 10000},
                        "thread_id": {"type": ["string", "integer"]},
                    },
                },
                "InboundResult": {
                    "type": "object",
                    "properties": {"case_id": {"type": "integer"},
                                   "tracking_number": {"type": "string"},
                                   "message_id": {"type": "integer"},
                                   "created": {"type": "boolean"}},
                },
                "Message": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"},
                                   "direction": {"enum": ["in", "out"]},
                                   "text": {"type": "string"}, "author": {"type": "string"},
                                   "created_at": {"type": "string", "format": "date-time"},
                                   "delivery_status": {"type": "string"}},
                },
                "Case": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"enum": ["baru", "diklaim", "dijawab", "menunggu", "selesai",
                                            "ditutup"]},
                        "kind": {"enum": ["pertanyaan", "aduan", "apresiasi", "lainnya"]},
                        "claimed_by": {"type": ["string", "null"]},
                        "version": {"type": "integer"},
                        "tracking_number": {"type": "string"},
                    },
                },
                "CaseDetail": {"allOf": [_ref("Case"), {
                    "type": "object",
                    "properties": {"messages": {"type": "array", "items": _ref("Message")}}}]},
                "Reply": {
                    "type": "object", "required": ["text", "idempotency_key", "base_version"],
                    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 10000},
                                   "idempotency_key": {"type": "string", "maxLength": 100},
                                   "base_version": {"type": "integer"},
                                   "override": {"type": "boolean"},
                                   "confirm_tone": {"type": "boolean", "description": (
                                       "send a reply whose tone verdict is warn (audited)")}},
                },
                "Status": {"type": "object", "required": ["status"], "properties": {
                    "status": {"enum": ["baru", "menunggu", "selesai", "ditutup"]}}},
                "Kind": {"type": "object", "required": ["kind"], "properties": {
                    "kind": {"enum": ["pertanyaan", "aduan", "apresiasi", "lainnya"]}}},
                "Note": {"type": "object", "required": ["text"],
                         "properties": {"text": {"type": "string"}}},
                "Triage": {"type": "object", "properties": {
                    "topic": {"type": "string"}, "intent": {"type": "string"}}},
                "Hide": {"type": "object", "required": ["hidden"], "properties": {
                    "hidden": {"type": "boolean"}}},
                "Moderation": {"type": "object", "properties": {
                    "message_id": {"type": "integer"}, "hidden": {"type": "boolean"},
                    "platform_hidden": {"type": ["boolean", "null"]},
                    "state": {"enum": ["pending", "in_flight", "done", "failed"]},
                    "error": {"type": "string"}}},
                "Text": {"type": "object", "required": ["text"], "properties": {
                    "text": {"type": "string"}, "case_id": {"type": "integer"}}},
                "ToneResult": {"type": "object", "properties": {
                    "verdict": {"enum": ["ok", "warn", "block"]},
                    "findings": {"type": "array", "items": {"type": "object", "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "severity": {"enum": ["info", "warn", "block"]},
                        "start": {"type": "integer"}, "end": {"type": "integer"}}}},
                    "suggestion": {"type": ["string", "null"]}}},
            },
        },
        "paths": {
            "/health": {"get": {"summary": "Liveness", "security": [],
                                "responses": {"200": {"description": "OK"}}}},
            "/inbound": {"post": {
                "summary": "Accept one citizen message (stored once per channel and external id)",
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("Inbound")}}},
                "responses": {"201": _json(_ref("InboundResult"), "Stored"),
                              "200": _json(_ref("InboundResult"), "Already stored"), **_ERRORS},
            }},
            "/cases": {"get": {
                "summary": "Cases, newest citizen message first",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string"},
                     "description": "a status name, `open` (default) or `all`"},
                    {"name": "claimed", "in": "query",
                     "schema": {"enum": ["true", "false", "me"]}},
                    {"name": "channel", "in": "query", "schema": {"type": "integer"}},
                    {"name": "kind", "in": "query", "schema": {"type": "string"}},
                    {"name": "topic", "in": "query", "schema": {"type": "string"}},
                    {"name": "intent", "in": "query", "schema": {"type": "string"}},
                    {"name": "kasar", "in": "query", "schema": {"enum": ["true", "false"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": _json({"type": "object", "properties": {
                    "results": {"type": "array", "items": _ref("Case")},
                    "next": {"type": ["string", "null"]}}}, "A page"), **_ERRORS},
            }},
            "/cases/{id}": {"get": {
                "summary": "One case with its thread",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {"200": _json(_ref("CaseDetail"), "The case"), **_ERRORS},
            }},
            "/cases/{id}/claim": _case_action(
                "Claim (or renew your lease)", _json(_ref("Case"), "Claimed"),
                {"409": conflict}),
            "/cases/{id}/release": _case_action("Release your claim", _json(_ref("Case"), "OK"),
                                                {"409": conflict}),
            "/cases/{id}/takeover": _case_action(
                "Supervisor: take the case over (audited)", _json(_ref("Case"), "OK"),
                {"409": conflict}),
            "/cases/{id}/replies": _case_action(
                "Send a reply as the holder", _json(_ref("Message"), "Same key again: no new "
                                                    "message"),
                {"201": _json(_ref("Message"), "Sent"), "409": conflict,
                 "422": _json(_ref("Error"), "Invalid input, or the tone guard refused: "
                              "tone_blocked (never sendable) or tone_warning (send again with "
                              "confirm_tone); the body carries the findings")},
                body="Reply"),
            "/cases/{id}/status": _case_action("Move the status", _json(_ref("Case"), "OK"),
                                               body="Status"),
            "/cases/{id}/kind": _case_action("Set the kind", _json(_ref("Case"), "OK"),
                                             body="Kind"),
            "/cases/{id}/notes": _case_action("Add an internal note",
                                              _json(_ref("Note"), "Added"), body="Note"),
            "/cases/{id}/triage": _case_action(
                "Confirm or correct topic and intent (kept as training data)",
                _json(_ref("Triage"), "Saved"), body="Triage"),
            "/messages/{id}/hide": {"post": {
                "summary": "Hide or show a citizen's Facebook/Instagram comment on the platform "
                           "(operators and above; audited; the platform is called after commit)",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("Hide")}}},
                "responses": {"202": _json(_ref("Moderation"), "Requested; `state` tells how "
                                           "far the platform call got"), **_ERRORS}}},
            "/tone": {"post": {
                "summary": "Check a draft reply's tone (the same guard runs at send time)",
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("Text")}}},
                "responses": {"200": _json(_ref("ToneResult"), "The verdict"), **_ERRORS}}},
            "/classify": {"post": {
                "summary": "Triage a text: intent, topic, kasar, confidence, reasons",
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("Text")}}},
                "responses": {"200": {"description": "The triage"}, **_ERRORS}}},
        },
    }
