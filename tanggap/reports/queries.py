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
from django.db.models import Count, Q, Sum
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tanggap.audit import feed
from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
from tanggap.cases.models import OPEN_STATUSES, Case, CaseKind
from tanggap.connectors.models import ChannelAccount, Platform
from tanggap.reports import locations, rollup
from tanggap.reports.filters import ReportFilter
from tanggap.reports.models import CaseFact, DailyRollup, ReferralFact

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
    return DailyRollup.objects.filter(workspace_id=f.workspace_id, day__gte=f.start,
                                      day__lte=f.end, **f.dimension_filters())


def _facts(f: ReportFilter, day_field: str):
    return CaseFact.objects.filter(workspace_id=f.workspace_id,
                                   **{f"{day_field}__gte": f.start, f"{day_field}__lte": f.end},
                                   **f.dimension_filters())


CASE_LEVEL = Q(operator_id=0)


def _totals(qs) -> dict:
    sums = qs.aggregate(
        opened=Sum("opened", filter=CASE_LEVEL), messages_in=Sum("messages_in", filter=CASE_LEVEL),
        thanks_in=Sum("thanks_in", filter=CASE_LEVEL), kasar_in=Sum("kasar_in", filter=CASE_LEVEL),
        answered=Sum("answered", filter=CASE_LEVEL),
        first_responses=Sum("first_responses", filter=CASE_LEVEL),
        resolved=Sum("resolved", filter=CASE_LEVEL), closed=Sum("closed", filter=CASE_LEVEL),
        referred=Sum("referred", filter=CASE_LEVEL), replies=Sum("replies"), claims=Sum("claims"))
    return {key: value or 0 for key, value in sums.items()}


# ---------------------------------------------------------------------------------------------
# The report


def build_report(f: ReportFilter, *, with_previous: bool = True) -> Report:
    totals = _totals(_rollups(f))
    first = list(_facts(f, "first_response_day").values_list("first_response_day",
                                                              "first_response_seconds"))
    resolved = list(_facts(f, "resolved_day").values_list("resolved_day", "resolution_seconds"))
    fr_median, fr_p90 = median_p90([s for _, s in first])
    res_median, res_p90 = median_p90([s for _, s in resolved])
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
    sections = [
        _volume_section(f),
        *_breakdown_sections(f),
        _times_section(f, first, resolved),
        _sla_section(),
        _thanks_section(f),
        _operators_section(f),
        _kasar_section(f),
        _referrals_section(f),
    ]
    cursor = feed.cursor(rollup.FEED)
    return Report(filter=f, numbers=numbers, sections=sections, as_of=cursor.updated_at)


def _previous_numbers(f: ReportFilter) -> dict:
    p = f.previous()
    totals = _totals(_rollups(p))
    fr = _facts(p, "first_response_day").values_list("first_response_seconds", flat=True)
    res = _facts(p, "resolved_day").values_list("resolution_seconds", flat=True)
    fr_median, fr_p90 = median_p90(list(fr))
    res_median = median_p90(list(res))[0]
    return {
        "opened": totals["opened"], "messages_in": totals["messages_in"],
        "replies": totals["replies"], "answered_share": share(totals["answered"], totals["opened"]),
        "first_response_median": hours(fr_median), "first_response_p90": hours(fr_p90),
        "resolution_median": hours(res_median), "thanks": totals["thanks_in"],
        "kasar_share": share(totals["kasar_in"], totals["messages_in"]),
        "referred": totals["referred"],
    }


def _open_now(f: ReportFilter) -> int:
    cases = Case.objects.filter(workspace_id=f.workspace_id, status__in=OPEN_STATUSES)
    if f.channel_id is not None:
        cases = cases.filter(channel_id=f.channel_id)
    for name in ("kind", "intent", "topic"):
        if getattr(f, name):
            cases = cases.filter(**{name: getattr(f, name)})
    if f.kasar is not None:
        cases = cases.filter(kasar=f.kasar)
    return cases.count()


def _per_bucket(f: ReportFilter, qs, fields: dict) -> dict[date, dict]:
    rows = qs.values("day").annotate(**fields).order_by("day")
    out: dict[date, dict] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        bucket = bucket_of(row.pop("day"), f.granularity)
        for key, value in row.items():
            out[bucket][key] += value or 0
    return out


def _volume_section(f: ReportFilter) -> Section:
    per = _per_bucket(f, _rollups(f), {
        "opened": Sum("opened", filter=CASE_LEVEL),
        "messages_in": Sum("messages_in", filter=CASE_LEVEL), "replies": Sum("replies")})
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
    sections = []
    for dimension, key, title in BREAKDOWNS:
        rows = list(_rollups(f).filter(CASE_LEVEL).values(dimension).annotate(
            opened=Sum("opened"), messages_in=Sum("messages_in"), answered=Sum("answered"),
            thanks_in=Sum("thanks_in")).filter(Q(opened__gt=0) | Q(messages_in__gt=0))
            .order_by("-opened"))
        names = _names(dimension, [r[dimension] for r in rows], f.workspace_id)
        table_rows = [[names.get(r[dimension], str(r[dimension])), r["opened"], r["messages_in"],
                       share(r["answered"], r["opened"]), r["thanks_in"]] for r in rows]
        absent = ""
        if dimension == "body_id" and not ReferralFact.objects.filter(
                workspace_id=f.workspace_id).exists():
            absent = _("No case of this desk has been referred to a body yet.")
        if dimension == "area" and all(r[dimension] == "" for r in rows):
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


