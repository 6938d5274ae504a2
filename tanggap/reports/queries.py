"""The reports: numbers, series and breakdowns of one workspace for a period and filters, read
from the daily roll-ups and the case facts (reports.rollup), never from the desk's cases and
messages, so a report over a year of a city's desk answers in well under a second.

Every section has a table (what the page shows under its chart, and what the exports write) and,
where a picture helps, a chart spec that the page's script hands to Chart.js. Durations are in
hours. Always called with a workspace id that came from an accessor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tanggap.audit import feed
from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
from tanggap.cases.models import OPEN_STATUSES, Case, CaseKind
from tanggap.connectors.models import ChannelAccount, Platform
from tanggap.reports import durations, locations, reads, rollup
from tanggap.reports.filters import ReportFilter
from tanggap.reports.models import (
    FIRST_RESPONSE,
    RESOLUTION,
    ReferralFact,
    RollupSlice,
    SlaPolicyFact,
)

REFERRAL_STATUS_LABELS = {
    "terkirim": gettext_lazy("Sent, not acknowledged"),
    "diterima": gettext_lazy("Acknowledged"),
    "diproses": gettext_lazy("In progress"),
    "selesai": gettext_lazy("Resolved"),
    "bukan_wewenang": gettext_lazy("Not their responsibility"),
    "ditarik": gettext_lazy("Withdrawn"),
}


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    note: str = ""


@dataclass
class Chart:
    kind: str  # line | bar | hbar | stacked | bubble
    labels: list[str]
    datasets: list[dict]
    unit: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "labels": self.labels, "datasets": self.datasets,
                "unit": self.unit}


@dataclass
class Section:
    key: str
    title: str
    table: Table
    chart: Chart | None = None
    # Shown instead of the chart when the desk has no data of this kind at all (e.g. no SLA).
    absent: str = ""

    @property
    def empty(self) -> bool:
        return not self.table.rows


@dataclass
class KeyNumber:
    key: str
    label: str
    value: float | int | None
    display: str
    previous: float | int | None = None


@dataclass
class Report:
    filter: ReportFilter
    numbers: list[KeyNumber]
    sections: list[Section]
    # How current the roll-ups are: when they last read the audit trail.
    as_of: datetime | None = None
    extra: dict = field(default_factory=dict)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def tables(self) -> list[Table]:
        return [self.table_of_numbers(), *(s.table for s in self.sections)]

    def table_of_numbers(self) -> Table:
        return Table("numbers", _("Key numbers"), [_("Measure"), _("Value"), _("Previous period")],
                     [[n.label, n.value, n.previous] for n in self.numbers])


# ---------------------------------------------------------------------------------------------
# Helpers


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    if minutes < 48 * 60:
        return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(d)d days %(h)d h") % {"d": minutes // 1440, "h": (minutes % 1440) // 60}


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def percent_text(value: float | None) -> str:
    return "–" if value is None else f"{formats.number_format(value, 1)} %"


def median_p90(values) -> tuple[float | None, float | None]:
    if len(values) == 0:
        return None, None
    array = np.asarray(values, dtype=np.float64)
    median, p90 = np.percentile(array, [50, 90])
    return float(median), float(p90)


def bucket_of(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def buckets(f: ReportFilter) -> list[date]:
    found, day = [], f.start
    while day <= f.end:
        bucket = bucket_of(day, f.granularity)
        if not found or found[-1] != bucket:
            found.append(bucket)
        day += timedelta(days=1)
    return found


def bucket_label(bucket: date, granularity: str) -> str:
    if granularity == "month":
        return formats.date_format(bucket, "M Y")
    return formats.date_format(bucket, "j M Y" if granularity == "week" else "j M")


def area_label(area: str) -> str:
    if not area:
        return _("No location given")
    centre = locations.area_centre(area)
    return _("Around %(lat).3f, %(lon).3f") % {"lat": centre[0], "lon": centre[1]}


def _rollups(f: ReportFilter):
    return reads.rollups(f)


def _facts(f: ReportFilter, day_field: str):
    return reads.facts(f, day_field)


CASE_LEVEL = reads.CASE_LEVEL


def per_bucket(f: ReportFilter, by_day: dict[date, dict]) -> dict[date, dict]:
    """Counts per day summed into the report's buckets (day, week, month)."""
    out: dict[date, dict] = defaultdict(lambda: defaultdict(int))
    for day, counts in by_day.items():
        target = out[bucket_of(day, f.granularity)]
        for key, value in counts.items():
            target[key] += value or 0
    return out


