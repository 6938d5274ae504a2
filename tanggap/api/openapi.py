"""The OpenAPI 3.1 document of REST v1, written by hand so it states the contract exactly, and
held to it: every API response in the test suite is validated against this document
(tanggap/testing/api_contract.py), and scripts/fuzz-api fuzzes the running server from it.

Strict on purpose. Every response object lists all its fields as required and allows no others
(`additionalProperties: false`), and every status code an operation can answer is listed with
its exact error codes, so a field added, renamed or dropped in a view fails the suite until the
document says so. Request bodies stay open to unknown fields (clients may send more than we
read), but each known field's type and bounds are the ones the server enforces.

Enumerations and limits come from the code that enforces them, never copied by hand.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings

from tanggap import language
from tanggap.api.framework import MAX_BODY_BYTES
from tanggap.cases import templating
from tanggap.cases.actions import MANUAL_STATUSES, MAX_REASON_CHARS
from tanggap.cases.cleaning import MAX_ID, MAX_KEY_CHARS
from tanggap.cases.models import CaseKind, CaseStatus, DeliveryStatus, Direction
from tanggap.cases.queries import CURSOR_PATTERN
from tanggap.cases.search import MAX_QUERY_CHARS
from tanggap.connectors.models import ModerationState
from tanggap.referrals.actions import MAX_NOTE_CHARS
from tanggap.referrals.incidents import MAX_MEMBERS, MAX_TITLE_CHARS
from tanggap.referrals.models import BodyKind, ReferralStatus


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object(properties: dict, *, description: str = "") -> dict:
    """A response object: every field required, no other field allowed."""
    schema = {"type": "object", "required": list(properties), "properties": properties,
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
OBJECT_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _error(codes: tuple[str, ...], description: str, **extra: dict) -> dict:
    """An error body: {"error", "message"} and the extra fields its codes carry (all required)."""
    return _object({"error": {"enum": list(codes)}, "message": STRING, **extra},
                   description=description)


def _schemas() -> dict:
    max_chars = settings.TANGGAP_MAX_MESSAGE_CHARS
    text = {"type": "string", "minLength": 1, "maxLength": max_chars,
            "description": "Stripped before it is stored; must contain a visible character. "
                           "NUL and unpaired surrogates are refused anywhere in a body."}
    platform_id = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 200,
                              "pattern": r"\S"}, INTEGER]}
    # Ids in bodies: the number, or its decimal digits (integrations send both).
    body_id = {"anyOf": [OBJECT_ID, {"type": "string", "pattern": "^[0-9]{1,19}$"}]}
    topic = {"enum": ["", *language.TOPICS], "description": "empty until triaged"}
    intent = {"enum": ["", *language.INTENTS], "description": "empty until triaged"}
    key = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS,
           "description": "the same key again answers with the first result, changing nothing"}
    finding = _object({
        "code": STRING, "message": STRING, "severity": {"enum": ["info", "warn", "block"]},
        "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0},
    })
    invalid = {"field": STRING, "fields": {"type": "array", "items": STRING},
               # a reply template: the fields it names that do not exist, or lack a value
               "unknown": {"type": "array", "items": STRING,
                           "description": "a template's fields that do not exist"},
               "missing": {"type": "array", "items": {"enum": list(templating.known_fields())},
                           "description": "a template's fields this case has no value for"}}
    case = {
        "id": OBJECT_ID,
        "status": {"enum": CaseStatus.values},
        "kind": {"enum": CaseKind.values},
        "claimed_by": _nullable(STRING),
        "claim_expires_at": _nullable(TIME),
        "claim_active": BOOLEAN,
        "version": {"type": "integer", "minimum": 1},
        "tracking_number": STRING,
        "channel_id": OBJECT_ID,
        "contact": _object({"id": OBJECT_ID, "name": STRING}),
        "last_inbound_at": TIME,
        "topic": topic,
        "intent": intent,
        "kasar": BOOLEAN,
        "triage_confirmed": BOOLEAN,
        "triage_confidence": _nullable({
            "type": "number", "minimum": 0, "maximum": 1,
            "description": "how sure the engine was of `topic` (null: triaged before it said)"}),
        "topic_suggestions": {
            "type": "array", "maxItems": 3,
            "description": "the engine's likeliest topics for the case, surest first",
            "items": _object({"topic": {"enum": list(language.TOPICS)},
                              "confidence": {"type": "number", "minimum": 0, "maximum": 1}})},
        "needs_check": {**BOOLEAN, "description": (
            "the engine abstained on the topic and no operator confirmed it: show "
            "\"perlu dicek\", not the topic or intent")},
        "workspace": {"type": "string", "description": "the workspace's slug"},
        "sla": _nullable(_object({
            "first_response_due_at": _nullable(TIME),
            "next_response_due_at": _nullable(TIME),
            "resolution_due_at": _nullable(TIME),
            "breached": BOOLEAN,
            "paused": BOOLEAN,
        }, description="The case's SLA clocks (null where no policy applies): each due time is "
           "null when that clock is not kept, or paused (the case waits for the citizen or a "
           "body holds it); `breached` when any clock ran out")),
        "assigned_to": _nullable({"type": "string", "description": (
            "the operator the case is offered or handed to (\"untukmu\"); it holds nothing: "
            "the claim does")}),
    }
    return {
        # --- errors ---------------------------------------------------------------------------
        "Malformed": _error(("malformed_json",), "The body is not a JSON object, not strict "
                            "JSON (NaN, Infinity, 1e400), or nested more than 32 levels deep"),
        "Unauthenticated": _error(("unauthenticated",), "No credentials, or a bad token"),
        "Forbidden": _error(("forbidden", "csrf"), "Your role may not do this (auditors only "
                            "read), or a session request without its CSRF token"),
        "NotFound": _error(("not_found",), "No such object in your workspaces (the same answer "
                           "whether it exists elsewhere or not)"),
        "MethodNotAllowed": _error(("method_not_allowed",), "The `Allow` header lists the "
                                   "methods of this path"),
        "TooLarge": _error(("too_large",), f"The body is over {MAX_BODY_BYTES} bytes (any "
                           "POST: a form body is read for its CSRF token)"),
        "Invalid": {
            "description": "Invalid input; nothing was stored. `field` or `fields` name the "
                           "input at fault when there is one.",
            "type": "object", "required": ["error", "message"],
            "properties": {"error": {"const": "invalid"}, "message": STRING, **invalid},
            "additionalProperties": False,
        },
        "ToneRefused": _error(
            ("tone_blocked", "tone_warning"),
            "The tone guard refused the reply: tone_blocked is never sent; tone_warning is sent "
            "when it is posted again with confirm_tone (audited)",
            findings={"type": "array", "items": _ref("ToneFinding")},
            suggestion=_nullable(STRING)),
        "Claimed": _error(("claimed",), "Someone else holds the case", claimed_by=STRING),
        "NotHolder": _error(("not_holder",), "Only the holder may do this; `claimed_by` is the "
                            "holder, null when nobody holds it", claimed_by=_nullable(STRING)),
        "StaleVersion": _error(
            ("stale_version",), "The case moved since `base_version`: its `version` now, and "
            "what changed", version=INTEGER,
            changes={"type": "array", "items": _object({
                "action": STRING, "actor": _nullable(STRING), "at": TIME, "version": INTEGER})}),
        "AlreadyAnswered": _error(
            ("already_answered",), "Someone else answered since the citizen last wrote; send "
            "again with override=true if a second answer is needed (audited)",
            answered_by=STRING),
        "CaseClosed": _error(("case_closed",), "The case is closed"),
        "NeedsApproval": _error(("approval_needed",), "The reply would wait for a supervisor's "
                                "approval (tanggap workspace set --approve-warn, or a member in "
                                "training), so nothing was done"),
        "HandedOver": _error(("handed_over",), "The conversation with the citizen is handed "
                             "over to another desk (`speaking_desk`, its name): only it replies "
                             "until this desk takes the conversation back",
                             speaking_desk=STRING),
        "NotHandedOver": _error(("not_handed_over",), "The conversation with the citizen is not "
                                "handed over (to this desk)"),
        "NoLinkedDesk": _error(("no_linked_desk",), "The case has no open referral to a body "
                               "with its own desk"),
        "AlreadyReferred": _error(("already_referred",), "The case has an open referral; "
                                  "`body` names its body", body=STRING),
        "MemberClaimed": _error(("claimed",), "Someone else holds one of the cases: "
                                "`case_id`, held by `claimed_by`",
                                claimed_by=STRING, case_id=OBJECT_ID),
        "MemberClosed": _error(("case_closed",), "One of the cases (`case_id`) is closed",
                               case_id=OBJECT_ID),
        "InIncident": _error(("in_incident",), "One of the cases is already in another "
                             "incident"),
        "AlreadyAnnounced": _error(("already_announced",), "The members have heard the "
                                   "incident's latest announcement (no member joined since); "
                                   "send again with override=true to announce once more"),
        # --- requests (open to unknown fields; known ones exactly as enforced) -----------------
        "TakeOver": {"type": "object", "properties": {"reason": {
            "type": "string", "maxLength": MAX_REASON_CHARS,
            "description": "why, in the audit trail and for the operator who held it"}}},
        "Inbound": {
            "type": "object",
            "required": ["channel_id", "external_id", "author", "text"],
            "properties": {
                "channel_id": body_id,
                "external_id": platform_id,
                "author": {"type": "object", "required": ["id"], "properties": {
                    "id": platform_id,
                    "name": _nullable({"type": "string", "description": (
                        "shown as given, without control or direction characters, at most "
                        "200 characters")})}},
                "text": text,
                "thread_id": {"anyOf": [{"type": "string", "maxLength": 200}, INTEGER,
                                        {"type": "null"}]},
            },
        },
        "Reply": {
            "type": "object", "required": ["text", "idempotency_key", "base_version"],
            "properties": {
                "text": text,
                "idempotency_key": key,
                "base_version": {"type": "integer", "description": (
                    "the case's version the reply was written against")},
                "override": {"type": "boolean", "description": (
                    "answer a case someone else already answered (audited)")},
                "confirm_tone": {"type": "boolean", "description": (
                    "send a reply whose tone verdict is warn (audited)")},
            },
        },
        "Status": {"type": "object", "required": ["status"], "properties": {
            "status": {"enum": list(MANUAL_STATUSES)}}},
        "Kind": {"type": "object", "required": ["kind"], "properties": {
            "kind": {"enum": CaseKind.values}}},
        "Note": {"type": "object", "required": ["text"], "properties": {"text": text}},
        "Triage": {
            "type": "object",
            "description": "a topic, an intent or both; null leaves that one as it is",
            "anyOf": [{"required": ["topic"]}, {"required": ["intent"]}],
            "properties": {"topic": {"enum": [*language.TOPICS, None]},
                           "intent": {"enum": [*language.INTENTS, None]}},
        },
        "Hide": {"type": "object", "required": ["hidden"], "properties": {"hidden": BOOLEAN}},
        "HandOver": {"type": "object", "required": ["to"], "properties": {
            "to": {"type": "string", "description": "a colleague's username"},
            "note": {"type": "string", "maxLength": 500}}},
        "Draft": {"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string", "maxLength": max_chars,
                     "description": "as typed: the findings' offsets point into it"},
            "case_id": _nullable(body_id)}},
        "Text": {"type": "object", "required": ["text"], "properties": {"text": text}},
        "Referral": {
            "type": "object", "required": ["body_id"],
            "properties": {
                "body_id": body_id,
                "note": {**_nullable({"type": "string", "maxLength": MAX_NOTE_CHARS}),
                         "description": "for the body (never shown to the citizen); null or "
                                        "absent: no note"},
                "idempotency_key": {**_nullable(key), "description": (
                    "null or absent: every request refers anew; the same key again answers "
                    "with the same referral")},
                "citizen_reply": {**_nullable(text), "description": (
                    "null or absent: no reply; a reply to the citizen sent in the same step, "
                    "through the reply path "
                    "(holder, tone guard, exactly once); a template: "
                    + ", ".join(f"{{{name}}}" for name in templating.known_fields())
                    + " are filled from the case; a field the case cannot fill refers nothing "
                    "(422 naming it in `missing`)")},
                "confirm_tone": {"type": "boolean", "description": (
                    "send a citizen_reply whose tone verdict is warn (audited)")},
            },
        },
        "ConversationHandOver": {
            "type": "object", "required": ["note", "base_version"],
            "properties": {
                "note": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE_CHARS,
                         "pattern": r"\S", "description": (
                             "for the desk that takes the conversation over (audited on both "
                             "cases)")},
                "base_version": {"type": "integer", "description": (
                    "the case's version the desk saw: a reply sent since makes it stale")},
            },
        },
        "TakeBack": {"type": "object", "properties": {"note": _nullable({
            "type": "string", "maxLength": MAX_NOTE_CHARS, "description": "why (audited)"})}},
        "LinkedReply": {
            "type": "object", "required": ["text", "idempotency_key"],
            "properties": {
                "text": text, "idempotency_key": key,
                "confirm_tone": {"type": "boolean", "description": (
                    "send a reply whose tone verdict is warn (audited)")},
            },
        },
        "CloseReferred": {
            "type": "object", "required": ["text", "idempotency_key", "base_version"],
            "properties": {
                "text": text, "idempotency_key": key,
                "base_version": {"type": "integer", "description": (
                    "the case's version the reply was written against")},
                "confirm_tone": {"type": "boolean", "description": (
                    "send a reply whose tone verdict is warn (audited)")},
            },
        },
        "NewIncident": {
            "type": "object", "required": ["case_ids", "title"],
            "properties": {
                "case_ids": {"type": "array", "minItems": 1, "maxItems": MAX_MEMBERS,
                             "items": body_id, "description": (
                                 "open cases of one workspace, in no other incident")},
                "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_CHARS},
            },
        },
        "Announcement": {
            "type": "object", "required": ["text", "idempotency_key"],
            "properties": {
                "text": {**text, "description": (
                    "{nama} and {nomor} are filled per case (the citizen's name, the report's "
                    "number); each member case gets its own message, tone-checked")},
                "idempotency_key": key,
                "override": {"type": "boolean", "description": (
                    "announce again though no member joined since the last announcement")},
            },
        },
        "Resolution": {
            "type": "object", "required": ["text", "idempotency_key"],
            "properties": {"text": text, "idempotency_key": key},
        },
        # --- responses ------------------------------------------------------------------------
        "Health": _object({"status": {"const": "ok"}}),
        "InboundResult": _object({"case_id": OBJECT_ID, "tracking_number": STRING,
                                  "message_id": OBJECT_ID, "created": BOOLEAN}),
        "Reading": _object({
            "intent": {"enum": list(language.INTENTS)},
            "topic": {"enum": list(language.TOPICS)},
            "kasar": BOOLEAN,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "unsure": BOOLEAN,
            "top_topics": {"type": "array", "items": _object({
                "topic": {"enum": list(language.TOPICS)},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1}})},
            "reasons": {"type": "array", "items": STRING},
        }, description="The language engine's triage of a citizen's text"),
        "ToneRecord": _object({"tone": {"enum": ["ok", "warn"]},
                               "findings": {"type": "array", "items": STRING}},
                              description="The tone verdict a reply left with"),
        "ToneFinding": finding,
        "ToneResult": _object({"verdict": {"enum": ["ok", "warn", "block"]},
                               "findings": {"type": "array", "items": _ref("ToneFinding")},
                               "suggestion": _nullable(STRING)}),
        "Message": _object({
            "id": OBJECT_ID,
            "direction": {"enum": Direction.values},
            "text": STRING,
            "author": STRING,
            "created_at": TIME,
            "delivery_status": {"enum": DeliveryStatus.values},
            "external_id": _nullable(STRING),
            "triage": {"oneOf": [_ref("Reading"), _ref("ToneRecord")], "description": (
                "a citizen's message: its triage; a reply: its tone verdict")},
        }),
        "Case": _object(case),
        "CaseDetail": _object({
            **case, "messages": {"type": "array", "items": _ref("Message")},
            "suggested_body": _nullable(_object({
                "body_id": OBJECT_ID, "name": STRING, "reason": STRING,
                "source": {"enum": ["history", "topics"], "description": (
                    "history: the desk's earlier choices for the topic; topics: the body lists "
                    "the case's topic")},
            }, description="Where to refer the case, and why; null while it has an open "
                           "referral, when it is closed, or when nothing fits")),
            "referrals": {"type": "array", "items": _ref("ReferralOfCase")},
        }),
        "ReferralOfCase": _object({
            "id": OBJECT_ID, "body_id": OBJECT_ID, "status": {"enum": ReferralStatus.values},
            "updates": {"type": "array", "items": _object({
                "status": {"enum": ReferralStatus.values},
                "text": {"type": "string", "description": "the desk's note (terkirim) or the "
                         "body's answer"},
                "at": TIME})},
        }, description="A referral of the case to a responsible body, oldest update first"),
        "Body": _object({"id": OBJECT_ID, "name": STRING, "kind": {"enum": BodyKind.values},
                         "topics": {"type": "array", "items": {"enum": list(language.TOPICS)}}},
                        description="A responsible body of the directory"),
        "BodyList": _object({"results": {"type": "array", "items": _ref("Body")}}),
        "ReferralResult": _object({
            "id": OBJECT_ID, "status": {"enum": ReferralStatus.values},
            "liaison_url": {"type": "string", "format": "uri", "description": (
                "the body's signed, expiring page for this referral (no account needed)")}}),
        "Speaking": _object({
            "speaking_desk": _nullable(_object({"workspace": STRING, "name": STRING},
                                               description="the desk that speaks to the "
                                               "citizen now")),
            "version": {"type": "integer", "minimum": 1}},
            description="Who speaks to the citizen on the case: null, its own desk"),
        "ConversationMessage": _object({
            "id": OBJECT_ID, "direction": {"enum": Direction.values}, "text": STRING,
            "author": STRING, "created_at": TIME,
            "delivery_status": {"enum": DeliveryStatus.values}}),
        "LinkedConversation": _object({
            "from_desk": STRING, "tracking_number": STRING,
            "messages": {"type": "array", "items": _ref("ConversationMessage")}},
            description="The referring desk's conversation with the citizen, oldest first"),
        "LinkedReplyResult": _object({"message": _ref("ConversationMessage")}),
        "CloseResult": _object({"message": _ref("Message"),
                                "status": {"enum": CaseStatus.values},
                                "version": {"type": "integer", "minimum": 1}}),
        "IncidentCreated": _object({"id": OBJECT_ID}),
        "AnnounceResult": _object({
            "sent": {"type": "integer", "minimum": 0},
            "skipped": {"type": "array", "items": _object({
                "case_id": OBJECT_ID,
                "reason": {"type": "string", "description": (
                    "the error code that kept this case's copy back (claimed, case_closed, "
                    "tone_blocked, ...)")}})},
        }, description="How many member cases got their copy, and which did not and why"),
        "CasePage": _object({
            "results": {"type": "array", "items": _ref("Case")},
            "next": _nullable({"type": "string", "format": "uri",
                               "description": "the next page, with the same filters"})}),
        "CaseState": _object({
            "status": {"enum": CaseStatus.values},
            "claimed_by": _nullable(STRING),
            "claim_expires_at": _nullable(TIME),
            "version": {"type": "integer", "minimum": 1},
        }, description="Who holds the case and how far it got"),
        "ReplyResult": _object({"message": _ref("Message"),
                                "version": {"type": "integer", "minimum": 1},
                                "status": {"enum": CaseStatus.values}, "created": BOOLEAN}),
        "KindResult": _object({"kind": {"enum": CaseKind.values},
                               "version": {"type": "integer", "minimum": 1}}),
        "NoteResult": _object({"id": OBJECT_ID, "text": STRING}),
        "HandOverResult": _object({"assigned_to": STRING, "note": STRING}),
        "RosterNow": _object({
            "workspace": STRING,
            "on_duty": {"type": "array", "items": STRING,
                        "description": "usernames at the desk now"},
            "on_call": {"type": "array", "items": STRING,
                        "description": "usernames reachable now, not at the desk"},
            "rostered": {"type": "boolean", "description": "false: the workspace keeps no "
                         "roster (everyone serves the desk)"}}),
        "TriageResult": _object({"topic": topic, "intent": intent, "confirmed": {"const": True},
                                 "version": {"type": "integer", "minimum": 1}}),
        "Moderation": _object({
            "message_id": OBJECT_ID, "hidden": BOOLEAN, "platform_hidden": _nullable(BOOLEAN),
            "state": {"enum": ModerationState.values}, "error": STRING}),
        "OpenApi": _object({key: {"type": "string" if key == "openapi" else
                                  "array" if key in ("servers", "security") else "object"}
                            for key in ("openapi", "info", "servers", "security", "components",
                                        "paths")}, description="This document"),
    }


def _responses(ok: dict, *errors: str, conflicts: tuple[str, ...] = (),
               invalid: tuple[str, ...] = ("Invalid",)) -> dict:
    """An operation's responses: `ok` ({status: response}) and the errors it can answer."""
    described = {
        "400": lambda: _json(_ref("Malformed"), "Malformed body"),
        "401": lambda: _json(_ref("Unauthenticated"), "No or bad credentials"),
        "403": lambda: _json(_ref("Forbidden"), "Not allowed for your role"),
        "404": lambda: _json(_ref("NotFound"), "Not found in your workspaces"),
        "409": lambda: _json({"oneOf": [_ref(name) for name in conflicts]} if len(conflicts) > 1
                             else _ref(conflicts[0]), "Conflict; nothing changed"),
        "413": lambda: _json(_ref("TooLarge"), "Body too large"),
        "422": lambda: _json({"oneOf": [_ref(name) for name in invalid]} if len(invalid) > 1
                             else _ref(invalid[0]), "Invalid input; nothing was stored"),
    }
    return {**ok, **{status: described[status]() for status in errors}}


