"""REST v1: thin views. Each validates input, reaches rows through an accessor, calls one action
and serialises; the rules live in the actions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from tanggap.api.framework import (
    api_view,
    body_too_large,
    desk_error_response,
    error_response,
    json_body,
)
from tanggap.api.openapi import openapi_document
from tanggap.api.serializers import (
    SUMMARY_VALUES,
    SummaryRow,
    case_detail,
    case_state,
    case_summary,
    message_json,
    moderation_json,
)
from tanggap.cases import actions, queries
from tanggap.cases import language as desk_language
from tanggap.cases.access import access_case
from tanggap.cases.cleaning import clean_text, parse_id, parse_int_param
from tanggap.conf import compiled
from tanggap.connectors.access import access_inbound_channel
from tanggap.connectors.actions.moderation import hide_comment
from tanggap.errors import InvalidInput, NotFound, NotHandedOver
from tanggap.referrals import actions as referral_actions
from tanggap.referrals import incidents as incident_actions
from tanggap.referrals import queries as referral_queries
from tanggap.referrals.access import access_body, access_incident
from tanggap.referrals.suggest import suggest_body
from tanggap.referrals.tasks import liaison_url
from tanggap.roster import queries as roster_queries
from tanggap.roster.access import access_roster
from tanggap.roster.actions import assignment
from tanggap.sla import queries as sla_queries
from tanggap.workspaces.access import access_membership, memberships_of, workspace_ids_of
from tanggap.workspaces.models import Workspace

# The most cases one page returns, whatever `limit` asks for.
MAX_PAGE = 200


@api_view(("GET",), public=True)
def health(request):
    return JsonResponse({"status": "ok"})


@api_view(("GET",), public=True)
def openapi(request):
    return JsonResponse(openapi_document())


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    """The site's handler400: a SuspiciousOperation (an oversize form body, a bad Host header)
    on an API path answers in the API's JSON, elsewhere with Django's page."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return desk_error_response(body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    return error_response(400, "bad_request", _("The request could not be processed."))


def server_error(request):
    """The site's handler500: JSON on API paths (clients parse every answer), Django's page
    elsewhere. Nothing about the failure is told; it is in the server's log."""
    if not _is_api(request):
        return defaults.server_error(request)
    return error_response(500, "server_error", _("Something went wrong on the server."))


@csrf_exempt
def not_found(request, rest=""):
    """Every other path under /api/v1/, whatever the method: JSON like the API's other errors."""
    return desk_error_response(NotFound(_("No such API endpoint.")))


def _require(body: dict, *names: str) -> None:
    missing = [name for name in names if name not in body]
    if missing:
        raise InvalidInput(_("Missing field(s): %(fields)s.") % {"fields": ", ".join(missing)},
                           fields=missing)


@api_view(("POST",), inbound=True)
def inbound(request):
    fields = inbound_fields(json_body(request))
    channel, _membership = access_inbound_channel(request.api_user, fields.channel_id,
                                                  grant=getattr(request, "inbound_grant", None))
    return inbound_answer(store_inbound(fields, channel=channel, user=request.api_user,
                                        now=request.now))


@dataclass(frozen=True)
class InboundFields:
    channel_id: int
    external_id: str
    author_id: str
    author_name: str
    text: object  # the action says what a text must be
    thread_id: str


def inbound_fields(body: dict) -> InboundFields:
    """The fields of a POST /api/v1/inbound body, or InvalidInput saying what is wrong; for the
    view and for its fast path in the ASGI server (api/intake.py), so both refuse alike."""
    _require(body, "channel_id", "external_id", "author", "text")
    author = body["author"]
    if not isinstance(author, dict):
        raise InvalidInput(_("'author' must be an object with 'id' and 'name'."), field="author")
    _require(author, "id")
    name = author.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidInput(_("'%(field)s' must be a string.") % {"field": "author.name"},
                           field="author.name")
    return InboundFields(
        channel_id=parse_id(body["channel_id"], field="channel_id"),
        external_id=_as_id(body["external_id"], "external_id"),
        author_id=_as_id(author["id"], "author.id"),
        author_name=name or "",
        text=body["text"],
        thread_id=_as_id(body.get("thread_id"), "thread_id", allow_empty=True),
    )