def _times_per_bucket(f: ReportFilter, by_day: dict[date, dict]) -> dict[date, dict]:
    out: dict[date, dict] = defaultdict(dict)
    for day, counts in by_day.items():
        durations.merge(out[bucket_of(day, f.granularity)], counts)
    return out


# ---------------------------------------------------------------------------------------------
# The report


def build_report(f: ReportFilter, *, with_previous: bool = True) -> Report:
    by_day = reads.counts_by_day(f)
    totals = reads.add_up(by_day.values())
    first = reads.times_by_day(f, FIRST_RESPONSE)
    resolved = reads.times_by_day(f, RESOLUTION)
    fr_median, fr_p90 = durations.percentiles(reads.times_whole(f, FIRST_RESPONSE))
    res_median, res_p90 = durations.percentiles(reads.times_whole(f, RESOLUTION))
    previous = _previous_numbers(f) if with_previous else {}
    open_now = _open_now(f)

    def count(key: str, label, total: int) -> KeyNumber:
        return KeyNumber(key, label, total, formats.number_format(total, force_grouping=True),
                         previous.get(key))

    def percent(key: str, label, value: float | None) -> KeyNumber:
        return KeyNumber(key, label, value, percent_text(value), previous.get(key))

    def duration(key: str, label, seconds: float | None) -> KeyNumber:
        return KeyNumber(key, label, hours(seconds), duration_text(seconds), previous.get(key))

    numbers = [
        count("opened", _("Reports (cases opened)"), totals["opened"]),
        count("messages_in", _("Citizen messages"), totals["messages_in"]),
        count("replies", _("Replies sent"), totals["replies"]),
        percent("answered_share", _("Share answered (%)"),
                share(totals["answered"], totals["opened"])),
        duration("first_response_median", _("Median first response (hours)"), fr_median),
        duration("first_response_p90", _("90th percentile first response (hours)"), fr_p90),
        duration("resolution_median", _("Median time to resolve (hours)"), res_median),
        count("thanks", _("Thanks received"), totals["thanks_in"]),
        percent("kasar_share", _("Abusive messages (%)"),
                share(totals["kasar_in"], totals["messages_in"])),
        count("referred", _("Referred to a body"), totals["referred"]),
        KeyNumber("open_now", _("Open now (all periods)"), open_now,
                  formats.number_format(open_now, force_grouping=True)),
    ]
    per = per_bucket(f, by_day)
    sections = [
        _volume_section(f, per),
        *_breakdown_sections(f),
        _times_section(f, first, resolved),
        _sla_section(f, per),
        _thanks_section(f, per),
        _operators_section(f),
        _kasar_section(f, per),
        _referrals_section(f),
    ]
    cursor = feed.cursor(rollup.FEED)
    return Report(filter=f, numbers=numbers, sections=sections, as_of=cursor.updated_at)


def _previous_numbers(f: ReportFilter) -> dict:
    p = f.previous()
    totals = reads.add_up(reads.counts_by_day(p).values())
    fr_median, fr_p90 = durations.percentiles(reads.times_whole(p, FIRST_RESPONSE))
    res_median = durations.percentiles(reads.times_whole(p, RESOLUTION))[0]
    return {
        "opened": totals["opened"], "messages_in": totals["messages_in"],
        "replies": totals["replies"], "answered_share": share(totals["answered"], totals["opened"]),
        "first_response_median": hours(fr_median), "first_response_p90": hours(fr_p90),
        "resolution_median": hours(res_median), "thanks": totals["thanks_in"],
        "kasar_share": share(totals["kasar_in"], totals["messages_in"]),
        "referred": totals["referred"],
    }


def _open_now(f: ReportFilter) -> int:
    # The open cases are read through the inbox's index and counted by the filters' values
    # here: a filter in the query would send the database through that column's index, over
    # every case of a channel since the desk began.
    wanted = {name: getattr(f, name) for name in ("channel_id", "kind", "intent", "topic",
                                                  "kasar")
              if getattr(f, name) not in (None, "")}
    if not wanted:
        return Case.objects.filter(workspace_id=f.workspace_id,
                                   status__in=OPEN_STATUSES).count()
    rows = (Case.objects.filter(workspace_id=f.workspace_id, status__in=OPEN_STATUSES)
            .values(*wanted).annotate(n=Count("id")).order_by())
    return sum(row["n"] for row in rows if all(row[k] == v for k, v in wanted.items()))


