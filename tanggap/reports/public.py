"""What anyone may see of a workspace's desk: the transparency page, its open data and Open311's
service requests. Built from the facts and roll-ups, which hold no personal data, plus, for the
cases the desk marked public (PublicMark), the citizen's first words and the desk's replies.

Never shown here, whatever a case's flags: a citizen's name, handle, account, phone number, email,
photo, exact point or tracking number (the tracking number opens the citizen's status page), an
operator's name. Places are areas of about 1.1 km (reports.locations); dates of open data are
days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Sum
from django.utils.translation import gettext as _

from tanggap.cases.language import TOPIC_LABELS
from tanggap.cases.models import CLOSED_STATUSES, Case, Direction, Message
from tanggap.reports import durations, locations, queries, reads
from tanggap.reports.filters import ReportFilter
from tanggap.reports.models import (
    FIRST_RESPONSE,
    CaseFact,
    DurationSlice,
    PublicMark,
    RollupSlice,
)

LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# Areas with fewer reports than this are left off the map: one or two reports in a sparse
# cell could point at a household.
MAP_MIN_REPORTS = 3
PUBLIC_CASES_SHOWN = 20


def topic_label(topic: str) -> str:
    return str(TOPIC_LABELS.get(topic, topic or _("Other")))


def months_back(today: date, months: int) -> date:
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


@dataclass
class Transparency:
    start: date
    end: date
    numbers: list[queries.KeyNumber]
    sections: list[queries.Section]
    map_points: list[dict]
    public_cases: list[dict]


def transparency(workspace_id: int, *, today: date, months: int = 12) -> Transparency:
    start = months_back(today, months)
    f = ReportFilter(workspace_id=workspace_id, start=start, end=today, granularity="month")
    report = queries.build_report(f, with_previous=False)
    by_key = {n.key: n for n in report.numbers}
    numbers = [by_key[k] for k in ("opened", "answered_share", "first_response_median",
                                   "resolution_median", "thanks", "referred")]
    sections = [_topics_by_month(f), _answered_by_month(f), report.section("times"),
                _referrals_public(f), _areas(f)]
    return Transparency(start, today, numbers, sections, map_points(f), public_cases(
        workspace_id, limit=PUBLIC_CASES_SHOWN))


def _topics_by_month(f: ReportFilter) -> queries.Section:
    rows = _topic_slices(f.workspace_id, f.start, f.end).values_list("day", "value", "opened")
    months = queries.buckets(f)
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, topic, opened in rows:
        counts[topic][queries.bucket_of(day, "month")] += opened
    order = sorted(counts, key=lambda t: -sum(counts[t].values()))
    order = [t for t in order if sum(counts[t].values())]
    labels = [queries.bucket_label(m, "month") for m in months]
    table_rows = [[topic_label(t), *(counts[t][m] for m in months), sum(counts[t].values())]
                  for t in order]
    top, rest = order[:7], order[7:]
    datasets = [{"label": topic_label(t), "data": [counts[t][m] for m in months]} for t in top]
    if rest:
        datasets.append({"label": _("Other topics"),
                         "data": [sum(counts[t][m] for t in rest) for m in months]})
    return queries.Section("topics", _("Reports by topic and month"), queries.Table(
        "topics", _("Reports by topic and month"), [_("Topic"), *labels, _("Total")],
        table_rows), queries.Chart("bar", labels, datasets, unit=_("reports")))


def _answered_by_month(f: ReportFilter) -> queries.Section:
    per = queries.per_bucket(f, reads.counts_by_day(f))
    months = queries.buckets(f)
    labels = [queries.bucket_label(m, "month") for m in months]
    shares = [queries.share(per[m]["answered"], per[m]["opened"]) for m in months]
    rows = [[label, per[m]["opened"], per[m]["answered"], s]
            for label, m, s in zip(labels, months, shares, strict=True) if per[m]["opened"]]
    return queries.Section("answered", _("Share of reports answered"), queries.Table(
        "answered", _("Share of reports answered"),
        [_("Month"), _("Reports"), _("Answered"), _("Share answered (%)")], rows),
        queries.Chart("line", labels, [{"label": _("Share answered (%)"), "data": shares}],
                      unit="%"))


def _referrals_public(f: ReportFilter) -> queries.Section:
    section = queries._referrals_section(f)
    section.title = section.table.title = _("Referrals by body and their status")
    return section


def _areas(f: ReportFilter) -> queries.Section:
    rows = (RollupSlice.objects.filter(workspace_id=f.workspace_id, dimension="area",
                                       day__gte=f.start, day__lte=f.end).exclude(value="")
            .values("value").annotate(n=Sum("opened")).order_by("-n", "value"))
    shown = [r for r in rows if (r["n"] or 0) >= MAP_MIN_REPORTS]
    table_rows = []
    for row in shown:
        lat, lon = locations.area_centre(row["value"])
        table_rows.append([queries.area_label(row["value"]), lat, lon, row["n"]])
    return queries.Section("areas", _("Reports by area"), queries.Table(
        "areas", _("Reports by area"), [_("Area"), _("Latitude (centre)"),
                                        _("Longitude (centre)"), _("Reports")], table_rows,
        note=_("Areas are squares of about 1.1 km; an area with fewer than %(n)d reports is "
               "not shown.") % {"n": MAP_MIN_REPORTS}),
        absent="" if table_rows else _("No report of this period gave a location."))


def map_points(f: ReportFilter) -> list[dict]:
    section = _areas(f)
    return [{"x": row[2], "y": row[1], "n": row[3], "label": row[0],
             "r": max(4, min(30, round(3 * row[3] ** 0.5)))} for row in section.table.rows]


# ---------------------------------------------------------------------------------------------
# Cases, as anyone may see them


def public_cases(workspace_id: int, *, limit: int) -> list[dict]:
    """The latest cases the desk marked public, with the citizen's first words and the desk's
    replies (never names: a reply is signed by the desk, not the operator)."""
    marks = (PublicMark.objects.filter(workspace_id=workspace_id)
             .order_by("-case__created_at")[:limit])
    case_ids = [m.case_id for m in marks]
    facts = {f.case_id: f for f in CaseFact.objects.filter(case_id__in=case_ids)}
    texts: dict[int, dict] = defaultdict(lambda: {"citizen": None, "replies": []})
    for case_id, direction, text, created_at in (
            Message.objects.filter(case_id__in=case_ids).exclude(
                direction=Direction.OUT, delivery_status="failed")
            .order_by("created_at", "id").values_list("case_id", "direction", "text",
                                                      "created_at")):
        entry = texts[case_id]
        if direction == Direction.IN and entry["citizen"] is None:
            entry["citizen"] = text
        elif direction == Direction.OUT:
            entry["replies"].append({"at": created_at, "text": text})
    cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids).only(
        "id", "status", "created_at", "topic")}
    out = []
    for case_id in case_ids:
        case = cases.get(case_id)
        if case is None:
            continue
        fact = facts.get(case_id)
        out.append({"id": case_id, "opened": case.created_at, "topic": topic_label(case.topic),
                    "closed": case.status in CLOSED_STATUSES,
                    "area": queries.area_label(fact.area) if fact and fact.area else "",
                    "citizen": texts[case_id]["citizen"], "replies": texts[case_id]["replies"]})
    return out


def public_ids(case_ids) -> set[int]:
    return set(PublicMark.objects.filter(case_id__in=list(case_ids)).values_list("case_id",
                                                                                flat=True))


# ---------------------------------------------------------------------------------------------
# Open data


def stats_rows(workspace_id: int, *, today: date, months: int = 12) -> tuple[list, list[list]]:
    """One row per month and topic: reports, answered, thanks, median first response (hours)."""
    start = months_back(today, months)
    rows = _topic_slices(workspace_id, start, today).values_list(
        "day", "value", "opened", "answered", "thanks_in", "referred")
    per: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for day, topic, *counts in rows:
        key = (queries.bucket_of(day, "month"), topic)
        for name, n in zip(("opened", "answered", "thanks", "referred"), counts, strict=True):
            per[key][name] += n
    firsts: dict[tuple, dict] = defaultdict(dict)
    month = start
    while month <= today:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        rows = (DurationSlice.objects.filter(
            workspace_id=workspace_id, dimension="topic", metric=FIRST_RESPONSE,
            day__gte=month, day__lt=following, day__lte=today)
            .values_list("value", "bucket").annotate(n=Sum("count")).order_by())
        for topic, index, n in rows:
            durations.merge(firsts[(month, topic)], {index: n})
        month = following
    header = ["month", "topic", "topic_name", "reports", "answered", "thanks", "referred",
              "median_first_response_hours"]
    out = []
    for (month, topic) in sorted(set(per) | set(firsts)):
        counts = per.get((month, topic), {})
        out.append([month.strftime("%Y-%m"), topic or "", topic_label(topic),
                    counts.get("opened", 0), counts.get("answered", 0), counts.get("thanks", 0),
                    counts.get("referred", 0),
                    queries.hours(durations.percentiles(firsts.get((month, topic), {}))[0])])
    return header, out


def _topic_slices(workspace_id: int, start: date, end: date):
    return RollupSlice.objects.filter(workspace_id=workspace_id, dimension="topic",
                                      day__gte=start, day__lte=end)


CASE_HEADER = ["id", "opened", "channel", "kind", "topic", "topic_name", "status", "answered",
               "first_response_hours", "resolved", "resolution_hours", "responsible_body", "area",
               "area_latitude", "area_longitude", "public", "citizen_words"]


def case_records(workspace_id: int, *, start: date, end: date):
    """Every case opened in the period as open data: days, categories, durations and areas; the
    citizen's words only for cases the desk made public. Streamed in chunks."""
    bodies = queries.body_names(workspace_id)
    facts = (CaseFact.objects.filter(workspace_id=workspace_id, opened_day__gte=start,
                                     opened_day__lte=end).order_by("opened_day", "case_id")
             .values_list("case_id", "opened_day", "platform", "kind", "topic", "status",
                          "first_response_seconds", "resolved_day", "resolution_seconds",
                          "body_id", "area"))
    chunk: list = []
    for row in facts.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) == 2000:
            yield from _records(chunk, bodies)
            chunk = []
    if chunk:
        yield from _records(chunk, bodies)


def _records(chunk: list, bodies: dict) -> list[list]:
    public = public_ids(r[0] for r in chunk)
    words = {}
    if public:
        for case_id, text in (Message.objects.filter(case_id__in=public, direction=Direction.IN)
                              .order_by("-id").values_list("case_id", "text")):
            words[case_id] = text  # ordered newest first: the first message wins
    out = []
    for (case_id, opened, platform, kind, topic, status, fr_s, res_day, res_s, body_id,
         area) in chunk:
        centre = locations.area_centre(area) if area else None
        out.append([case_id, opened.isoformat(), platform, kind, topic, topic_label(topic),
                    "closed" if status in CLOSED_STATUSES else "open", fr_s is not None,
                    queries.hours(fr_s), res_day.isoformat() if res_day else None,
                    queries.hours(res_s), bodies.get(body_id, "") if body_id else "",
                    area, centre[0] if centre else None, centre[1] if centre else None,
                    case_id in public, words.get(case_id) if case_id in public else None])
    return out
