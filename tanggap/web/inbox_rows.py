"""The inbox rows' values, prepared once per page for `web/_inbox_rows.html`.

The rows used to be computed by the template itself (choice labels, `timesince`, `{% url %}`,
translations, two includes and an inclusion tag per row): about 24 template nodes a row, 90 ms of
CPU for a page of 100. Here each row becomes a plain dict of strings and flags, with every label
and translation looked up once per page, so the template is a flat run of `{{ }}` (still escaped
there: nothing in these dicts is marked safe). `bench/core/inbox_cpu.py` measures the page.
"""

from __future__ import annotations

import unicodedata
from collections import namedtuple
from datetime import datetime, timezone
from html import escape as html_escape

from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import avoid_wrapping
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import TIME_STRINGS, timesince, timeuntil
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tanggap.cases.actions import effective_holder_id
from tanggap.cases.language import TOPIC_LABELS, reason_label
from tanggap.cases.models import CaseKind, CaseStatus
from tanggap.cases.queries import ValuesRow
from tanggap.conf import compiled
from tanggap.connectors.models import ChannelAccount, Platform
from tanggap.roster import queries as roster_queries
from tanggap.sla import queries as sla_queries

# The columns the rows and their SLA clocks read (tanggap.sla.queries: kind, topic, status,
# created_at, updated_at), for the page's one query, read as plain values: turning 100 rows into
# cases, holders, contacts and channels was most of that query's cost. Not whole rows either:
# holders carry password hashes, channels their credentials and options. `last_text` and
# `referral_overdue` are the view's annotations (the overdue flag was a query of its own).
ROW_VALUES = (
    "pk", "workspace_id", "status", "version", "tracking_number", "kind", "topic", "kasar",
    "triage_reasons", "triage_unsure", "triage_confirmed", "last_inbound_at", "created_at",
    "updated_at", "claimed_by_id", "claim_expires_at", "claimed_by__username",
    "claimed_by__first_name", "claimed_by__last_name", "contact__display_name",
    "contact__external_id", "channel__platform", "last_text", "referral_overdue",
)


class CaseRow(namedtuple("_CaseRow", (
        "pk", "workspace_id", "status", "version", "tracking_number", "kind", "topic", "kasar",
        "triage_reasons", "triage_unsure", "triage_confirmed", "last_inbound_at", "created_at",
        "updated_at", "claimed_by_id", "claim_expires_at", "holder_username",
        "holder_first_name", "holder_last_name", "contact_display_name", "contact_external_id",
        "platform", "last_text", "referral_overdue"))):
    """One inbox line's columns, `ROW_VALUES` by `Case`'s names for what reads it as a case
    (the SLA clocks, `effective_holder_id`): a tuple, made by `CaseRow._make(values)` in one
    step (setting 23 attributes one by one on a `ValuesRow` cost more than that for 100 rows)."""

    __slots__ = ()
    id = property(ValuesRow.id.fget)
    needs_check = property(ValuesRow.needs_check.fget)


_PLACEHOLDER = 2_147_483_647
SNIPPET = 160


class _Unit:
    """One of Django's time units ("%(num)d minute(s)") whose words, per language and count,
    are translated once per process: `timesince` with these gives its own words and numbers
    without an ngettext per row."""

    __slots__ = ("name", "lazy")
    texts: dict[tuple[str, str, int], str] = {}

    def __init__(self, name: str, lazy):
        self.name, self.lazy = name, lazy

    def __mod__(self, values: dict) -> str:
        key = (get_language(), self.name, values["num"])
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = str(self.lazy % values)
        return text


UNITS = {name: _Unit(name, lazy) for name, lazy in TIME_STRINGS.items()}

# Below four weeks `timesince` counts no months (a month apart on the calendar is at least 28
# days), so its words depend on the whole minutes between the two moments alone. That holds for
# fixed offsets such as the database's UTC; a zone with summer time (its wall clock is what
# `timesince` compares) goes to `timesince` itself.
_NO_MONTHS = 28 * 24 * 60 * 60
_WEEKS_DAYS_HOURS_MINUTES = (("week", 7 * 24 * 60), ("day", 24 * 60), ("hour", 60),
                             ("minute", 1))