def _volume_section(f: ReportFilter, per: dict) -> Section:
    labels = [bucket_label(b, f.granularity) for b in buckets(f)]
    opened = [per[b]["opened"] for b in buckets(f)]
    messages = [per[b]["messages_in"] for b in buckets(f)]
    replies = [per[b]["replies"] for b in buckets(f)]
    rows = [[label, o, m, r] for label, o, m, r in zip(labels, opened, messages, replies,
                                                        strict=True) if o or m or r]
    return Section("volume", _("Volume over time"), Table(
        "volume", _("Volume over time"), [_("Period"), _("Reports"), _("Citizen messages"),
                                          _("Replies")], rows),
        Chart("line", labels, [{"label": _("Reports"), "data": opened},
                               {"label": _("Citizen messages"), "data": messages},
                               {"label": _("Replies"), "data": replies}]))


def _names(dimension: str, keys: Iterable, workspace_id: int) -> dict:
    keys = list(keys)
    if dimension == "channel_id":
        return {c.pk: f"{c.get_platform_display()} · {c.name or c.handle}"
                for c in ChannelAccount.objects.filter(pk__in=keys)}
    if dimension == "kind":
        return dict(CaseKind.choices)
    if dimension == "intent":
        return {k: str(v) for k, v in INTENT_LABELS.items()} | {"": _("Not read yet")}
    if dimension == "topic":
        return {k: str(v) for k, v in TOPIC_LABELS.items()} | {"": _("Not read yet")}
    if dimension == "body_id":
        return body_names(workspace_id) | {0: _("Not referred")}
    if dimension == "area":
        return {key: area_label(key) for key in keys}
    return {}


def body_names(workspace_id: int) -> dict[int, str]:
    """The bodies the workspace referred cases to, by the name of their latest referral."""
    names = {}
    for body_id, name in (ReferralFact.objects.filter(workspace_id=workspace_id)
                          .order_by("created_at").values_list("body_id", "body_name")):
        names[body_id] = name
    return names


BREAKDOWNS = (
    ("channel_id", "channel", gettext_lazy("By channel")),
    ("kind", "kind", gettext_lazy("By kind")),
    ("intent", "intent", gettext_lazy("By intent")),
    ("topic", "topic", gettext_lazy("By topic")),
    ("body_id", "body", gettext_lazy("By responsible body")),
    ("area", "area", gettext_lazy("By area")),
)


def _breakdown_sections(f: ReportFilter) -> list[Section]:
    found = reads.breakdowns(f)
    referred_ever = ReferralFact.objects.filter(workspace_id=f.workspace_id).exists()
    sections = []
    for dimension, key, title in BREAKDOWNS:
        rows = sorted(((value, counts) for value, counts in found[dimension].items()
                       if counts["opened"] or counts["messages_in"]),
                      key=lambda item: (-item[1]["opened"], str(item[0])))
        names = _names(dimension, [value for value, _counts in rows], f.workspace_id)
        table_rows = [[names.get(value, str(value)), c["opened"], c["messages_in"],
                       share(c["answered"], c["opened"]), c["thanks_in"]] for value, c in rows]
        absent = ""
        if dimension == "body_id" and not referred_ever:
            absent = _("No case of this desk has been referred to a body yet.")
        if dimension == "area" and all(value == "" for value, _counts in rows):
            absent = _("No report of this period gave a location.")
        chart_rows = [r for r in table_rows if not (dimension == "body_id" and r[0] == names[0])]
        chart_rows = [r for r in chart_rows if not (dimension == "area" and r[0] == names.get(""))]
        sections.append(Section(key, str(title), Table(
            key, str(title), [_("Value"), _("Reports"), _("Citizen messages"),
                              _("Share answered (%)"), _("Thanks")], table_rows),
            Chart("hbar" if len(chart_rows) > 6 else "bar", [r[0] for r in chart_rows[:20]],
                  [{"label": _("Reports"), "data": [r[1] for r in chart_rows[:20]]}]),
            absent=absent))
    return sections


