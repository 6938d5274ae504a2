"""The public transparency page of a workspace (/transparansi/<slug>/) and its open data: no
login, nothing personal (reports.public). Read-only: it never writes, not even to catch the
roll-ups up (the periodic job keeps them within seconds), so anonymous traffic costs the desk no
write."""

from __future__ import annotations

import json

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tanggap.reports import exports, public
from tanggap.reports.rollup import local_day
from tanggap.workspaces.models import Workspace


def _workspace(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404()
    return workspace


@require_GET
def transparency_page(request, slug):
    workspace = _workspace(slug)
    today = local_day(timezone.now())
    data = public.transparency(workspace.pk, today=today)
    charts = {s.key: s.chart.as_dict() for s in data.sections
              if s.chart is not None and not s.absent and not s.empty}
    if data.map_points:
        charts["map"] = {"kind": "bubble", "labels": [], "unit": "",
                         "datasets": [{"label": "", "data": data.map_points}]}
    return render(request, "reports/transparency.html", {
        "public_workspace": workspace, "data": data, "charts": charts,
        "licence_name": public.LICENCE_NAME, "licence_url": public.LICENCE_URL,
    })


@require_GET
def open_data(request, slug, dataset, fmt):
    workspace = _workspace(slug)
    today = local_day(timezone.now())
    if dataset == "stats":
        header, rows = public.stats_rows(workspace.pk, today=today)
    else:
        header = public.CASE_HEADER
        rows = public.case_records(workspace.pk, start=public.months_back(today, 12), end=today)
    name = f"tanggap-{workspace.slug}-{dataset}"
    if fmt == "csv":
        response = exports.csv_response(f"{name}.csv", header, rows)
    else:
        response = StreamingHttpResponse(_json_lines(workspace, dataset, header, rows),
                                         content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _json_lines(workspace, dataset: str, header: list, rows):
    """A JSON document written as it is read: {"licence", "workspace", "fields", "records"}."""
    head = {"dataset": dataset, "workspace": workspace.name, "licence": public.LICENCE_NAME,
            "licence_url": public.LICENCE_URL, "fields": header}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "records": ['
    first = True
    for row in rows:
        record = dict(zip(header, row, strict=True))
        yield ("" if first else ",") + json.dumps(record, ensure_ascii=False, default=str)
        first = False
    yield "]}"