def store_inbound(fields: InboundFields, *, channel, user, now) -> actions.InboundResult:
    return actions.ingest_inbound(
        channel=channel, external_id=fields.external_id, author_id=fields.author_id,
        author_name=fields.author_name, text=fields.text, thread_id=fields.thread_id, now=now,
        actor=user,
    )


INBOUND_CONTENT_TYPE = "application/json"


def inbound_answer_body(result: actions.InboundResult) -> tuple[int, bytes]:
    """The inbound's status and JSON body, as JsonResponse would spell them (its values are
    ints, an ASCII tracking number and a bool: the standard encoder writes them as Django's
    does). The fast path (api/intake.py) sends these bytes without building a response."""
    body = json.dumps({
        "case_id": result.case.pk,
        "tracking_number": result.case.tracking_number,
        "message_id": result.message.pk,
        "created": result.created,
    })
    return (201 if result.created else 200), body.encode()


def inbound_answer(result: actions.InboundResult) -> HttpResponse:
    status, body = inbound_answer_body(result)
    return HttpResponse(body, status=status, content_type=INBOUND_CONTENT_TYPE)


def _as_id(value, name: str, *, allow_empty: bool = False) -> str:
    # Platform ids arrive as strings or numbers; both are kept as their decimal/string form.
    if allow_empty and value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(_("'%(field)s' must be a string or an integer.") % {"field": name},
                           field=name)
    value = str(value)
    if not value and not allow_empty:
        raise InvalidInput(_("'%(field)s' must not be empty.") % {"field": name}, field=name)
    return value


@api_view(("GET",))
def case_list(request):
    params = request.GET
    found = queries.inbox_filter(
        workspace_ids=workspace_ids_of(request.api_user),
        now=request.now,
        user=request.api_user,
        status=params.get("status"),
        claimed=params.get("claimed"),
        channel=params.get("channel"),
        kind=params.get("kind"),
        topic=params.get("topic"),
        intent=params.get("intent"),
        kasar=params.get("kasar"),
        q=params.get("q"),
    )
    limit = parse_int_param(params.get("limit"), field="limit", minimum=1)
    limit = min(limit or settings.TANGGAP_API_PAGE_SIZE, MAX_PAGE)
    # No join to the workspace: on SQLite it makes the planner scan workspaces first and sort
    # every open case (257 ms at 100k cases instead of 3 ms); the slugs come from a small map.
    page = [SummaryRow(values) for values in queries.inbox_rows(
        found, SUMMARY_VALUES, limit + 1, key="api.cases", cursor=params.get("cursor"))]
    ids = sorted({c.workspace_id for c in page})
    slugs = dict(compiled.rows(
        "api.case_list.slugs",
        lambda values: Workspace.objects.filter(pk__in=values["ids"]).values_list("pk", "slug"),
        {"ids": ids})) if ids else {}
    next_url = None
    if len(page) > limit:
        page = page[:limit]
        query = {k: v for k, v in params.items() if k != "cursor"}
        query["cursor"] = queries.cursor_of(page[-1])
        next_url = request.build_absolute_uri(reverse("api:cases") + "?" + urlencode(query))
    clocks = sla_queries.clocks_for(page, request.now)
    offers = roster_queries.open_offers(c.pk for c in page)
    return JsonResponse(
        {"results": [case_summary(c, request.now, slugs[c.workspace_id], sla=clocks.get(c.pk),
                                  assigned_to=_offered_to(offers.get(c.pk)))
                     for c in page],
         "next": next_url}
    )


def _offered_to(offer) -> str | None:
    return offer.user.username if offer is not None else None


@api_view(("GET",))
def case_view(request, case_id):
    case, _membership = access_case(request.api_user, case_id)
    detail = case_detail(
        case, queries.case_messages(case), request.now,
        sla=sla_queries.clocks_for([case], request.now).get(case.pk),
        assigned_to=_offered_to(roster_queries.open_offers([case.pk]).get(case.pk)))
    referrals = referral_queries.referrals_of_case(case.pk, now=request.now)
    open_referral = any(r.is_open for r in referrals)
    suggestion = None if open_referral or not case.is_open else suggest_body(case)
    detail["suggested_body"] = suggestion.as_dict() if suggestion else None
    detail["referrals"] = [referral_queries.referral_json(r) for r in referrals]
    return JsonResponse(detail)


