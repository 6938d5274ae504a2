"""What a report is asked for: a period, a granularity and filters, read from a query string and
checked, so that a wrong value is named to the reader instead of turning into an empty report."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta

from django.utils.translation import gettext as _

from tanggap import language
from tanggap.cases.models import CaseKind
from tanggap.errors import InvalidInput

GRANULARITIES = ("day", "week", "month")
# A report covers at most this many days (a few years: the daily roll-ups stay small).
MAX_DAYS = 3 * 366
_AREA = re.compile(r"-?\d{1,2}\.\d{2},-?\d{1,3}\.\d{2}")


@dataclass(frozen=True)
class ReportFilter:
    workspace_id: int
    start: date
    end: date  # inclusive
    granularity: str = "day"
    channel_id: int | None = None
    kind: str = ""
    intent: str = ""
    topic: str = ""
    kasar: bool | None = None
    body_id: int | None = None
    area: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dimension_filters(self) -> dict:
        """The filters as field lookups of the roll-up and fact tables."""
        found = {}
        for name in ("channel_id", "body_id", "kasar"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        for name in ("kind", "intent", "topic", "area"):
            value = getattr(self, name)
            if value:
                found[name] = value
        return found

    def query(self) -> dict[str, str]:
        """Back into query-string parameters (for links to exports of the same report)."""
        values = asdict(self)
        values.pop("workspace_id")
        out = {"from": self.start.isoformat(), "to": self.end.isoformat(),
               "by": self.granularity}
        for name in ("channel_id", "body_id"):
            if values[name] is not None:
                out[name.removesuffix("_id")] = str(values[name])
        for name in ("kind", "intent", "topic", "area"):
            if values[name]:
                out[name] = values[name]
        if self.kasar is not None:
            out["kasar"] = "true" if self.kasar else "false"
        return out

    def previous(self) -> ReportFilter:
        """The period of the same length just before this one (for comparisons)."""
        length = timedelta(days=self.days)
        return replace(self, start=self.start - length, end=self.start - timedelta(days=1))


def month_bounds(month: str) -> tuple[date, date]:
    """"2026-11" → (2026-11-01, 2026-11-30)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(_("A month looks like 2026-11."), field="month")
    start = date(int(match.group(1)), int(match.group(2)), 1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def _date(params, name: str, default: date) -> date:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("'%(field)s' must be a date like 2026-11-30.") % {"field": name},
                           field=name) from None


def _int(params, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput(_("'%(field)s' must be a number.") % {"field": name}, field=name)
    return int(raw)


def _choice(params, name: str, choices) -> str:
    raw = (params.get(name) or "").strip()
    if raw and raw not in choices:
        raise InvalidInput(_("'%(field)s' must be one of %(choices)s.")
                           % {"field": name, "choices": ", ".join(choices)}, field=name)
    return raw


def parse(params, *, workspace_id: int, today: date) -> ReportFilter:
    """A ReportFilter from query parameters: from, to (dates, inclusive; default the last 30
    days), by (day|week|month), channel, kind, intent, topic, kasar, body, area."""
    end = _date(params, "to", today)
    start = _date(params, "from", end - timedelta(days=29))
    if start > end:
        raise InvalidInput(_("The period starts after it ends."), field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(_("A report covers at most %(days)d days.") % {"days": MAX_DAYS},
                           field="from")
    granularity = _choice(params, "by", GRANULARITIES) or (
        "day" if (end - start).days < 62 else "week" if (end - start).days < 190 else "month")
    kasar_raw = (params.get("kasar") or "").strip()
    if kasar_raw not in ("", "true", "false"):
        raise InvalidInput(_("'kasar' must be true or false."), field="kasar")
    area = (params.get("area") or "").strip()
    if area and not _AREA.fullmatch(area):
        raise InvalidInput(_("'area' must look like -1.27,116.83."), field="area")
    return ReportFilter(
        workspace_id=workspace_id, start=start, end=end, granularity=granularity,
        channel_id=_int(params, "channel"),
        kind=_choice(params, "kind", CaseKind.values),
        intent=_choice(params, "intent", language.INTENTS),
        topic=_choice(params, "topic", language.TOPICS),
        kasar=None if not kasar_raw else kasar_raw == "true",
        body_id=_int(params, "body"),
        area=area,
    )
