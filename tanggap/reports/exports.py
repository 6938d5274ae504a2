"""Exports: CSV and XLSX of a report's tables and of the case list, streamed.

The case list can be a year of a city's desk, hundreds of thousands of rows: it is read with a
server-side chunked iterator and written row by row, to the response (CSV) or to a temporary
file that openpyxl's write-only mode fills as it goes and that is then sent in chunks (XLSX), so
neither the rows nor the file are ever held in memory whole.

Personal data (the tracking number, which opens the citizen's status page; the contact's name
and handle; the citizen's first words) is written only when `personal` is true, which the views
set for supervisors and admins (reports.access).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
from tanggap.cases.models import Case, CaseKind, CaseStatus, Direction, Message
from tanggap.reports import queries
from tanggap.reports.filters import ReportFilter

CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: list, rows: Iterable[list]) -> Iterator[str]:
    # A byte-order mark first: Excel, which most city offices open CSV files with, reads UTF-8
    # only with it (Indonesian names and the en dash would come out garbled otherwise).
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(["" if v is None else v for v in row])


def csv_response(filename: str, header: list, rows: Iterable[list]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, sheets: Iterable[tuple[str, list, Iterable[list]]]):
    """One sheet per (title, header, rows); rows are written as they come."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        cells = []
        for value in header:
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
    # A temporary file, not memory: it is deleted when the response has been sent and closed.
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    response = FileResponse(spool, content_type=XLSX_TYPE, as_attachment=True, filename=filename)
    return response


def _sheet_title(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31] or "Sheet"


def _xlsx_value(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: written as the desk's time
    if value is None or isinstance(value, int | float | str | date):
        return value
    return str(value)  # a lazily translated label


# ---------------------------------------------------------------------------------------------
# A report's tables


def table_rows(table: queries.Table) -> list[list]:
    return [[str(v) if hasattr(v, "__html__") else v for v in row] for row in table.rows]


def report_sheets(report: queries.Report):
    for table in report.tables():
        yield table.title, table.columns, table_rows(table)


# ---------------------------------------------------------------------------------------------
# The case list


def case_columns(personal: bool) -> list[str]:
    columns = [_("Case id"), _("Opened"), _("Channel"), _("Kind"), _("Intent"), _("Topic"),
               _("Abusive"), _("Status"), _("First response"), _("First response (hours)"),
               _("Resolved"), _("Resolution (hours)"), _("Responsible body"), _("Area")]
    if personal:
        columns += [_("Tracking number"), _("Citizen"), _("Citizen's account"),
                    _("Citizen's first words")]
    return columns


def case_rows(f: ReportFilter, *, personal: bool) -> Iterator[list]:
    """The cases opened in the period that match the filters, oldest first, one list per row."""
    from tanggap.reports.rollup import zone

    # Driven by the facts (one row per case, with the case's opening time), a chunk at a time,
    # and each chunk's cases fetched by their ids. A single query of the cases `IN` the facts'
    # ids through a server-side cursor made PostgreSQL plan for the first rows: a 100,000-case
    # export then ran for more than 15 minutes in one FETCH.
    fact_fields = ("case_id", "opened_at", "channel_id", "kind", "intent", "topic", "kasar",
                   "status", "first_response_at", "first_response_seconds", "resolved_at",
                   "resolution_seconds", "body_id", "area")
    facts = queries._facts(f, "opened_day").order_by("opened_at", "case_id")
    fields = ["pk", "tracking_number", "contact__display_name", "contact__external_id"]
    cases = Case.objects.all()
    if personal:
        cases = cases.annotate(first_words=Subquery(
            Message.objects.filter(case=OuterRef("pk"), direction=Direction.IN)
            .order_by("id").values("text")[:1]))
        fields.append("first_words")
    channels = dict(queries.channel_choices(f.workspace_id))
    bodies = queries.body_names(f.workspace_id)
    kinds, statuses = dict(CaseKind.choices), dict(CaseStatus.choices)
    tz = zone()
    for chunk in _chunks(facts.values_list(*fact_fields).iterator(chunk_size=CHUNK), CHUNK):
        case_by_id = {row[0]: row for row in
                      cases.filter(pk__in=[fact[0] for fact in chunk]).values_list(*fields)}
        for fact in chunk:
            row = case_by_id.get(fact[0])
            if row is None:
                continue
            (case_id, opened, channel_id, kind, intent, topic, kasar, status, fr_at, fr_s,
             res_at, res_s, body_id, area) = fact
            out = [case_id, _local(opened, tz), channels.get(channel_id, channel_id),
                   kinds.get(kind, kind), str(INTENT_LABELS.get(intent, intent)),
                   str(TOPIC_LABELS.get(topic, topic)), _("yes") if kasar else _("no"),
                   statuses.get(status, status), _local(fr_at, tz), queries.hours(fr_s),
                   _local(res_at, tz), queries.hours(res_s),
                   bodies.get(body_id, "") if body_id else "", area]
            if personal:
                out += [row[1], row[2], row[3], row[4]]
            yield out


def _local(moment: datetime | None, tz) -> datetime | None:
    return None if moment is None else moment.astimezone(tz).replace(microsecond=0)


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