class Ages:
    """`timesince`'s and `timeuntil`'s words (depth 2, `UNITS`) for one page's `now`, from one
    subtraction and a few divisions a row instead of the calendar walk: about a third of the
    rows' preparation went to `timesince`. Four weeks or more go to `timesince` itself (months
    and years follow the calendar). `test_inbox_rows` compares both over every minute boundary."""

    __slots__ = ("now", "language", "separator", "words")

    # (language, unit, count) to the unit's words as `avoid_wrapping` gives them: the same for
    # every page of a process (at most 60 minutes, 24 hours, 7 days and 4 weeks a language).
    parts: dict[tuple[str, str, int], str] = {}

    def __init__(self, now: datetime):
        self.now = now
        self.language = get_language()
        self.separator: str | None = None
        self.words: dict[int, str] = {}

    def since(self, moment: datetime) -> str:
        """As `timesince(moment, now, time_strings=UNITS)`."""
        delta = self.now - moment
        seconds = delta.days * 86_400 + delta.seconds
        if seconds >= _NO_MONTHS or not self._fixed(moment):
            return timesince(moment, self.now, time_strings=UNITS)
        return self._words(seconds)

    def until(self, moment: datetime) -> str:
        """As `timeuntil(moment, now, time_strings=UNITS)`."""
        delta = moment - self.now
        seconds = delta.days * 86_400 + delta.seconds
        if seconds >= _NO_MONTHS or not self._fixed(moment):
            return timeuntil(moment, self.now, time_strings=UNITS)
        return self._words(seconds)

    def _fixed(self, moment: datetime) -> bool:
        return type(moment.tzinfo) is timezone and type(self.now.tzinfo) is timezone

    def _words(self, seconds: int) -> str:
        minutes = seconds // 60 if seconds > 0 else 0
        text = self.words.get(minutes)
        if text is not None:
            return text
        parts, left = [], minutes
        for name, size in _WEEKS_DAYS_HOURS_MINUTES:
            count, left = divmod(left, size)
            if count:
                parts.append(self._part(name, count))
            elif parts:
                break  # only adjacent units, as timesince
            if len(parts) == 2:
                break
        if not parts:
            text = self._part("minute", 0)
        elif len(parts) == 1:
            text = parts[0]
        else:
            if self.separator is None:
                self.separator = _(", ")
            text = self.separator.join(parts)
        self.words[minutes] = text
        return text

    def _part(self, name: str, count: int) -> str:
        key = (self.language, name, count)
        text = self.parts.get(key)
        if text is None:
            text = self.parts[key] = avoid_wrapping(UNITS[name] % {"num": count})
        return text


def _snippet(text: str | None) -> str:
    """`{{ text|truncatechars:160 }}`: a text that cannot be longer is only normalised, as the
    filter does; a longer one goes through the filter itself."""
    text = text or ""
    if len(text) <= SNIPPET:
        return unicodedata.normalize("NFC", text)
    return truncatechars(text, SNIPPET)


def page_texts() -> dict:
    """The rows' fixed words in the reader's language, translated once per page."""
    return {
        "needs_check": _("needs checking"),
        "abusive": _("abusive"),
        "for_you": _("for you"),
        "overdue_referral": _("A referral of this case is past its time limit"),
        "overdue": _("overdue"),
        "empty": _("No cases here. Nice and quiet."),
    }


