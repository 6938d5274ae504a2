"""GeoReport v2 at /open311/v2/ (docs/open311.md). Thin: find the jurisdiction, check the
api_key where the specification requires one, call open311.requests, answer in the asked format.

A jurisdiction is a workspace, `jurisdiction_id` its slug: required when the desk serves more
than one workspace, as the specification allows. Errors are the specification's list, with 404
for what does not exist, 403 for a missing or wrong api_key, 400 for the rest."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from tanggap.reports.open311 import requests, services
from tanggap.reports.open311.formats import Open311Error, error_response, respond
from tanggap.workspaces.models import ApiToken, Membership, Workspace, hash_token

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def _jurisdiction(params) -> Workspace:
    slug = (params.get("jurisdiction_id") or "").strip()
    if slug:
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise Open311Error(404, _("jurisdiction_id %(id)s was not found.") % {"id": slug})
        return workspace
    only = list(Workspace.objects.order_by("pk")[:2])
    if len(only) != 1:
        raise Open311Error(400, _("jurisdiction_id was not provided (this endpoint serves "
                                  "several jurisdictions)."))
    return only[0]


def _api_user(params, workspace: Workspace):
    raw = (params.get("api_key") or "").strip()
    if not raw:
        raise Open311Error(403, _("api_key was not provided."))
    token = (ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first())
    if token is None or not token.user.is_active:
        raise Open311Error(403, _("Invalid api_key received."))
    membership = Membership.objects.filter(user=token.user, workspace=workspace).first()
    # A posted request becomes a citizen's own words: only the roles that may put citizens'
    # messages into the desk (an integration account, an admin), as for POST /api/v1/inbound.
    if membership is None or not membership.can_post_inbound:
        raise Open311Error(403, _("This api_key may not create requests in this "
                                  "jurisdiction."))
    return token.user


def _handle(fmt: str, call) -> HttpResponse:
    try:
        return call()
    except Open311Error as error:
        return error_response(fmt, error)


def _method_not_allowed(fmt: str) -> HttpResponse:
    response = error_response(fmt, Open311Error(400, _("This method is not allowed here.")))
    response.status_code = 405
    return response


def discovery(request, fmt):
    if request.method != "GET":
        return _method_not_allowed(fmt)
    endpoint = request.build_absolute_uri("/open311/v2")
    return respond(fmt, "discovery", {
        "changeset": services.CHANGESET,
        "contact": str(_("Ask the city's complaint desk (its admins) for help.")),
        "key_service": str(_("An api_key is a Tanggap API token of an integration account: a "
                             "desk admin creates both (tanggap user add NAME --role "
                             "integration, then tanggap token create NAME).")),
        "endpoints": [{"specification": SPECIFICATION, "url": endpoint,
                       "changeset": services.CHANGESET, "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    })


def service_list(request, fmt):
    if request.method != "GET":
        return _method_not_allowed(fmt)

    def call():
        _jurisdiction(request.GET)
        return respond(fmt, "services", services.all_services())
    return _handle(fmt, call)


def service_definition(request, code, fmt):
    if request.method != "GET":
        return _method_not_allowed(fmt)

    def call():
        _jurisdiction(request.GET)
        if code not in services.GROUPS:
            raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": code})
        return respond(fmt, "service_definition", services.definition(code))
    return _handle(fmt, call)


@csrf_exempt
def service_requests(request, fmt):
    now = timezone.now()
    if request.method == "POST":
        def create():
            workspace = _jurisdiction(request.POST)
            user = _api_user(request.POST, workspace)
            posted = requests.post(workspace, user, request.POST, now=now)
            return respond(fmt, "service_requests", [{
                "service_request_id": posted.case.pk,
                "service_notice": requests.notice(posted, request)}])
        return _handle(fmt, create)
    if request.method != "GET":
        return _method_not_allowed(fmt)

    def read():
        workspace = _jurisdiction(request.GET)
        return respond(fmt, "service_requests", requests.find(workspace, request.GET, now=now))
    return _handle(fmt, read)


def service_request(request, request_id, fmt):
    if request.method != "GET":
        return _method_not_allowed(fmt)

    def read():
        workspace = _jurisdiction(request.GET)
        found = requests.find(workspace, {"service_request_id": str(request_id)},
                              now=timezone.now())
        if not found:
            raise Open311Error(404, _("service_request_id %(id)s was not found.")
                               % {"id": request_id})
        return respond(fmt, "service_requests", found)
    return _handle(fmt, read)
