"""The reports pages of a workspace (/w/<slug>/reports/): thin, an accessor, a filter, a query,
a template or an export. The clock is read once per request.

Opening a report first brings the roll-ups up to date with the audit trail (a few batches
inline; a longer backlog goes to one queued task), so what a supervisor sees is current."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
from tanggap.cases.models import CaseKind
from tanggap.errors import Forbidden, InvalidInput, NotFound
from tanggap.reports import actions, exports, filters, freshness, monthly, queries
from tanggap.reports.access import access_reports, sees_personal_data
from tanggap.reports.rollup import local_day


def _membership(request, slug: str):
    try:
        return access_reports(request.user, slug)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None


def _filter(request, membership, now: datetime):
    return filters.parse(request.GET, workspace_id=membership.workspace_id,
                         today=local_day(now))


def _bad_request(message) -> HttpResponse:
    return HttpResponse(str(message), status=400, content_type="text/plain; charset=utf-8")


def _export_request(request, slug: str):
    """(membership, filter, None), or (membership, None, a 400 response naming the bad value)."""
    membership = _membership(request, slug)
    try:
        return membership, _filter(request, membership, timezone.now()), None
    except InvalidInput as exc:
        return membership, None, _bad_request(exc.message)


def _choices(membership) -> dict:
    workspace_id = membership.workspace_id
    return {
        "channels": queries.channel_choices(workspace_id),
        "kinds": CaseKind.choices,
        "intents": [(k, str(v)) for k, v in INTENT_LABELS.items()],
        "topics": [(k, str(v)) for k, v in TOPIC_LABELS.items()],
        "bodies": sorted(queries.body_names(workspace_id).items(), key=lambda item: item[1]),
        "areas": queries.area_choices(workspace_id),
        "granularities": [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
    }


@login_required
@require_GET
def report_page(request, slug):
    now = timezone.now()
    membership = _membership(request, slug)
    freshness.freshen(now=now)
    context = {"membership": membership, "workspace": membership.workspace,
               "params": request.GET, **_choices(membership)}
    try:
        report_filter = _filter(request, membership, now)
    except InvalidInput as exc:
        return render(request, "reports/report.html", {**context, "error": exc.message},
                      status=400)
    report = queries.build_report(report_filter)
    query = urlencode(report_filter.query())
    return render(request, "reports/report.html", {
        **context, "report": report, "filter": report_filter, "query": query,
        "charts": {s.key: s.chart.as_dict() for s in report.sections
                   if s.chart is not None and not s.absent and not s.empty},
        "personal": sees_personal_data(membership),
        "this_month": local_day(now).strftime("%Y-%m"),
    })


@login_required
@require_GET
def export_report(request, slug, fmt):
    membership, report_filter, refused = _export_request(request, slug)
    if refused:
        return refused
    report = queries.build_report(report_filter)
    stem = f"laporan-{membership.workspace.slug}-{report_filter.start}-{report_filter.end}"
    if fmt == "xlsx":
        return exports.xlsx_response(f"{stem}.xlsx", exports.report_sheets(report))
    key = request.GET.get("table", "numbers")
    table = next((t for t in report.tables() if t.key == key), None)
    if table is None:
        return _bad_request(_("There is no table %(key)s in this report.") % {"key": key})
    return exports.csv_response(f"{stem}-{key}.csv", table.columns, exports.table_rows(table))


@login_required
@require_GET
def export_cases(request, slug, fmt):
    membership, report_filter, refused = _export_request(request, slug)
    if refused:
        return refused
    personal = sees_personal_data(membership)
    header = exports.case_columns(personal)
    rows = exports.case_rows(report_filter, personal=personal)
    stem = f"kasus-{membership.workspace.slug}-{report_filter.start}-{report_filter.end}"
    if fmt == "xlsx":
        return exports.xlsx_response(f"{stem}.xlsx", [(_("Cases"), header, rows)])
    return exports.csv_response(f"{stem}.csv", header, rows)


@login_required
@require_GET
def monthly_pdf(request, slug):
    now = timezone.now()
    membership = _membership(request, slug)
    try:
        start, end = filters.month_bounds(request.GET.get("month", ""))
    except InvalidInput as exc:
        return _bad_request(exc.message)
    freshness.freshen(now=now)
    pdf = monthly.render_monthly(workspace=membership.workspace, start=start, end=end, now=now)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="laporan-bulanan-{membership.workspace.slug}-'
        f'{start:%Y-%m}.pdf"')
    return response


@login_required
@require_POST
def set_public(request, slug, case_id):
    """Mark a case public, or private again (supervisors and admins), from the case page."""
    now = timezone.now()
    try:
        actions.set_case_public(case_id=case_id, actor=request.user,
                                public=request.POST.get("public") == "1", now=now)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None
    return redirect(reverse("case", args=[slug, case_id]))