def _times_section(f: ReportFilter, first: list, resolved: list) -> Section:
    first_by, res_by = defaultdict(list), defaultdict(list)
    for day, seconds in first:
        first_by[bucket_of(day, f.granularity)].append(seconds)
    for day, seconds in resolved:
        res_by[bucket_of(day, f.granularity)].append(seconds)
    labels, rows = [], []
    series = {"fm": [], "fp": [], "rm": [], "rp": []}
    for bucket in buckets(f):
        fm, fp = median_p90(first_by[bucket])
        rm, rp = median_p90(res_by[bucket])
        labels.append(bucket_label(bucket, f.granularity))
        for name, value in (("fm", fm), ("fp", fp), ("rm", rm), ("rp", rp)):
            series[name].append(hours(value))
        if first_by[bucket] or res_by[bucket]:
            rows.append([labels[-1], hours(fm), hours(fp), len(first_by[bucket]), hours(rm),
                         hours(rp), len(res_by[bucket])])
    return Section("times", _("Response and resolution times"), Table(
        "times", _("Response and resolution times (hours)"),
        [_("Period"), _("First response, median"), _("First response, 90th percentile"),
         _("Cases answered"), _("Resolution, median"), _("Resolution, 90th percentile"),
         _("Cases resolved")], rows,
        note=_("A case counts in the period of its first reply and of its resolution.")),
        Chart("line", labels, [
            {"label": _("First response, median"), "data": series["fm"]},
            {"label": _("First response, 90th percentile"), "data": series["fp"]},
            {"label": _("Resolution, median"), "data": series["rm"]},
            {"label": _("Resolution, 90th percentile"), "data": series["rp"]},
        ], unit=_("hours")))


def _sla_section() -> Section:
    # No SLA clocks exist yet (a later issue); the series appears once they record their events.
    return Section("sla", _("SLA met vs breached"), Table(
        "sla", _("SLA met vs breached"), [_("Period"), _("Met"), _("Breached")], []),
        absent=_("This desk has no service-level agreements yet, so nothing is measured "
                 "against one."))


def _thanks_section(f: ReportFilter) -> Section:
    per = _per_bucket(f, _rollups(f).filter(CASE_LEVEL), {"thanks_in": Sum("thanks_in"),
                                                          "messages_in": Sum("messages_in")})
    labels = [bucket_label(b, f.granularity) for b in buckets(f)]
    thanks = [per[b]["thanks_in"] for b in buckets(f)]
    rows = [[label, n, share(per[b]["thanks_in"], per[b]["messages_in"])]
            for label, n, b in zip(labels, thanks, buckets(f), strict=True) if n]
    return Section("thanks", _("Thanks received (apresiasi)"), Table(
        "thanks", _("Thanks received (apresiasi)"),
        [_("Period"), _("Thanks"), _("Share of citizen messages (%)")], rows),
        Chart("bar", labels, [{"label": _("Thanks"), "data": thanks}]))


def _operators_section(f: ReportFilter) -> Section:
    work = {r["operator_id"]: r for r in _rollups(f).exclude(CASE_LEVEL).values("operator_id")
            .annotate(claims=Sum("claims"), replies=Sum("replies"), resolved=Sum("resolved"),
                      closed=Sum("closed"))}
    firsts = defaultdict(list)
    for operator, seconds in _facts(f, "first_response_day").exclude(
            first_response_by=None).values_list("first_response_by", "first_response_seconds"):
        firsts[operator].append(seconds)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=set(work) | set(firsts))}
    rows = []
    for operator in sorted(set(work) | set(firsts),
                           key=lambda o: -(work.get(o, {}).get("replies") or 0)):
        user = users.get(operator)
        name = (user.get_full_name() or user.username) if user else f"#{operator}"
        w = work.get(operator, {})
        median, _p90 = median_p90(firsts.get(operator, []))
        rows.append([name, w.get("claims") or 0, w.get("replies") or 0,
                     len(firsts.get(operator, [])), hours(median),
                     (w.get("resolved") or 0) + (w.get("closed") or 0)])
    return Section("operators", _("Workload and replies per operator"), Table(
        "operators", _("Workload and replies per operator"),
        [_("Operator"), _("Claims"), _("Replies"), _("First responses"),
         _("Median first response (hours)"), _("Resolved or closed")], rows),
        Chart("bar", [r[0] for r in rows], [{"label": _("Replies"), "data": [r[2] for r in rows]},
                                            {"label": _("Claims"), "data": [r[1] for r in rows]}]))


def _kasar_section(f: ReportFilter) -> Section:
    per = _per_bucket(f, _rollups(f).filter(CASE_LEVEL), {"kasar_in": Sum("kasar_in"),
                                                          "messages_in": Sum("messages_in")})
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
    areas = (CaseFact.objects.filter(workspace_id=workspace_id).exclude(area="")
             .values("area").annotate(n=Count("case_id")).order_by("-n")[:200])
    return [(a["area"], area_label(a["area"])) for a in areas]