def prepare_rows(cases: list[CaseRow], *, now: datetime, user, workspace) -> list[dict]:
    """One dict per case, in order: what `web/_inbox_rows.html` prints for it."""
    offers = roster_queries.open_offers(c.pk for c in cases)
    clocks = sla_queries.clocks_for(cases, now)
    # One reverse() for the page: every row's link is the same path around its id.
    head, tail = reverse("case", args=[workspace.slug, _PLACEHOLDER]).split(str(_PLACEHOLDER))
    statuses = {value: str(label) for value, label in CaseStatus.choices}
    kinds = {value: str(label) for value, label in CaseKind.choices}
    lapsed_label = _("Claim lapsed")
    platforms = {value: str(label) for value, label in Platform.choices}
    holders: dict[int, str] = {}
    select, you_hold, held_by = _("Select %(number)s"), _("You hold it"), _("Held by")
    clock_texts = {"paused": "⏸ " + _("paused"), "met": "✓ " + _("on time"),
                   "breached": "⏰ " + _("overdue")}
    ages = Ages(now)
    rows = []
    for case in cases:
        holder_active = effective_holder_id(case, now) is not None
        lapsed = case.status == CaseStatus.DIKLAIM and not holder_active
        reasons = case.triage_reasons
        needs_check = case.needs_check
        topic_label = "" if needs_check else str(TOPIC_LABELS.get(case.topic, ""))
        row = {
            # Numbers as text: the template would run each through localize() per row.
            "pk": str(case.pk),
            "status": case.status,
            "version": str(case.version),
            "tracking_number": case.tracking_number,
            "select": select % {"number": case.tracking_number},
            "url": f"{head}{case.pk}{tail}",
            # As `str(contact)` and `get_platform_display()`.
            "who": case.contact_display_name or case.contact_external_id,
            "platform": case.platform,
            "platform_label": platforms.get(case.platform, case.platform),
            "status_class": f"st-{case.status} st-lapsed" if lapsed else f"st-{case.status}",
            "shown_status": lapsed_label if lapsed else statuses.get(case.status, case.status),
            "kind": kinds.get(case.kind, case.kind),
            "needs_check": needs_check,
            "topic": case.topic,
            "topic_label": topic_label,
            "kasar": case.kasar,
            "reasons": (", ".join(reason_label(r) for r in reasons or [])
                        if (needs_check or topic_label or case.kasar) else ""),
            "overdue": case.referral_overdue,
            "waiting_since": case.last_inbound_at.isoformat(),
            "waited": ages.since(case.last_inbound_at),
            "snippet": _snippet(case.last_text),
            "holder": "",
            # Every key is always there: a missing one costs the template three exceptions.
            "offer_to": "", "offer_mine": False, "offer_note": "", "sla": None,
        }
        if holder_active:
            if case.claimed_by_id == user.pk:
                row["holder"] = you_hold
            else:
                if case.claimed_by_id not in holders:
                    # As `get_full_name() or username`.
                    full_name = f"{case.holder_first_name} {case.holder_last_name}".strip()
                    holders[case.claimed_by_id] = (
                        f"{held_by} {full_name or case.holder_username}")
                row["holder"] = holders[case.claimed_by_id]
        offer = offers.get(case.pk)
        if offer is not None and not holder_active:
            row["offer_mine"] = offer.user_id == user.pk
            row["offer_note"] = offer.note
            row["offer_to"] = offer.user.username
        clock = clocks.get(case.pk)
        if clock is not None:
            state = clock.state(now)
            row["sla"] = {
                "state": state,
                "due": clock.next_due_at.isoformat() if clock.next_due_at else "",
                "warn": clock.warn_at.isoformat() if clock.warn_at else "",
                "policy": clock.policy_name,
                "text": clock_texts.get(state) or (
                    "⏱ " + ages.until(clock.next_due_at)
                    if clock.next_due_at else "⏱ "),
            }
        rows.append(row)
    return rows


def _escape(value) -> str:
    """What `django.utils.html.escape` does (`html.escape(str(value))`), without its `keep_lazy`
    wrapper, which looked for lazy strings among the arguments at three times the cost of the
    escaping (some 1,500 values a page; the values here are plain strings already)."""
    return html_escape(str(value))


class _Escaped(dict):
    """`_escape` of each value once per page: most of a row's values (status, kind, channel,
    labels, the waiting time, the holder, the fixed words) repeat down the page, and escaping
    some 1,800 values a page was a third of printing the rows."""

    def __missing__(self, value) -> str:
        text = self[value] = _escape(value)
        return text


