"""The monthly report for the mayor, as a PDF made with ReportLab: a cover, the key numbers
against the month before, charts (reports a day, topics, response times over six months), the
top topics, the slowest responsible bodies, and notable thanks from citizens (their words only:
no name, handle or number).

`render_monthly(...)` returns the PDF's bytes; `progress(step)` is called after each of STEPS
(the `tanggap report monthly` command draws a progress bar with it). Read from the roll-ups and
facts like the reports page (reports.queries), so a month of a city's desk renders in a second or
two.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import date, datetime
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tanggap.cases.models import Message
from tanggap.connectors.models import Platform
from tanggap.reports import queries
from tanggap.reports.filters import ReportFilter
from tanggap.reports.models import ReferralFact, ThanksFact

STEPS = ("numbers", "volume", "topics", "times", "bodies", "thanks", "pdf")
BRAND = colors.HexColor("#0b5394")
SERIES = [colors.HexColor(c) for c in ("#0b5394", "#e69138", "#6aa84f", "#cc0000", "#674ea7")]
# Fonts with the whole of Indonesian and the punctuation citizens type; Helvetica (Latin-1 only)
# when the machine has none of them.
FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
FONT_BOLD_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)


def _fonts() -> tuple[str, str]:
    regular = next((p for p in FONT_CANDIDATES if os.path.exists(p)), None)
    bold = next((p for p in FONT_BOLD_CANDIDATES if os.path.exists(p)), None)
    if regular is None or bold is None:
        return "Helvetica", "Helvetica-Bold"
    if "TanggapSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("TanggapSans", regular))
        pdfmetrics.registerFont(TTFont("TanggapSans-Bold", bold))
    return "TanggapSans", "TanggapSans-Bold"


def _plain(text: str, font: str) -> str:
    """Text the font can draw: without DejaVu, only Latin-1; emoji and other pictographs are
    dropped either way (no PDF font here has them)."""
    kept = "".join(ch for ch in text if ord(ch) < 0x2600 or 0x2010 <= ord(ch) <= 0x206F)
    if font == "Helvetica":
        kept = kept.encode("latin-1", "replace").decode("latin-1")
    return kept


def month_name(start: date) -> str:
    return formats.date_format(start, "F Y")


def render_monthly(*, workspace, start: date, end: date, now: datetime,
                   progress: Callable[[str], None] = lambda step: None) -> bytes:
    regular, bold = _fonts()
    styles = _styles(regular, bold)
    f = ReportFilter(workspace_id=workspace.pk, start=start, end=end, granularity="day")
    report = queries.build_report(f)
    progress("numbers")
    story: list = []
    story += _cover(workspace, start, now, styles)
    story += _numbers(report, styles)
    story.append(PageBreak())

    story.append(Paragraph(_("Reports a day"), styles["h2"]))
    volume = report.section("volume")
    story.append(_bar_chart(volume.chart.labels, volume.chart.datasets[:1], regular,
                            every=max(1, len(volume.chart.labels) // 10)))
    progress("volume")

    story.append(Paragraph(_("Top topics"), styles["h2"]))
    topics = report.section("topic").table.rows[:10]
    total = sum(row[1] for row in report.section("topic").table.rows) or 1
    if topics:
        story.append(_hbar_chart([r[0] for r in topics], [r[1] for r in topics], regular))
        story.append(Spacer(1, 0.3 * cm))
        story.append(_table(
            [_("Topic"), _("Reports"), _("Share (%)"), _("Share answered (%)")],
            [[r[0], _n(r[1]), _n(round(100 * r[1] / total, 1)), _n(r[3])] for r in topics],
            regular, bold))
    else:
        story.append(Paragraph(_("No reports this month."), styles["body"]))
    progress("topics")

    story.append(PageBreak())
    story.append(Paragraph(_("Response times over six months"), styles["h2"]))
    six = ReportFilter(workspace_id=workspace.pk, start=_months_back(start, 5), end=end,
                       granularity="month")
    times = queries.build_report(six, with_previous=False).section("times")
    story.append(_line_chart(times.chart.labels, times.chart.datasets[:3], regular))
    story.append(Paragraph(_("Hours. The median is the time within which half of the cases got "
                             "their first reply (or were resolved); the 90th percentile, nine "
                             "in ten."), styles["small"]))
    progress("times")

    story.append(Paragraph(_("Slowest responsible bodies"), styles["h2"]))
    story += _slowest_bodies(workspace.pk, start, end, styles, regular, bold)
    progress("bodies")

    story.append(Paragraph(_("Notable thanks from citizens"), styles["h2"]))
    story += _thanks(workspace.pk, start, end, styles, regular)
    progress("thanks")

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm,
                            topMargin=2 * cm, bottomMargin=2 * cm,
                            title=_("Monthly report %(month)s") % {"month": month_name(start)},
                            author=workspace.name, subject="Tanggap")

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(2 * cm, 1.2 * cm, f"{workspace.name} · {month_name(start)}")
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, str(doc_.page))
        canvas.restoreState()

    doc.build(story, onLaterPages=footer)
    progress("pdf")
    return buffer.getvalue()


def _months_back(start: date, months: int) -> date:
    year, month = start.year, start.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _n(value) -> str:
    if value is None:
        return "–"
    return formats.number_format(value, decimal_pos=1 if isinstance(value, float) else None,
                                 force_grouping=True)


def _styles(regular: str, bold: str) -> dict:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=bold, fontSize=24,
                                leading=30, textColor=BRAND, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", parent=base["Normal"], fontName=regular,
                                   fontSize=14, leading=20, alignment=TA_CENTER),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, textColor=BRAND,
                             spaceBefore=12),
        "body": ParagraphStyle("body", parent=base["Normal"], fontName=regular, fontSize=10,
                               leading=14),
        "small": ParagraphStyle("small", parent=base["Normal"], fontName=regular, fontSize=8,
                                leading=11, textColor=colors.grey),
        "quote": ParagraphStyle("quote", parent=base["Normal"], fontName=regular, fontSize=10,
                                leading=14, leftIndent=12, borderPadding=6,
                                backColor=colors.HexColor("#f3f6fa"), spaceAfter=4),
    }


def _cover(workspace, start: date, now: datetime, styles) -> list:
    return [
        Spacer(1, 6 * cm),
        Paragraph(escape(_("Monthly report of the public complaint desk")), styles["title"]),
        Spacer(1, 0.8 * cm),
        Paragraph(escape(workspace.name), styles["subtitle"]),
        Paragraph(escape(month_name(start)), styles["subtitle"]),
        Spacer(1, 4 * cm),
        Paragraph(escape(_("For the Mayor. Prepared by Tanggap on %(date)s from the desk's "
                           "records: questions, complaints and thanks from every channel.")
                         % {"date": formats.date_format(now.date(), "j F Y")}),
                  styles["subtitle"]),
        PageBreak(),
    ]


def _numbers(report: queries.Report, styles) -> list:
    regular = styles["body"].fontName
    bold = styles["h2"].fontName
    rows = []
    for number in report.numbers:
        change = ""
        if isinstance(number.value, int | float) and isinstance(number.previous, int | float):
            delta = number.value - number.previous
            change = ("+" if delta > 0 else "") + _n(round(delta, 1) if isinstance(delta, float)
                                                     else delta)
        rows.append([number.label, number.display, _n(number.previous)
                     if number.previous is not None else "–", change])
    return [Paragraph(_("Key numbers"), styles["h2"]),
            _table([_("Measure"), _("This month"), _("Month before"), _("Difference")], rows,
                   regular, bold, widths=[8 * cm, 3.2 * cm, 3.2 * cm, 2.6 * cm])]


def _table(header: list, rows: list, regular: str, bold: str, widths=None) -> Table:
    table = Table([header, *rows], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), bold, 9),
        ("FONT", (0, 1), (-1, -1), regular, 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe8f3")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f9fc")]),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, BRAND),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _bar_chart(labels: list[str], datasets: list[dict], font: str, every: int = 1) -> Drawing:
    drawing = Drawing(17 * cm, 6.5 * cm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 1.2 * cm, 1.2 * cm, 15.5 * cm, 4.8 * cm
    chart.data = [[v or 0 for v in d["data"]] for d in datasets] or [[0]]
    chart.categoryAxis.categoryNames = [lab if i % every == 0 else "" for i, lab in
                                        enumerate(labels)] or [""]
    return _bars(drawing, chart, font, size=7)


def _bars(drawing: Drawing, chart, font: str, *, size: int) -> Drawing:
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = size
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = BRAND
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    return drawing


def _hbar_chart(labels: list[str], values: list[int], font: str) -> Drawing:
    height = max(3 * cm, 0.6 * cm * len(labels) + 1 * cm)
    drawing = Drawing(17 * cm, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 5 * cm, 0.6 * cm, 11.5 * cm, height - 1 * cm
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    return _bars(drawing, chart, font, size=8)


def _line_chart(labels: list[str], datasets: list[dict], font: str) -> Drawing:
    drawing = Drawing(17 * cm, 7.5 * cm)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 1.2 * cm, 2.2 * cm, 15.5 * cm, 4.8 * cm
    data = [[v if v is not None else 0 for v in d["data"]] for d in datasets]
    chart.data = data or [[0]]
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for i, _d in enumerate(datasets):
        chart.lines[i].strokeColor = SERIES[i % len(SERIES)]
        chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 1.2 * cm, 1.0 * cm
    legend.fontName, legend.fontSize = font, 7
    legend.columnMaximum = 1
    legend.deltax = 5.2 * cm
    legend.alignment = "right"
    legend.colorNamePairs = [(SERIES[i % len(SERIES)], d["label"]) for i, d in
                             enumerate(datasets)]
    drawing.add(legend)
    if not any(any(row) for row in data):
        drawing.add(String(8.5 * cm, 4.5 * cm, _("No replies or resolutions yet."),
                           fontName=font, fontSize=9, textAnchor="middle"))
    return drawing


def _slowest_bodies(workspace_id: int, start: date, end: date, styles, regular, bold) -> list:
    facts = ReferralFact.objects.filter(workspace_id=workspace_id, created_day__gte=start,
                                        created_day__lte=end)
    per: dict[int, dict] = {}
    for fact in facts:
        row = per.setdefault(fact.body_id, {"name": fact.body_name, "n": 0, "open": 0,
                                            "waits": []})
        row["n"] += 1
        end_at = fact.closed_at if fact.closed_at else None
        if end_at is None:
            row["open"] += 1
        else:
            row["waits"].append((end_at - fact.created_at).total_seconds())
    if not per:
        return [Paragraph(_("No case was referred to a responsible body this month."),
                          styles["body"])]
    rows = []
    for body in per.values():
        median = queries.median_p90(body["waits"])[0]
        rows.append((median if median is not None else -1, body))
    rows.sort(key=lambda item: -item[0])
    return [_table([_("Body"), _("Referrals"), _("Still open"), _("Median time to answer")],
                   [[b["name"], _n(b["n"]), _n(b["open"]),
                     queries.duration_text(m if m >= 0 else None)] for m, b in rows[:10]],
                   regular, bold, widths=[7.5 * cm, 2.5 * cm, 2.5 * cm, 4.5 * cm])]


def _thanks(workspace_id: int, start: date, end: date, styles, font: str) -> list:
    from tanggap.reports.rollup import zone

    tz = zone()
    # The thanks the triage was surest of, the longer first (reports.ThanksFact, kept by the
    # roll-up: the messages table has no index by day).
    best = list(ThanksFact.objects.filter(workspace_id=workspace_id, day__gte=start,
                                          day__lte=end)
                .order_by("-confidence", "-length", "-message_id")
                .values_list("message_id", flat=True)[:5])
    by_id = {m.pk: m for m in Message.objects.filter(pk__in=best).select_related("channel")}
    chosen = [by_id[pk] for pk in best if pk in by_id]
    if not chosen:
        return [Paragraph(_("No thanks were received this month."), styles["body"])]
    out = []
    for message in chosen:
        words = _plain(message.text.strip(), font)
        if len(words) > 300:
            words = words[:297] + "…"
        where = Platform(message.channel.platform).label
        out.append(Paragraph(f"“{escape(words)}”", styles["quote"]))
        day = formats.date_format(message.created_at.astimezone(tz).date(), "j F Y")
        out.append(Paragraph(escape(f"{where}, {day}"), styles["small"]))
    return out