def _operation(operation_id: str, summary: str, responses: dict, *, body: str | None = None,
               path_id: bool = False, optional_body: bool = False, **more) -> dict:
    op = {"operationId": operation_id, "summary": summary, "responses": responses, **more}
    if path_id:
        op["parameters"] = [{"name": "id", "in": "path", "required": True, "schema": OBJECT_ID}]
    if body:
        op["requestBody"] = {"required": not optional_body,
                             "content": {"application/json": {"schema": _ref(body)}}}
    return op


# What every operation that reads a body can also answer, besides its own codes.
_WITH_BODY = ("400", "413", "422")


def _edit(operation_id: str, summary: str, ok: dict, body: str) -> dict:
    """A POST to one object of a workspace with a JSON body."""
    return {"post": _operation(operation_id, summary,
                               _responses(ok, "401", "403", "404", *_WITH_BODY),
                               body=body, path_id=True)}


def _or_blank(schema: dict) -> dict:
    # A query parameter sent empty (`?channel=`, as an HTML form sends "all") is not given.
    return {"anyOf": [schema, {"const": ""}]}


def _with_links(response: dict, links: dict) -> dict:
    """OpenAPI links: which later calls take their ids from this answer (the fuzzer follows
    them to reach real cases instead of random ids)."""
    return {**response, "links": links}


