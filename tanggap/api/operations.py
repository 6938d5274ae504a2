"""REST v1 for the desk's operations: reply templates and replies awaiting approval. Thin views
like the rest of the API (tanggap/api/views.py): validate, reach rows through an accessor, call
one action, serialise."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _

from tanggap.api.framework import api_view, json_body
from tanggap.approvals import actions as approval_actions
from tanggap.approvals import queries as approval_queries
from tanggap.approvals.access import access_approval
from tanggap.approvals.models import ApprovalStatus
from tanggap.cases import actions as desk_actions
from tanggap.cases.access import access_case, access_contact
from tanggap.cases.cleaning import parse_id
from tanggap.cases.models import Case, Contact
from tanggap.errors import InvalidInput
from tanggap.replytemplates import actions as template_actions
from tanggap.replytemplates.access import access_template
from tanggap.replytemplates.queries import offers_for, templates_of
from tanggap.workspaces.access import access_workspace, memberships_of, workspace_ids_of


def template_json(template) -> dict:
    return {"id": template.pk, "name": template.name, "text": template.text,
            "topics": list(template.topics), "intents": list(template.intents),
            "workspace": template.workspace.slug}


def _workspace_of(request, body) -> object:
    """The membership a new template belongs to: `workspace` (a slug) when given, else the
    user's only workspace."""
    slug = body.get("workspace")
    if slug is not None:
        if not isinstance(slug, str):
            raise InvalidInput(_("'%(field)s' must be a string.") % {"field": "workspace"},
                               field="workspace")
        return access_workspace(request.api_user, slug, write=True)
    memberships = list(memberships_of(request.api_user)[:2])
    if len(memberships) != 1:
        raise InvalidInput(_("Name the workspace: you are a member of several."),
                           field="workspace")
    return access_workspace(request.api_user, memberships[0].workspace.slug, write=True)


@api_view(("GET", "POST"))
def templates(request):
    if request.method == "GET":
        ids = workspace_ids_of(request.api_user)
        slug = request.GET.get("workspace")
        if slug:
            ids = [access_workspace(request.api_user, slug).workspace_id]
        return JsonResponse({"results": [template_json(t) for t in templates_of(ids)]})
    body = json_body(request)
    membership = _workspace_of(request, body)
    template = template_actions.create_template(
        membership=membership, actor=request.api_user, name=body.get("name"),
        text=body.get("text"), topics=body.get("topics"), intents=body.get("intents"),
        confirm_tone=body.get("confirm_tone", False), now=request.now)
    return JsonResponse(template_json(template), status=201)


@api_view(("PATCH", "DELETE"))
def template(request, template_id):
    found, membership = access_template(request.api_user, template_id, edit=True)
    if request.method == "DELETE":
        template_actions.delete_template(template_id=found.pk, membership=membership,
                                         actor=request.api_user, now=request.now)
        return JsonResponse({"id": found.pk, "deleted": True})
    body = json_body(request)
    updated = template_actions.update_template(
        template_id=found.pk, membership=membership, actor=request.api_user,
        name=body.get("name"), text=body.get("text"), topics=body.get("topics"),
        intents=body.get("intents"), confirm_tone=body.get("confirm_tone", False),
        now=request.now)
    return JsonResponse(template_json(updated))


@api_view(("GET",))
def case_templates(request, case_id):
    """The composer's list: the case's workspace's templates filled in for this case, the ones
    made for its topic and intent first."""
    case, _membership = access_case(request.api_user, case_id)
    return JsonResponse({"results": [
        {"id": offer.template.pk, "name": offer.template.name, "text": offer.text,
         "template": offer.template.text, "topics": list(offer.template.topics),
         "intents": list(offer.template.intents), "suggested": offer.suggested,
         "missing": offer.missing}
        for offer in offers_for(case=case, actor=request.api_user)]})


# ---------------------------------------------------------------------------------------------
# Replies held for approval


def approval_json(approval) -> dict:
    return {
        "id": approval.pk, "case_id": approval.case_id,
        "tracking_number": approval.case.tracking_number, "text": approval.text,
        "requested_by": approval.requested_by.username, "reason": approval.reason,
        "verdict": approval.verdict, "findings": list(approval.findings),
        "status": approval.status, "created_at": approval.created_at.isoformat(),
        "decided_by": approval.decided_by.username if approval.decided_by_id else None,
        "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
        "note": approval.note, "message_id": approval.message_id,
    }


