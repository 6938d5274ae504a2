"""The desk's pages. Thin: read through accessors and queries; every write goes through the REST
v1 endpoints (session-authenticated, CSRF-checked) so the rules live in one place."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tanggap.cases import queries
from tanggap.cases.access import access_case
from tanggap.cases.actions import effective_holder_id, holder_name
from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
from tanggap.cases.models import CaseKind, CaseStatus
from tanggap.errors import DeskError, for_page
from tanggap.live.fanout import recheck_sessions
from tanggap.referrals.queries import overdue_exists
from tanggap.roster import queries as roster_queries
from tanggap.web.audit_text import audit_lines
from tanggap.web.inbox_rows import (
    ROW_VALUES,
    CaseRow,
    channel_choices,
    options_html,
    page_texts,
    prepare_rows,
    rows_html,
)
from tanggap.workspaces.access import access_workspace, memberships_of
from tanggap.workspaces.models import Membership, Role

INBOX_PAGE = 100


_or_404 = for_page


@login_required
@require_GET
def home(request):
    membership = memberships_of(request.user).order_by("workspace__name").first()
    if membership is None:
        # A body's liaison officer has no desk to open, only the referrals to answer.
        if Membership.objects.filter(user=request.user, role=Role.LIAISON).exists():
            return redirect("liaison_home")
        return render(request, "web/no_workspace.html", status=403)
    return redirect("inbox", slug=membership.workspace.slug)


def _rows_context(request, membership) -> dict:
    """What the rows need: the live re-render and the split view ask for nothing else."""
    now = timezone.now()
    params = request.GET
    claimed = params.get("claimed", "")
    # A search looks through every status unless one is chosen.
    shown_status = params.get("status") or ("all" if params.get("q", "").strip() else "open")
    try:
        found = queries.inbox_filter(
            workspace_ids=[membership.workspace_id], now=now, user=request.user,
            status=shown_status, claimed=claimed, q=params.get("q"),
            channel=params.get("channel"), kind=params.get("kind"),
            topic=params.get("topic"), intent=params.get("intent"),
            kasar=params.get("kasar"),
        )
        cases = [CaseRow._make(values) for values in queries.inbox_rows(
            found, ROW_VALUES, INBOX_PAGE, key="web.inbox", at=now,
            annotate={"last_text": queries.last_inbound_text,
                      "referral_overdue": lambda values: overdue_exists(values["at"])})]
        error = None
    except DeskError as exc:
        cases, error = [], exc.message
    rows = prepare_rows(cases, now=now, user=request.user, workspace=membership.workspace)
    texts = page_texts()
    # Read once here, not through the membership's property on every row.
    can_write = membership.can_write
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "rows": rows,
        "rows_html": rows_html(rows, texts=texts, can_write=can_write),
        "texts": texts,
        "can_write": can_write,
        "filters": params,
        "shown_status": shown_status,
        "error": error,
        "now": now,
    }


@login_required
@require_GET
def inbox(request, slug):
    membership = _or_404(access_workspace, request.user, slug)
    context = _rows_context(request, membership)
    params = request.GET
    # The menus' options as prepared markup (the template printed them option by option).
    topics = list(TOPIC_LABELS.items())
    context["menus"] = {
        "channels": options_html(channel_choices(membership.workspace_id), params.get("channel")),
        "statuses": options_html(CaseStatus.choices, context["shown_status"]),
        "kinds": options_html(CaseKind.choices, params.get("kind")),
        "topics": options_html(topics, params.get("topic")),
        "intents": options_html(INTENT_LABELS.items(), params.get("intent")),
        "bulk_topics": options_html(topics) if context["can_write"] else "",
        # As `{{ person.get_full_name|default:person.username }}`.
        "colleagues": (options_html(roster_queries.colleague_names(membership.workspace_id))
                       if context["can_write"] else ""),
    }
    return render(request, "web/inbox.html", {
        **context,
        "language_model": (queries.language_model_status(membership.workspace_id)
                           if membership.can_supervise else None),
    })


@login_required
@require_GET
def inbox_rows(request, slug):
    membership = _or_404(access_workspace, request.user, slug)
    return render(request, "web/_inbox_rows.html", _rows_context(request, membership))


def _case_context(request, slug: str, case_id) -> dict:
    membership = _or_404(access_workspace, request.user, slug)
    case, _ = _or_404(access_case, request.user, case_id)
    if case.workspace_id != membership.workspace_id:
        raise Http404()
    now = timezone.now()
    holder_active = effective_holder_id(case, now) is not None
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "case": case,
        "holder_active": holder_active,
        "i_hold": holder_active and case.claimed_by_id == request.user.pk,
        "holder_name": holder_name(case.claimed_by) if holder_active else "",
        "shown_status": case.status_label(holder_active=holder_active),
        "messages": queries.case_messages(case),
        "notes": case.notes.select_related("author").order_by("created_at"),
        "audit": audit_lines(case.audit_events.select_related("actor").order_by("id")),
        "earlier": queries.earlier_cases(case),
        "linked_contacts": queries.linked_contacts(case.contact),
        "statuses": [(v, label) for v, label in CaseStatus.choices
                     if v in ("baru", "menunggu", "selesai", "ditutup")],
        "kinds": CaseKind.choices,
        "topics": list(TOPIC_LABELS.items()),
        "intents": list(INTENT_LABELS.items()),
        "topic_label": TOPIC_LABELS.get(case.topic, ""),
        "intent_label": INTENT_LABELS.get(case.intent, ""),
        "suggestions": [(TOPIC_LABELS.get(s.get("topic"), s.get("topic")),
                         round(100 * float(s.get("confidence", 0))))
                        for s in case.triage_suggestions or []],
        "now": now,
    }


@login_required
@require_GET
def case_page(request, slug, case_id):
    return render(request, "web/case.html", _case_context(request, slug, case_id))


@login_required
@require_GET
def case_panel(request, slug, case_id):
    return render(request, "web/_case_panel.html", _case_context(request, slug, case_id))


class LogoutView(auth_views.LogoutView):
    """Django's logout, then the user's open inbox sockets check their sessions: the ones of the
    session just ended close at once instead of receiving events until the page is left."""

    def post(self, request, *args, **kwargs):
        user_id = request.user.pk if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            recheck_sessions(user_id)
        return response