def _links_of_a_new_message() -> dict:
    case = {"parameters": {"id": "$response.body#/case_id"}}
    return {
        **{name: {"operationId": operation, **case} for name, operation in (
            ("GetCase", "getCase"), ("ClaimCase", "claimCase"), ("ReleaseCase", "releaseCase"),
            ("TakeOverCase", "takeOverCase"), ("ReplyToCase", "replyToCase"),
            ("SetCaseStatus", "setCaseStatus"), ("SetCaseKind", "setCaseKind"),
            ("AddCaseNote", "addCaseNote"), ("CorrectCaseTriage", "correctCaseTriage"),
            ("ReferCase", "referCase"))},
        "HideMessage": {"operationId": "hideMessage",
                        "parameters": {"id": "$response.body#/message_id"}},
    }


def _paths() -> dict:
    case_state = _json(_ref("CaseState"), "The case's state now")
    claimed = _with_links(case_state, {"ReplyAsHolder": {
        "operationId": "replyToCase", "parameters": {"id": "$request.path.id"},
        "requestBody": {"text": "Terima kasih, laporan Anda kami terima dan kami teruskan.",
                        "idempotency_key": "$response.body#/claim_expires_at",
                        "base_version": "$response.body#/version"}}})
    stored = _links_of_a_new_message()
    return {
        "/health": {"get": _operation(
            "health", "Liveness", {"200": _json(_ref("Health"), "Up")}, security=[])},
        "/openapi.json": {"get": _operation(
            "openapi", "This document", {"200": _json(_ref("OpenApi"), "The document")},
            security=[])},
        "/inbound": {"post": _operation(
            "postInbound", "Accept one citizen message (stored once per channel and external id); "
            "an admin's or an integration account's token only, others get 403",
            _responses({"201": _with_links(_json(_ref("InboundResult"), "Stored"), stored),
                        "200": _with_links(_json(_ref("InboundResult"), "Already stored"),
                                           stored)},
                       "401", "403", "404", *_WITH_BODY),
            body="Inbound")},
        "/cases": {"get": _operation(
            "listCases", "Cases, newest citizen message first; `q` searches them",
            _responses({"200": _json(_ref("CasePage"), "A page")}, "401", "403", "422"),
            parameters=[
                {"name": "status", "in": "query", "description": "open (default), all, or one "
                 "status", "schema": {"enum": ["", "open", "all", *CaseStatus.values]}},
                {"name": "claimed", "in": "query", "description": "held by someone, by nobody, "
                 "or by me", "schema": {"enum": ["", "true", "false", "me", "1", "0", "yes",
                                                 "no"]}},
                {"name": "channel", "in": "query", "schema": _or_blank(OBJECT_ID)},
                {"name": "kind", "in": "query", "schema": {"enum": ["", *CaseKind.values]}},
                {"name": "topic", "in": "query",
                 "schema": {"enum": ["", *language.TOPICS]}},
                {"name": "intent", "in": "query",
                 "schema": {"enum": ["", *language.INTENTS]}},
                {"name": "kasar", "in": "query",
                 "schema": {"enum": ["", "true", "false", "1", "0", "yes", "no"]}},
                {"name": "q", "in": "query", "description": (
                    "search words: every word (a prefix) must occur in the case's messages, "
                    "notes, contact name or handle; a tracking number finds its case. Spellings "
                    "are read as the language engine reads them (gak = tidak), without case or "
                    "accents. With q the status filter defaults to all"),
                 "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS}},
                {"name": "limit", "in": "query", "description": "at most 200 are returned",
                 "schema": _or_blank({"type": "integer", "minimum": 1, "maximum": MAX_ID})},
                {"name": "cursor", "in": "query", "description": "from the previous page's "
                 "`next`", "schema": _or_blank({"type": "string", "pattern": CURSOR_PATTERN})},
            ])},
        "/cases/{id}": {"get": _operation(
            "getCase", "One case with its thread",
            _responses({"200": _json(_ref("CaseDetail"), "The case")}, "401", "403", "404"),
            path_id=True)},
        "/cases/{id}/claim": {"post": _operation(
            "claimCase", "Claim (or renew your lease)",
            _responses({"200": claimed}, "401", "403", "404", "409", "413",
                       conflicts=("Claimed", "CaseClosed")),
            path_id=True)},
        "/cases/{id}/release": {"post": _operation(
            "releaseCase", "Release your claim (releasing an unheld case changes nothing)",
            _responses({"200": case_state}, "401", "403", "404", "409", "413",
                       conflicts=("NotHolder",)),
            path_id=True)},
        "/cases/{id}/takeover": {"post": _operation(
            "takeOverCase", "Supervisor: take the case over (audited with the reason; the "
            "operator who held it is told live)",
            _responses({"200": claimed}, "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("CaseClosed",)),
            body="TakeOver", path_id=True, optional_body=True)},
        "/cases/{id}/replies": {"post": _operation(
            "replyToCase", "Send a reply as the holder",
            _responses({"201": _json(_ref("ReplyResult"), "Sent"),
                        "200": _json(_ref("ReplyResult"), "Sent before with this idempotency "
                                     "key: that reply, no new message")},
                       "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("CaseClosed", "HandedOver", "NotHolder", "StaleVersion",
                                  "AlreadyAnswered"),
                       invalid=("Invalid", "ToneRefused")),
            body="Reply", path_id=True)},
        "/cases/{id}/status": _edit(
            "setCaseStatus", "Move the status (closing or reopening as new releases the claim)",
            {"200": case_state}, "Status"),
        "/cases/{id}/kind": _edit("setCaseKind", "Set the kind",
                                  {"200": _json(_ref("KindResult"), "Set")}, "Kind"),
        "/cases/{id}/notes": _edit("addCaseNote", "Add an internal note",
                                   {"201": _json(_ref("NoteResult"), "Added")}, "Note"),
        "/cases/{id}/triage": _edit(
            "correctCaseTriage", "Confirm or correct topic and intent (kept as training data)",
            {"200": _json(_ref("TriageResult"), "Saved")}, "Triage"),
        "/cases/{id}/handover": {"post": _operation(
            "handOverCase", "Hand the case to a colleague with a note (the holder, or a "
            "supervisor for a case nobody holds); audited. It shows as \"untukmu\" to them; "
            "the claim stays the only way to hold a case",
            _responses({"200": _json(_ref("HandOverResult"), "Handed over")}, "401", "403",
                       "404", "409", *_WITH_BODY, conflicts=("Claimed", "CaseClosed")),
            body="HandOver", path_id=True)},
        "/roster/now": {"get": _operation(
            "rosterNow", "Who is on duty and who is on call now",
            _responses({"200": _json(_ref("RosterNow"), "Now")}, "401", "403", "404", "422"),
            parameters=[{"name": "workspace", "in": "query", "description": "the workspace's "
                         "slug; may be left out by a member of one workspace",
                         "schema": {"type": "string"}}])},
        "/messages/{id}/hide": _edit(
            "hideMessage", "Hide or show a citizen's Facebook/Instagram comment on the platform "
            "(operators and above; audited; the platform is called after commit)",
            {"202": _json(_ref("Moderation"), "Requested; `state` tells how far the platform "
                          "call got")}, "Hide"),
        "/bodies": {"get": _operation(
            "listBodies", "The directory of responsible bodies of your workspaces (active ones)",
            _responses({"200": _json(_ref("BodyList"), "The bodies")}, "401", "403"))},
        "/cases/{id}/referrals": {"post": _operation(
            "referCase", "Refer the case to a responsible body (the holder or a supervisor; "
            "audited); optionally tell the citizen in the same step",
            _responses({"201": _json(_ref("ReferralResult"), "Referred"),
                        "200": _json(_ref("ReferralResult"), "Referred before with this "
                                     "idempotency key: that referral, nothing new")},
                       "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("AlreadyReferred", "CaseClosed", "NotHolder", "NeedsApproval"),
                       invalid=("Invalid", "ToneRefused")),
            body="Referral", path_id=True)},
        "/cases/{id}/conversation/hand-over": {"post": _operation(
            "handOverConversation", "Hand the conversation with the citizen over to the desk of "
            "the body the case is referred to (the holder or a supervisor; audited)",
            _responses({"200": _json(_ref("Speaking"), "Handed over")},
                       "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("CaseClosed", "NotHolder", "HandedOver", "StaleVersion",
                                  "NoLinkedDesk")),
            body="ConversationHandOver", path_id=True)},
        "/cases/{id}/conversation/take-back": {"post": _operation(
            "takeBackConversation", "Take the conversation with the citizen back from the "
            "linked desk (the holder or a supervisor; audited)",
            _responses({"200": _json(_ref("Speaking"), "Taken back")},
                       "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("NotHandedOver", "NotHolder")),
            body="TakeBack", path_id=True, optional_body=True)},
        "/cases/{id}/linked-conversation": {
            "get": _operation(
                "getLinkedConversation", "On a case a referral opened in the body's own desk, "
                "while the conversation is handed over to it: the citizen's conversation",
                _responses({"200": _json(_ref("LinkedConversation"), "The conversation")},
                           "401", "403", "404", "409", conflicts=("NotHandedOver",)),
                path_id=True),
            "post": _operation(
                "replyFromLinkedCase", "Reply to the citizen on the referring desk's channel, "
                "as the holder of the linked case, while the conversation is handed over",
                _responses({"201": _json(_ref("LinkedReplyResult"), "Sent"),
                            "200": _json(_ref("LinkedReplyResult"), "Sent before with this "
                                         "idempotency key: that reply, no new message")},
                           "401", "403", "404", "409", *_WITH_BODY,
                           conflicts=("NotHandedOver", "NotHolder", "CaseClosed"),
                           invalid=("Invalid", "ToneRefused")),
                body="LinkedReply", path_id=True)},
        "/cases/{id}/referrals/close": {"post": _operation(
            "closeReferredCase", "Send the closing reply (what the body did) and mark the case "
            "done: both or neither",
            _responses({"201": _json(_ref("CloseResult"), "Sent and closed"),
                        "200": _json(_ref("CloseResult"), "Sent before with this idempotency "
                                     "key: that reply, nothing new")},
                       "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("CaseClosed", "NotHolder", "StaleVersion", "NeedsApproval"),
                       invalid=("Invalid", "ToneRefused")),
            body="CloseReferred", path_id=True)},
        "/incidents": {"post": _operation(
            "createIncident", "Gather open cases about one matter into an incident (supervisors, "
            "or operators for cases they hold or nobody holds)",
            _responses({"201": _with_links(_json(_ref("IncidentCreated"), "Created"), {
                "AnnounceIncident": {"operationId": "announceIncident",
                                     "parameters": {"id": "$response.body#/id"}},
                "ResolveIncident": {"operationId": "resolveIncident",
                                    "parameters": {"id": "$response.body#/id"}}})},
                       "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("MemberClaimed", "MemberClosed", "InIncident")),
            body="NewIncident")},
        "/incidents/{id}/replies": {"post": _operation(
            "announceIncident", "Reply to the incident: each member case gets its own copy, "
            "exactly once per case",
            _responses({"201": _json(_ref("AnnounceResult"), "Announced"),
                        "200": _json(_ref("AnnounceResult"), "Announced before with this "
                                     "idempotency key: that result, nothing sent again")},
                       "401", "403", "404", "409", *_WITH_BODY,
                       conflicts=("AlreadyAnnounced",)),
            body="Announcement", path_id=True)},
        "/incidents/{id}/resolve": {"post": _operation(
            "resolveIncident", "Resolve the incident: every member case hears it (once) and is "
            "marked done",
            _responses({"201": _json(_ref("AnnounceResult"), "Resolved"),
                        "200": _json(_ref("AnnounceResult"), "Resolved before with this "
                                     "idempotency key")},
                       "401", "403", "404", *_WITH_BODY),
            body="Resolution", path_id=True)},
        "/tone": {"post": _operation(
            "checkTone", "Check a draft reply's tone (the same guard runs at send time)",
            _responses({"200": _json(_ref("ToneResult"), "The verdict")}, "401", "403", "404",
                       *_WITH_BODY),
            body="Draft")},
        "/classify": {"post": _operation(
            "classifyText", "Triage a text: intent, topic, kasar, confidence, reasons",
            _responses({"200": _json(_ref("Reading"), "The triage")}, "401", "403",
                       *_WITH_BODY),
            body="Text")},
    }


@cache
def openapi_document() -> dict:
    from tanggap.api import openapi_operations

    paths = _paths()
    openapi_operations.add_held_reply(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tanggap REST API",
            "version": "1",
            "description": (
                "Errors are JSON objects {\"error\": code, \"message\": text in the reader's "
                "language} with the extra fields their code names. Any other path under "
                "/api/v1/ answers 404 and any other method 405, in the same shape."),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {**_schemas(), **openapi_operations.schemas()},
        },
        "paths": {**paths, **openapi_operations.paths()},
    }