@api_view(("GET",))
def approvals(request):
    status = request.GET.get("status") or ApprovalStatus.MENUNGGU
    if status not in (*ApprovalStatus.values, "all"):
        raise InvalidInput(_("Unknown status %(status)r; use all or one of %(choices)s.")
                           % {"status": status, "choices": ", ".join(ApprovalStatus.values)},
                           field="status")
    rows = approval_queries.queue(workspace_ids_of(request.api_user),
                                  status=None if status == "all" else status)[:200]
    return JsonResponse({"results": [approval_json(a) for a in rows]})


@api_view(("POST",))
def approval_approve(request, approval_id):
    body = json_body(request) if request.body else {}  # the edit is optional
    approval, membership = access_approval(request.api_user, approval_id, decide=True)
    approval = approval_actions.approve_reply(
        approval_id=approval.pk, actor=request.api_user, membership=membership,
        text=body.get("text"), now=request.now)
    return JsonResponse(approval_json(approval))


@api_view(("POST",))
def approval_reject(request, approval_id):
    body = json_body(request) if request.body else {}  # the note is optional
    approval, membership = access_approval(request.api_user, approval_id, decide=True)
    approval = approval_actions.reject_reply(
        approval_id=approval.pk, actor=request.api_user, membership=membership,
        note=body.get("note", ""), now=request.now)
    return JsonResponse(approval_json(approval))


# ---------------------------------------------------------------------------------------------
# One person, several accounts


def _person_json(contact) -> dict:
    linked = (Contact.objects.filter(person_id=contact.person_id).order_by("pk")
              if contact.person_id is not None else Contact.objects.none())
    return {"id": contact.pk, "linked": [
        {"id": c.pk, "platform": c.platform, "name": c.display_name or c.external_id}
        for c in linked if c.pk != contact.pk]}


def _case_on_trail(body, membership):
    """The case whose audit trail records the link (`case_id`), in the contact's workspace."""
    if body.get("case_id") is None:
        return None
    case_id = parse_id(body["case_id"], field="case_id")
    if not Case.objects.filter(pk=case_id, workspace_id=membership.workspace_id).exists():
        raise InvalidInput(_("No such case on this desk."), field="case_id")
    return case_id


@api_view(("POST",))
def contact_link(request, contact_id):
    """Link the contact with another account of the same citizen: `contact_id`, or the contact
    of the case with `tracking_number` (what an operator has at hand)."""
    body = json_body(request)
    contact, membership = access_contact(request.api_user, contact_id, write=True)
    if body.get("contact_id") is not None:
        other, _other_membership = access_contact(
            request.api_user, parse_id(body["contact_id"], field="contact_id"), write=True)
    elif isinstance(body.get("tracking_number"), str) and body["tracking_number"].strip():
        number = body["tracking_number"].strip().upper()
        case = Case.objects.filter(workspace_id=membership.workspace_id,
                                   tracking_number=number).select_related("contact").first()
        if case is None:
            raise InvalidInput(_("No case %(number)s on this desk.") % {"number": number},
                               field="tracking_number")
        other = case.contact
    else:
        raise InvalidInput(_("Name the other account: 'contact_id' or 'tracking_number'."),
                           field="contact_id")
    if other.workspace_id != contact.workspace_id:
        raise InvalidInput(_("Both contacts must be citizens of this desk."), field="contact_id")
    desk_actions.link_contacts(contact_id=contact.pk, other_id=other.pk, actor=request.api_user,
                               case_id=_case_on_trail(body, membership), now=request.now)
    contact.refresh_from_db()
    return JsonResponse(_person_json(contact))


@api_view(("POST",))
def contact_unlink(request, contact_id):
    body = json_body(request) if request.body else {}
    contact, membership = access_contact(request.api_user, contact_id, write=True)
    desk_actions.unlink_contact(contact_id=contact.pk, actor=request.api_user,
                                case_id=_case_on_trail(body, membership), now=request.now)
    contact.refresh_from_db()
    return JsonResponse(_person_json(contact))