def rows_html(rows: list[dict], *, texts: dict, can_write: bool) -> SafeString:
    """The rows' `<li>`s, byte for byte what the `{% for %}` of `web/_inbox_rows.html` printed
    (test_inbox_rows pins it): Django's template engine spent about 2.3 µs on each of some 2,900
    nodes a page. Every value is escaped as `{{ }}` did; only this markup is marked safe. The id
    and the version are the digits of an int (`prepare_rows`), which escaping leaves as they
    are; a value that repeats down the page is escaped once (`_Escaped`)."""
    parts = []
    add = parts.append
    same = _Escaped().__getitem__
    for row in rows:
        pk, status, version = row["pk"], same(row["status"]), row["version"]
        add(f'''
  <li class="case-row status-{status}" data-case-id="{pk}" data-version="{version}" tabindex="-1">
    ''')
        if can_write:
            add(f'<input type="checkbox" class="pick" data-case-id="{pk}" '
                f'aria-label="{_escape(row["select"])}">')
        add(f'''
    <a href="{_escape(row["url"])}">
      <span class="line">
        <span class="who">{_escape(row["who"])}</span>
        <span class="chan chan-{same(row["platform"])}">{same(row["platform_label"])}</span>
        <span class="badge {same(row["status_class"])}">{same(row["shown_status"])}</span>
        <span class="badge kind">{same(row["kind"])}</span>
        ''')
        add(_badges(row, texts, same))
        add(f'''

        <span class="grow"></span>
        <time datetime="{_escape(row["waiting_since"])}">{same(row["waited"])}</time>
      </span>
      <span class="snippet">{_escape(row["snippet"])}</span>
      <span class="line meta">
        <span class="holder">{same(row["holder"])}</span>
        <span class="presence" data-presence-for="{pk}"></span>
        <span class="grow"></span>
        <span class="track">{_escape(row["tracking_number"])}</span>
      </span>
    </a>
  </li>
''')
    return mark_safe("".join(parts))


def _badges(row: dict, texts: dict, same) -> str:
    """The topic, referral, abuse, offer and clock badges with the lines the template kept
    between them (`same`: the page's `_Escaped`)."""
    reasons = same(row["reasons"])
    topic = overdue = kasar = offer = sla = ""
    if row["needs_check"]:
        topic = (f'<span class="badge check" title="{reasons}">'
                 f'{same(texts["needs_check"])}</span>')
    elif row["topic_label"]:
        topic = (f'<span class="badge topic topic-{same(row["topic"])}" title="{reasons}">'
                 f'{same(row["topic_label"])}</span>')
    if row["overdue"]:
        overdue = (f'<span class="badge overdue" title="{same(texts["overdue_referral"])}">'
                   f'{same(texts["overdue"])}</span>')
    if row["kasar"]:
        kasar = f'<span class="badge kasar" title="{reasons}">{same(texts["abusive"])}</span>'
    if row["offer_to"]:
        if row["offer_mine"]:
            offer = (f'<span class="badge untukmu" title="{_escape(row["offer_note"])}">'
                     f'{same(texts["for_you"])}</span>')
        else:
            offer = f'<span class="badge offered">→ {same(row["offer_to"])}</span>'
    clock = row["sla"]
    if clock:
        state = same(clock["state"])
        sla = (f'<span class="badge sla sla-{state}" data-sla-due="{_escape(clock["due"])}" '
               f'data-sla-warn="{_escape(clock["warn"])}" data-sla-state="{state}" '
               f'title="{same(clock["policy"])}">{same(clock["text"])}</span>')
    return f"{topic}\n        {overdue}\n\n        {kasar}\n        {offer}\n{sla}"


def options_html(choices, selected=None) -> SafeString:
    """A filter menu's `<option>`s for (value, label) pairs, `selected` on the one equal to
    `selected`: byte for byte the `{% for %}` loops `web/inbox.html` had (test_inbox_rows pins
    it), which were some 180 template nodes and a lazy translation each on every page."""
    return mark_safe("".join(
        f'<option value="{_escape(value)}"{" selected" if value == selected else ""}>'
        f"{_escape(label)}</option>" for value, label in choices))


def channel_choices(workspace_id: int) -> list[tuple[str, str]]:
    """(id, label) of the workspace's channels for the channel menu, the label as
    `str(channel)` prints it (`get_platform_display()` and the handle), from a statement
    compiled once (tanggap.conf.compiled) and the three columns it reads."""
    found = compiled.rows(
        "web.channel_choices",
        lambda values: ChannelAccount.objects.filter(workspace_id=values["workspace_id"])
        .values_list("pk", "platform", "handle"),
        {"workspace_id": int(workspace_id)})
    platforms = {value: str(label) for value, label in Platform.choices}
    return [(str(pk), f"{platforms.get(platform, platform)} {handle}")
            for pk, platform, handle in found]