# ---------------------------------------------------------------------------------------------
# Referrals (tanggap.referrals; docs/referrals.md)


@api_view(("GET",))
def bodies(request):
    return JsonResponse({"results": [
        referral_queries.body_json(b)
        for b in referral_queries.bodies_of_workspaces(workspace_ids_of(request.api_user))]})


@api_view(("POST",))
def referrals(request, case_id):
    body = json_body(request)
    _require(body, "body_id")
    body_id = parse_id(body["body_id"], field="body_id")
    case, membership = access_case(request.api_user, case_id, write=True, load=False)
    target = access_body(request.api_user, body_id, workspace_id=case.workspace_id)
    result = referral_actions.refer_case(
        case_id=case.pk, body_id=target.pk, actor=request.api_user, membership=membership,
        note=body.get("note"), idempotency_key=body.get("idempotency_key"),
        citizen_reply=body.get("citizen_reply"), confirm_tone=body.get("confirm_tone", False),
        now=request.now)
    referral = result.referral
    return JsonResponse({"id": referral.pk, "status": referral.status,
                         "liaison_url": liaison_url(referral)},
                        status=201 if result.created else 200)


def _speaking(case) -> dict:
    desk = case.speaking_workspace
    return {"speaking_desk": {"workspace": desk.slug, "name": desk.name} if desk else None,
            "version": case.version}


@api_view(("POST",))
def conversation_hand_over(request, case_id):
    """Hand the conversation with the citizen over to the desk of the body the case is
    referred to."""
    body = json_body(request)
    _require(body, "note", "base_version")
    case, membership = access_case(request.api_user, case_id, write=True, load=False)
    case = referral_actions.hand_over_conversation(
        case_id=case.pk, actor=request.api_user, membership=membership, note=body["note"],
        base_version=body["base_version"], now=request.now)
    return JsonResponse(_speaking(case))


@api_view(("POST",))
def conversation_take_back(request, case_id):
    body = json_body(request) if request.body else {}  # the note is optional
    case, membership = access_case(request.api_user, case_id, write=True, load=False)
    case = referral_actions.take_back_conversation(
        case_id=case.pk, actor=request.api_user, membership=membership, note=body.get("note"),
        now=request.now)
    return JsonResponse(_speaking(case))


def _conversation_message(message) -> dict:
    return {"id": message.pk, "direction": message.direction, "text": message.text,
            "author": message.author_name, "created_at": message.created_at.isoformat(),
            "delivery_status": message.delivery_status}


@api_view(("GET", "POST"))
def linked_conversation(request, case_id):
    """On a linked case whose desk speaks for the referring desk: GET the citizen's
    conversation; POST a reply to the citizen (holder of the linked case)."""
    post = request.method == "POST"
    body = json_body(request) if post else {}
    if post:
        _require(body, "text", "idempotency_key")
    case, _membership = access_case(request.api_user, case_id, write=post)
    if post:
        result = referral_actions.reply_from_linked_case(
            linked_case_id=case.pk, actor=request.api_user, text=body["text"],
            idempotency_key=body["idempotency_key"],
            confirm_tone=body.get("confirm_tone", False), now=request.now)
        return JsonResponse({"message": _conversation_message(result.message)},
                            status=201 if result.created else 200)
    found = referral_queries.handed_over_conversation(case)
    if found is None:
        raise NotHandedOver()
    referral, messages = found
    return JsonResponse({"from_desk": referral.workspace.name,
                         "tracking_number": referral.case.tracking_number,
                         "messages": [_conversation_message(m) for m in messages]})


@api_view(("POST",))
def referral_close(request, case_id):
    """Send the closing reply (the body's result, as the citizen should hear it) and close."""
    body = json_body(request)
    _require(body, "text", "idempotency_key", "base_version")
    case, _membership = access_case(request.api_user, case_id, write=True, load=False)
    result = referral_actions.close_referred_case(
        case_id=case.pk, actor=request.api_user, text=body["text"],
        idempotency_key=body["idempotency_key"], base_version=body["base_version"],
        confirm_tone=body.get("confirm_tone", False), now=request.now)
    result.case.refresh_from_db()
    return JsonResponse({"message": message_json(result.message), "status": result.case.status,
                         "version": result.case.version},
                        status=201 if result.created else 200)