def _times_section(f: ReportFilter, first: dict, resolved: dict) -> Section:
    first_by, res_by = _times_per_bucket(f, first), _times_per_bucket(f, resolved)
    labels, rows = [], []
    series = {"fm": [], "fp": [], "rm": [], "rp": []}
    for bucket in buckets(f):
        fm, fp = durations.percentiles(first_by.get(bucket, {}))
        rm, rp = durations.percentiles(res_by.get(bucket, {}))
        answered = durations.total(first_by.get(bucket, {}))
        solved = durations.total(res_by.get(bucket, {}))
        labels.append(bucket_label(bucket, f.granularity))
        for name, value in (("fm", fm), ("fp", fp), ("rm", rm), ("rp", rp)):
            series[name].append(hours(value))
        if answered or solved:
            rows.append([labels[-1], hours(fm), hours(fp), answered, hours(rm), hours(rp),
                         solved])
    return Section("times", _("Response and resolution times"), Table(
        "times", _("Response and resolution times (hours)"),
        [_("Period"), _("First response, median"), _("First response, 90th percentile"),
         _("Cases answered"), _("Resolution, median"), _("Resolution, 90th percentile"),
         _("Cases resolved")], rows,
        note=_("A case counts in the period of its first reply and of its resolution. Medians "
               "and percentiles are read from histograms of the times, so they are within a "
               "few percent of the exact value.")),
        Chart("line", labels, [
            {"label": _("First response, median"), "data": series["fm"]},
            {"label": _("First response, 90th percentile"), "data": series["fp"]},
            {"label": _("Resolution, median"), "data": series["rm"]},
            {"label": _("Resolution, 90th percentile"), "data": series["rp"]},
        ], unit=_("hours")))


SLA_COUNTERS = ("sla_first_met", "sla_first_breached", "sla_resolution_met",
                "sla_resolution_breached", "sla_next_breached")


def _sla_section(f: ReportFilter, per: dict) -> Section:
    labels = [bucket_label(b, f.granularity) for b in buckets(f)]
    rows = []
    for label, bucket in zip(labels, buckets(f), strict=True):
        c = per[bucket]
        if any(c[name] for name in SLA_COUNTERS):
            rows.append([label, c["sla_first_met"], c["sla_first_breached"],
                         share(c["sla_first_met"], c["sla_first_met"] + c["sla_first_breached"]),
                         c["sla_resolution_met"], c["sla_resolution_breached"],
                         share(c["sla_resolution_met"],
                               c["sla_resolution_met"] + c["sla_resolution_breached"]),
                         c["sla_next_breached"]])
    absent = ""
    if not rows and not SlaPolicyFact.objects.filter(workspace_id=f.workspace_id).exists():
        absent = _("This desk has no service-level agreements, so nothing is measured against "
                   "one.")
    return Section("sla", _("SLA met vs breached"), Table(
        "sla", _("SLA met vs breached"),
        [_("Period"), _("First response met"), _("First response breached"),
         _("First response met (%)"), _("Resolution met"), _("Resolution breached"),
         _("Resolution met (%)"), _("Next response breached")], rows,
        note=_("A clock kept by the desk's SLA policy counts as met on the day it ended in "
               "time, and as breached on the day it ran out.")),
        Chart("bar", labels, [
            {"label": _("First response met"), "data": [per[b]["sla_first_met"]
                                                        for b in buckets(f)]},
            {"label": _("First response breached"), "data": [per[b]["sla_first_breached"]
                                                             for b in buckets(f)]},
            {"label": _("Resolution met"), "data": [per[b]["sla_resolution_met"]
                                                    for b in buckets(f)]},
            {"label": _("Resolution breached"), "data": [per[b]["sla_resolution_breached"]
                                                         for b in buckets(f)]},
        ]), absent=absent)


def _thanks_section(f: ReportFilter, per: dict) -> Section:
    labels = [bucket_label(b, f.granularity) for b in buckets(f)]
    thanks = [per[b]["thanks_in"] for b in buckets(f)]
    rows = [[label, n, share(per[b]["thanks_in"], per[b]["messages_in"])]
            for label, n, b in zip(labels, thanks, buckets(f), strict=True) if n]
    return Section("thanks", _("Thanks received (apresiasi)"), Table(
        "thanks", _("Thanks received (apresiasi)"),
        [_("Period"), _("Thanks"), _("Share of citizen messages (%)")], rows),
        Chart("bar", labels, [{"label": _("Thanks"), "data": thanks}]))


