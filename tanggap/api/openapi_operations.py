"""The OpenAPI part of the desk's operations (reply templates, approvals): merged into the
document by tanggap/api/openapi.py, held to the same strict rules (every response field
required, no other field allowed)."""

from __future__ import annotations

from tanggap import language
from tanggap.api import openapi as base
from tanggap.approvals.models import ApprovalStatus, HoldReason
from tanggap.cases.holds import HELD
from tanggap.replytemplates.actions import MAX_NAME_CHARS, MAX_TEMPLATE_CHARS

STRING, BOOLEAN, OBJECT_ID = base.STRING, base.BOOLEAN, base.OBJECT_ID
_object, _ref, _json, _nullable = base._object, base._ref, base._json, base._nullable


def schemas() -> dict:
    topics = {"type": "array", "items": {"enum": list(language.TOPICS)}}
    intents = {"type": "array", "items": {"enum": list(language.INTENTS)}}
    template = {"id": OBJECT_ID, "name": STRING, "text": STRING, "topics": topics,
                "intents": intents}
    text = {"type": "string", "minLength": 1, "maxLength": MAX_TEMPLATE_CHARS,
            "description": "fields in braces: {nama}, {nomor_laporan}, {kanal}, {operator}, and "
                           "{instansi} where referrals are installed; an unknown field is "
                           "refused"}
    return {
        "Template": _object({**template, "workspace": {"type": "string", "description":
                                                      "the workspace's slug"}}),
        "TemplatePage": _object({"results": {"type": "array", "items": _ref("Template")}}),
        "TemplateDeleted": _object({"id": OBJECT_ID, "deleted": {"const": True}}),
        "CaseTemplatePage": _object({"results": {"type": "array", "items": _object({
            **template,
            "text": _nullable({"type": "string", "description": "filled in for this case; "
                               "null when the case has no value for a field (`missing`)"}),
            "template": STRING, "suggested": BOOLEAN,
            "missing": {"type": "array", "items": STRING}})}}),
        "TemplateNew": {"type": "object", "required": ["name", "text"], "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
            # null is read as absent, as the code does: no topics, no intents, your only workspace.
            "text": text, "topics": _nullable(topics), "intents": _nullable(intents),
            "workspace": {**_nullable({"type": "string"}), "description": "needed by members "
                          "of several workspaces"},
            "confirm_tone": {"type": "boolean", "description": "save a text whose tone "
                             "verdict is warn (audited)"}}},
        # A field that is absent or null stays as it is.
        "TemplateEdit": {"type": "object", "properties": {
            "name": _nullable({"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS}),
            "text": _nullable(text), "topics": _nullable(topics), "intents": _nullable(intents),
            "confirm_tone": {"type": "boolean"}}},
        "TemplateConflict": base._error(("conflict",), "A template of that name exists"),
        "Held": _object({"approval_id": OBJECT_ID, "status": {"const": HELD}},
                        description="The reply waits for a supervisor's approval; nothing "
                                    "was sent"),
        "Approval": _object({
            "id": OBJECT_ID, "case_id": OBJECT_ID, "tracking_number": STRING, "text": STRING,
            "requested_by": STRING, "reason": {"enum": HoldReason.values},
            "verdict": {"enum": ["ok", "warn"]}, "findings": {"type": "array", "items": STRING},
            "status": {"enum": ApprovalStatus.values}, "created_at": base.TIME,
            "decided_by": _nullable(STRING), "decided_at": _nullable(base.TIME),
            "note": STRING, "message_id": _nullable(OBJECT_ID)}),
        "ApprovalPage": _object({"results": {"type": "array", "items": _ref("Approval")}}),
        "AlreadyDecided": base._error(("already_decided",), "Another supervisor decided it "
                                      "first; nothing changed",
                                      decision={"enum": ApprovalStatus.values}),
        "Approve": {"type": "object", "properties": {"text": {
            "type": "string", "minLength": 1, "description": "the supervisor's edit; sent "
            "instead of the operator's words (checked by the tone guard again)"}}},
        "Person": _object({"id": OBJECT_ID, "linked": {"type": "array", "items": _object({
            "id": OBJECT_ID, "platform": STRING, "name": STRING})}},
            description="A contact and the other accounts of the same citizen"),
        "Link": {"type": "object", "properties": {
            "contact_id": OBJECT_ID,
            "tracking_number": {"type": "string", "description": "or: the contact of this "
                                "case of the desk"},
            "case_id": {**_nullable(OBJECT_ID), "description": "the case whose audit trail "
                        "records it; null or absent: audited with no case"}}},
        "Unlink": {"type": "object", "properties": {"case_id": {
            **_nullable(OBJECT_ID), "description": "the case whose audit trail records it; null "
            "or absent: audited with no case"}}},
        "Reject": {"type": "object", "properties": {"note": {
            "type": "string", "maxLength": 1000, "description": "why, for the operator"}}},
    }


def add_held_reply(paths: dict) -> None:
    """A reply the workspace holds for approval answers 202 (cases.holds)."""
    paths["/cases/{id}/replies"]["post"]["responses"]["202"] = _json(
        _ref("Held"), "Held for a supervisor's approval; nothing was sent")


def paths() -> dict:
    responses = base._responses
    tone_invalid = ("Invalid", "ToneRefused")
    return {
        "/templates": {
            "get": base._operation(
                "listTemplates", "The canned replies of your workspaces (`workspace` to pick "
                "one)", responses({"200": _json(_ref("TemplatePage"), "Templates")},
                                  "401", "403", "404"),
                parameters=[{"name": "workspace", "in": "query", "schema": STRING}]),
            "post": base._operation(
                "createTemplate", "Admins and supervisors: a new canned reply; its text passes "
                "the tone guard (blocked: 422 with the findings, nothing saved)",
                responses({"201": _json(_ref("Template"), "Saved")}, "401", "403", "404",
                          "409", *base._WITH_BODY, conflicts=("TemplateConflict",),
                          invalid=tone_invalid),
                body="TemplateNew"),
        },
        "/templates/{id}": {
            "patch": base._operation(
                "updateTemplate", "Admins and supervisors: change a canned reply (checked as "
                "when created)", responses({"200": _json(_ref("Template"), "Saved")},
                                           "401", "403", "404", "409", *base._WITH_BODY,
                                           conflicts=("TemplateConflict",),
                                           invalid=tone_invalid),
                body="TemplateEdit", path_id=True),
            "delete": base._operation(
                "deleteTemplate", "Admins and supervisors: remove a canned reply",
                responses({"200": _json(_ref("TemplateDeleted"), "Removed")},
                          "401", "403", "404", "413"),
                path_id=True),
        },
        "/approvals": {"get": base._operation(
            "listApprovals", "Replies held for approval in your workspaces (waiting ones by "
            "default, oldest first)",
            responses({"200": _json(_ref("ApprovalPage"), "Held replies")}, "401", "403",
                      "422"),
            parameters=[{"name": "status", "in": "query",
                         "schema": {"enum": ["", "all", *ApprovalStatus.values]}}])},
        "/approvals/{id}/approve": {"post": base._operation(
            "approveReply", "Supervisor: send the held reply (or `text`, an edit of it) "
            "through the desk's exactly-once path; 409 when another supervisor decided first "
            "or the case moved since the reply was written",
            responses({"200": _json(_ref("Approval"), "Sent")}, "401", "403", "404", "409",
                      *base._WITH_BODY,
                      conflicts=("AlreadyDecided", "StaleVersion", "NotHolder", "CaseClosed",
                                 "AlreadyAnswered", "HandedOver"),
                      invalid=tone_invalid),
            body="Approve", path_id=True, optional_body=True)},
        "/approvals/{id}/reject": {"post": base._operation(
            "rejectReply", "Supervisor: nothing is sent; the operator sees the note",
            responses({"200": _json(_ref("Approval"), "Rejected")}, "401", "403", "404",
                      "409", *base._WITH_BODY, conflicts=("AlreadyDecided",)),
            body="Reject", path_id=True, optional_body=True)},
        "/contacts/{id}/link": {"post": base._operation(
            "linkContact", "One citizen, several accounts: link this contact with another "
            "(`contact_id`, or the contact of the case `tracking_number`); audited",
            responses({"200": _json(_ref("Person"), "Linked")}, "401", "403", "404",
                      *base._WITH_BODY),
            body="Link", path_id=True)},
        "/contacts/{id}/unlink": {"post": base._operation(
            "unlinkContact", "The contact stands alone again; audited",
            responses({"200": _json(_ref("Person"), "Unlinked")}, "401", "403", "404",
                      *base._WITH_BODY),
            body="Unlink", path_id=True, optional_body=True)},
        "/cases/{id}/templates": {"get": base._operation(
            "caseTemplates", "The composer's canned replies for one case, filled in, those "
            "made for its topic and intent first",
            responses({"200": _json(_ref("CaseTemplatePage"), "Templates")}, "401", "403",
                      "404"),
            path_id=True)},
    }