def _incident_json(result) -> dict:
    return {"sent": result.sent, "skipped": result.skipped}


@api_view(("POST",))
def incidents(request):
    body = json_body(request)
    _require(body, "case_ids", "title")
    case_ids = incident_actions.parse_case_ids(body["case_ids"])
    # The incident belongs to the first case's workspace; a case of any other is NotFound.
    first, _m = access_case(request.api_user, case_ids[0], load=False)
    membership = access_membership(request.api_user, first.workspace_id, write=True)
    incident = incident_actions.create_incident(
        workspace_id=first.workspace_id, case_ids=case_ids, title=body["title"],
        actor=request.api_user, membership=membership, now=request.now)
    return JsonResponse({"id": incident.pk}, status=201)


@api_view(("POST",))
def incident_replies(request, incident_id):
    body = json_body(request)
    _require(body, "text", "idempotency_key")
    incident, membership = access_incident(request.api_user, incident_id, write=True)
    result = incident_actions.announce(
        incident_id=incident.pk, text=body["text"], idempotency_key=body["idempotency_key"],
        actor=request.api_user, membership=membership, now=request.now,
        override=body.get("override", False))
    return JsonResponse(_incident_json(result), status=201 if result.created else 200)


@api_view(("POST",))
def incident_resolve(request, incident_id):
    body = json_body(request)
    _require(body, "text", "idempotency_key")
    incident, membership = access_incident(request.api_user, incident_id, write=True)
    result = incident_actions.resolve_incident(
        incident_id=incident.pk, text=body["text"], idempotency_key=body["idempotency_key"],
        actor=request.api_user, membership=membership, now=request.now)
    return JsonResponse(_incident_json(result), status=201 if result.created else 200)


# ---------------------------------------------------------------------------------------------
# Roster, assignment (tanggap.roster; docs/operations.md)


@api_view(("POST",))
def hand_over(request, case_id):
    """Hand the case to a colleague with a note (fair assignment's "untukmu")."""
    body = json_body(request)
    _require(body, "to")
    case, membership = access_case(request.api_user, case_id, write=True, load=False)
    offer = assignment.hand_over(case_id=case.pk, actor=request.api_user,
                                 membership=membership, to_username=body["to"],
                                 note=body.get("note", ""), now=request.now)
    return JsonResponse({"assigned_to": offer.user.username, "note": offer.note})


@api_view(("GET",))
def roster_now(request):
    """Who is at the desk and who is on call now, in the workspace named by `workspace` (the
    user's only workspace when they have one)."""
    slug = request.GET.get("workspace")
    if not slug:
        slugs = [m.workspace.slug for m in memberships_of(request.api_user)]
        if len(slugs) != 1:
            raise InvalidInput(_("Name the workspace: ?workspace=SLUG."), field="workspace")
        slug = slugs[0]
    membership = access_roster(request.api_user, slug)
    now_on = roster_queries.on_duty(membership.workspace, request.now)
    return JsonResponse({"workspace": slug,
                         "on_duty": [u.username for u in now_on.desk],
                         "on_call": [u.username for u in now_on.on_call],
                         "rostered": now_on.rostered})


@api_view(("POST",))
def claim(request, case_id):
    return claim_answer(request.api_user, case_id, now=request.now)


def claim_answer(user, case_id, *, now) -> JsonResponse:
    """The claim view's work once the caller is known; the ASGI server's fast path
    (api/fastclaim.py) runs it too."""
    case, membership = access_case(user, case_id, write=True, load=False)
    # The access check read the workspace with the membership: the claim takes its lease from it.
    case = actions.claim_case(case_id=case.pk, actor=user, now=now,
                              workspace=membership.workspace)
    return JsonResponse(case_state(case))


@api_view(("POST",))
def release(request, case_id):
    case, _membership = access_case(request.api_user, case_id, write=True, load=False)
    case = actions.release_case(case_id=case.pk, actor=request.api_user, now=request.now)
    return JsonResponse(case_state(case))