def _operators_section(f: ReportFilter) -> Section:
    work = reads.operators(f)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=set(work))}
    rows = []
    for operator in sorted(work, key=lambda o: -work[o]["replies"]):
        w = work[operator]
        if not any(w.values()):
            continue
        user = users.get(operator)
        name = (user.get_full_name() or user.username) if user else f"#{operator}"
        average = (w["first_response_seconds"] / w["first_responses"]
                   if w["first_responses"] else None)
        rows.append([name, w["claims"], w["replies"], w["first_responses"], hours(average),
                     w["resolved"] + w["closed"]])
    return Section("operators", _("Workload and replies per operator"), Table(
        "operators", _("Workload and replies per operator"),
        [_("Operator"), _("Claims"), _("Replies"), _("First responses"),
         _("Average first response (hours)"), _("Resolved or closed")], rows),
        Chart("bar", [r[0] for r in rows], [{"label": _("Replies"), "data": [r[2] for r in rows]},
                                            {"label": _("Claims"), "data": [r[1] for r in rows]}]))


def _kasar_section(f: ReportFilter, per: dict) -> Section:
    labels = [bucket_label(b, f.granularity) for b in buckets(f)]
    shares = [share(per[b]["kasar_in"], per[b]["messages_in"]) for b in buckets(f)]
    rows = [[label, per[b]["kasar_in"], per[b]["messages_in"], s]
            for label, b, s in zip(labels, buckets(f), shares, strict=True)
            if per[b]["messages_in"]]
    return Section("kasar", _("Abusive share"), Table(
        "kasar", _("Abusive share"), [_("Period"), _("Abusive messages"), _("Citizen messages"),
                                      _("Share (%)")], rows),
        Chart("line", labels, [{"label": _("Abusive messages (%)"), "data": shares}], unit="%"))


def _referrals_section(f: ReportFilter) -> Section:
    facts = ReferralFact.objects.filter(workspace_id=f.workspace_id, created_day__gte=f.start,
                                        created_day__lte=f.end)
    if f.body_id is not None:
        facts = facts.filter(body_id=f.body_id)
    per_body: dict[int, dict] = {}
    for fact in facts.order_by("created_at"):
        row = per_body.setdefault(fact.body_id, {"name": fact.body_name, "statuses": defaultdict(
            int), "ack": [], "close": []})
        row["name"] = fact.body_name
        row["statuses"][fact.status] += 1
        if fact.acknowledged_at:
            row["ack"].append((fact.acknowledged_at - fact.created_at).total_seconds())
        if fact.closed_at and fact.status == "selesai":
            row["close"].append((fact.closed_at - fact.created_at).total_seconds())
    statuses = list(REFERRAL_STATUS_LABELS)
    rows = []
    for body in sorted(per_body.values(), key=lambda b: -sum(b["statuses"].values())):
        rows.append([body["name"], sum(body["statuses"].values()),
                     *(body["statuses"].get(s, 0) for s in statuses),
                     hours(median_p90(body["ack"])[0]), hours(median_p90(body["close"])[0])])
    absent = "" if ReferralFact.objects.filter(workspace_id=f.workspace_id).exists() else _(
        "No case of this desk has been referred to a body yet.")
    return Section("referrals", _("Referrals by body and status"), Table(
        "referrals", _("Referrals by body and status"),
        [_("Body"), _("Referrals"), *(str(REFERRAL_STATUS_LABELS[s]) for s in statuses),
         _("Median time to acknowledge (hours)"), _("Median time to resolve (hours)")], rows),
        Chart("stacked", [r[0] for r in rows], [
            {"label": str(REFERRAL_STATUS_LABELS[s]), "data": [r[2 + i] for r in rows]}
            for i, s in enumerate(statuses)]), absent=absent)


def channel_choices(workspace_id: int) -> list[tuple[int, str]]:
    return [(c.pk, f"{Platform(c.platform).label} · {c.name or c.handle}")
            for c in ChannelAccount.objects.filter(workspace_id=workspace_id).order_by("pk")]


def area_choices(workspace_id: int) -> list[tuple[str, str]]:
    areas = (RollupSlice.objects.filter(workspace_id=workspace_id, dimension="area")
             .exclude(value="").values("value").annotate(n=Sum("opened")).order_by("-n")[:200])
    return [(a["value"], area_label(a["value"])) for a in areas]