@api_view(("POST",))
def take_over(request, case_id):
    body = json_body(request) if request.body else {}  # the reason is optional
    case, membership = access_case(request.api_user, case_id, write=True, load=False)
    case = actions.take_over_case(
        case_id=case.pk, actor=request.api_user, membership=membership,
        reason=body.get("reason", ""), now=request.now,
    )
    return JsonResponse(case_state(case))


@api_view(("POST",))
def replies(request, case_id):
    body = json_body(request)
    _require(body, "text", "idempotency_key", "base_version")
    case, _membership = access_case(request.api_user, case_id, write=True, load=False)
    result = actions.send_reply(
        case_id=case.pk,
        actor=request.api_user,
        text=body["text"],
        idempotency_key=body["idempotency_key"],
        base_version=body["base_version"],
        override=body.get("override", False),
        confirm_tone=body.get("confirm_tone", False),
        now=request.now,
    )
    if result.held is not None:
        # Nothing was sent: a supervisor approves it first (tanggap.approvals).
        return JsonResponse({"approval_id": result.held.approval_id,
                             "status": result.held.status}, status=202)
    return JsonResponse(
        {"message": message_json(result.message), "version": result.case.version,
         "status": result.case.status, "created": result.created},
        status=201 if result.created else 200,
    )


@api_view(("POST",))
def status(request, case_id):
    body = json_body(request)
    _require(body, "status")
    case, _membership = access_case(request.api_user, case_id, write=True, load=False)
    case = actions.set_case_status(
        case_id=case.pk, actor=request.api_user, status=body["status"], now=request.now
    )
    return JsonResponse(case_state(case))


@api_view(("POST",))
def kind(request, case_id):
    body = json_body(request)
    _require(body, "kind")
    case, _membership = access_case(request.api_user, case_id, write=True, load=False)
    case = actions.set_case_kind(
        case_id=case.pk, actor=request.api_user, kind=body["kind"], now=request.now
    )
    return JsonResponse({"kind": case.kind, "version": case.version})


@api_view(("POST",))
def notes(request, case_id):
    body = json_body(request)
    _require(body, "text")
    case, _membership = access_case(request.api_user, case_id, write=True, load=False)
    note = actions.add_note(case_id=case.pk, actor=request.api_user, text=body["text"],
                            now=request.now)
    return JsonResponse({"id": note.pk, "text": note.text}, status=201)


@api_view(("POST",))
def triage(request, case_id):
    body = json_body(request)
    case, _membership = access_case(request.api_user, case_id, write=True, load=False)
    case = actions.correct_triage(
        case_id=case.pk, actor=request.api_user, topic=body.get("topic"),
        intent=body.get("intent"), now=request.now,
    )
    return JsonResponse({"topic": case.topic, "intent": case.intent, "confirmed": True,
                         "version": case.version})


@api_view(("POST",))
def tone(request):
    """Check a draft reply as the operator types; the same guard runs again at send time."""
    body = json_body(request)
    _require(body, "text")
    text = body["text"]
    # A draft as typed, untrimmed: the findings' offsets point into it.
    if not isinstance(text, str):
        raise InvalidInput(_("'%(field)s' must be a string.") % {"field": "text"}, field="text")
    if len(text) > settings.TANGGAP_MAX_MESSAGE_CHARS:
        raise InvalidInput(_("'%(field)s' is longer than %(limit)d characters.")
                           % {"field": "text", "limit": settings.TANGGAP_MAX_MESSAGE_CHARS},
                           field="text")
    inbound_kind = None
    if body.get("case_id") is not None:
        case_id = parse_id(body["case_id"], field="case_id")
        case, _membership = access_case(request.api_user, case_id)
        inbound_kind = case.intent or case.kind
    result = desk_language.tone(text, inbound_kind=inbound_kind)
    return JsonResponse(desk_language.tone_json(result))


@api_view(("POST",))
def classify(request):
    body = json_body(request)
    _require(body, "text")
    text = clean_text(body["text"])
    return JsonResponse(desk_language.triage(text))


@api_view(("POST",))
def message_hide(request, message_id):
    """Hide (or show again) a citizen's comment on its platform."""
    body = json_body(request)
    _require(body, "hidden")
    record = hide_comment(message_id=message_id, actor=request.api_user, hidden=body["hidden"],
                          now=request.now)
    # 202: the platform is asked after commit; `state` tells how far it got.
    return JsonResponse(moderation_json(record), status=202)
