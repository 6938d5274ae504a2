"""A year of the demo desk's past, so its reports and transparency page look like a city's.

Fast because it is planned in memory and written in bulk: contacts, cases, messages, the citizen
form's submissions (with points around Balikpapan) and the audit events the desk's actions would
have written for them (case.opened, portal.submitted, case.citizen_wrote, case.claimed,
case.replied, case.status_changed), and the breaches of the workspace's SLA policies that the
sla room's periodic check would have recorded (its Breach rows and sla.breached events, worked
out with its own clock maths), each table in one `executemany` (Django's bulk_create spends
most of its time building SQL); then the report roll-ups read that audit trail like any other
(tanggap.reports.rollup). The words come from the simulator's texts, read by the language engine
in one batch. `bench/reports` uses the same generator for its million messages.

Every case of the history is answered or closed: the live inbox keeps only the seeded recent
cases and what the simulator brings. Deterministic for a given seed and `now` (tracking numbers
aside). Never used for a real workspace.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from tanggap import language
from tanggap.audit.models import AuditEvent
from tanggap.cases.language import INTENT_TO_KIND
from tanggap.cases.models import Case, CaseKind, CaseStatus, Contact, Direction, Message
from tanggap.cases.tracking import new_tracking_number
from tanggap.connectors.models import ChannelAccount
from tanggap.demo import texts
from tanggap.demo.simulator import FIRST_NAMES, LAST_NAMES
from tanggap.portal.models import Submission
from tanggap.reports import rollup
from tanggap.reports.rollup import prepared_rows
from tanggap.sla import clocks
from tanggap.sla import queries as sla_queries
from tanggap.sla.models import Breach, SlaPolicy
from tanggap.workspaces.models import Membership, Role, Workspace

HISTORY_DAYS = 365
CASES_PER_DAY = 30
HISTORY_SEED = 2016
# The roll-ups read a long history in big transactions: nobody else writes during the setup.
ROLLUP_BATCH = 5000
# Days planned, triaged and written in one go (and one transaction).
WINDOW_DAYS = 30
# Where citizens who use the form tend to be: kelurahan centres of Balikpapan (approximate).
FORM_PLACES = (
    (-1.2686, 116.8312), (-1.2654, 116.8453), (-1.2563, 116.8640), (-1.2445, 116.8790),
    (-1.2390, 116.8915), (-1.2290, 116.8560), (-1.2180, 116.8290), (-1.2050, 116.8830),
    (-1.2470, 116.8200), (-1.2760, 116.8960), (-1.2270, 116.9530), (-1.1890, 116.8050),
)
# How the channels share the work (the seed's Twitter, Facebook and Instagram, and the form).
CHANNEL_WEIGHTS = {"x": 0.34, "facebook": 0.30, "instagram": 0.24, "web": 0.12}


@dataclass
class HistoryReport:
    cases: int = 0
    messages: int = 0
    events: int = 0
    rollup_events: int = 0
    skipped: str = ""
    seconds: dict = field(default_factory=dict)


def has_history(workspace: Workspace, now: datetime) -> bool:
    return Case.objects.filter(workspace=workspace,
                               created_at__lt=now - timedelta(days=7)).exists()


def generate_history(*, workspace: Workspace, now: datetime, days: int | None = None,
                     per_day: int | None = None, seed: int = HISTORY_SEED,
                     clock: Callable[[], float] | None = None,
                     progress: Callable[[HistoryReport], None] | None = None) -> HistoryReport:
    """Write `days` of past cases (about `per_day` a day; HISTORY_DAYS and CASES_PER_DAY by
    default) before `now`, once, a window of WINDOW_DAYS at a time (one transaction each, so a
    city's year never sits in memory whole); `clock` (a monotonic clock) times the steps into
    `report.seconds`, and `progress` hears after each window."""
    days, per_day = days or HISTORY_DAYS, per_day or CASES_PER_DAY
    report = HistoryReport()
    if has_history(workspace, now):
        report.skipped = "the workspace already has cases older than a week"
        return report
    channels = {c.platform: c for c in ChannelAccount.objects.filter(workspace=workspace)}
    operators = _people(workspace, (Role.OPERATOR,))
    supervisors = _people(workspace, (Role.SUPERVISOR, Role.ADMIN)) or operators
    if not channels or not operators:
        report.skipped = "the workspace has no channels or operators"
        return report
    tick = _Ticks(clock)
    rng = random.Random(seed)
    follow_ups = {text: language.classify(text).as_dict()
                  for kind in texts.FOLLOW_UPS for text in texts.FOLLOW_UPS[kind]}
    start = now - timedelta(days=days)
    last = days - 2  # the last two days belong to the seeded inbox
    for first in range(0, last, WINDOW_DAYS):
        plans = _plan(rng, channels, start, range(first, min(first + WINDOW_DAYS, last)),
                      per_day)
        readings = [t.as_dict() for t in language.classify_many([p.text for p in plans])]
        tick("plan and triage", report)
        with transaction.atomic():
            _write(workspace, plans, readings, follow_ups, operators, supervisors, rng, report,
                   now)
        tick("write", report)
        if progress:
            progress(report)
    report.rollup_events = rollup.catch_up(now=now, batch_size=ROLLUP_BATCH).handled
    tick("roll-ups", report)
    return report


class _Ticks:
    def __init__(self, clock) -> None:
        self.clock, self.last = clock, clock() if clock else 0.0

    def __call__(self, step: str, report: HistoryReport) -> None:
        if self.clock:
            now = self.clock()
            report.seconds[step] = round(report.seconds.get(step, 0.0) + now - self.last, 2)
            self.last = now


def _people(workspace, roles) -> list[tuple[int, str]]:
    """(user id, the name a reply is signed with) of the workspace's members in `roles`."""
    return [(m.user_id, m.user.get_full_name() or m.user.username)
            for m in Membership.objects.filter(workspace=workspace, role__in=roles)
            .select_related("user").order_by("pk")]


@dataclass
class _Plan:
    at: datetime
    channel: ChannelAccount
    base: texts.BaseText
    text: str
    name: str


def _plan(rng: random.Random, channels: dict, start: datetime, days: range,
          per_day: int) -> list[_Plan]:
    platforms = [p for p in CHANNEL_WEIGHTS if p in channels]
    weights = [CHANNEL_WEIGHTS[p] for p in platforms]
    plans = []
    for day in days:
        # A city's week: quieter on Sundays, busier after rain (a few stormy days a month).
        midnight = start + timedelta(days=day)
        count = int(per_day * (0.6 if midnight.weekday() == 6 else 1.0)
                    * (1.8 if rng.random() < 0.06 else 1.0) * rng.uniform(0.8, 1.2))
        for _ in range(count):
            # Most messages between 7 and 22 local time (UTC+8 in Balikpapan).
            hour = (rng.triangular(7, 22, 11) - 8) % 24
            platform = rng.choices(platforms, weights)[0]
            composed = texts.compose(rng, limit=280 if platform == "x" else 1000)
            plans.append(_Plan(midnight + timedelta(hours=hour), channels[platform],
                               composed.base, composed.text,
                               f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"))
    plans.sort(key=lambda p: p.at)
    return plans


def _life(plan: _Plan, kind: str, intent: str, operators, supervisors, rng,
          until: datetime) -> list[tuple]:
    """What happened after the first message: (step, at, actor id, extra), in time order, all
    before `until`."""
    return [(step, min(at, until), actor, extra) for step, at, actor, extra
            in _steps(plan, kind, intent, operators, supervisors, rng)]


def _steps(plan: _Plan, kind: str, intent: str, operators, supervisors, rng) -> list[tuple]:
    if intent == "spam" or rng.random() < 0.04:
        at = plan.at + timedelta(minutes=rng.uniform(20, 600))
        return [("status", at, rng.choice(supervisors)[0], {"status": "ditutup"})]
    operator, author = rng.choice(operators)
    # Faster in office hours, slower at night. Minutes to the first reply.
    local_hour = (plan.at.hour + 8) % 24
    wait = rng.lognormvariate(3.0 if 8 <= local_hour <= 17 else 4.3, 0.9)
    replied = plan.at + timedelta(minutes=max(2.0, wait))
    reply = texts.reply_for(plan.base)
    steps = [("claimed", plan.at + timedelta(minutes=max(1.0, wait * rng.uniform(0.3, 0.8))),
              operator, {}),
             ("replied", replied, operator, {"text": reply, "author": author})]
    if kind == CaseKind.ADUAN and rng.random() < 0.35:
        wrote = replied + timedelta(hours=rng.uniform(2, 72))
        replied = wrote + timedelta(minutes=rng.uniform(10, 240))
        steps += [("wrote", wrote, None, {"text": texts.follow_up(kind, rng)}),
                  ("replied", replied, operator, {"text": reply, "author": author})]
    # Every past case ends done or closed, so none of them waits in today's inbox.
    hours = rng.lognormvariate(3.6 if kind == CaseKind.ADUAN else 2.2, 0.8)
    steps.append(("status", replied + timedelta(hours=hours), operator,
                  {"status": CaseStatus.SELESAI if rng.random() < 0.8 else CaseStatus.DITUTUP}))
    return steps


_STATUS_AFTER = {"claimed": CaseStatus.DIKLAIM, "replied": CaseStatus.DIJAWAB,
                 "wrote": CaseStatus.DIKLAIM}
_ORDER = {"case.opened": 0, "portal.submitted": 1, "case.citizen_wrote": 2, "case.claimed": 3,
          "case.replied": 4, "case.status_changed": 5, "sla.breached": 6}
# The periodic SLA check notices a clock that ran out within its interval.
CHECK_DELAY = timedelta(seconds=5)


@dataclass
class _Breach:
    clock: str
    policy_id: int
    started_at: datetime
    due_at: datetime
    detected_at: datetime


class _Levels:
    """The workspace's SLA policies, and the breaches of a generated case's clocks, worked out
    by the sla room's own clock maths (as its periodic check would have found them)."""

    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.policies = list(SlaPolicy.objects.filter(workspace=workspace))
        self.targets = {p.pk: sla_queries.targets_of(p, workspace) for p in self.policies}

    def breaches(self, case, life, until: datetime) -> list[_Breach]:
        policy = sla_queries.policy_for(self.policies, case) if self.policies else None
        if policy is None:
            return []
        history = clocks.History(
            created_at=case.created_at,
            statuses=tuple((at, extra.get("status", _STATUS_AFTER.get(step)))
                           for step, at, _actor, extra in life),
            inbound=(case.created_at, *(at for step, at, _a, _e in life if step == "wrote")),
            replies=tuple(at for step, at, _a, _e in life if step == "replied"))
        found = []
        for state in clocks.compute(history, self.targets[policy.pk], until).states:
            if state.breached and state.due_at + CHECK_DELAY < until:
                found.append(_Breach(state.clock, policy.pk, state.started_at, state.due_at,
                                     state.due_at + CHECK_DELAY))
        return found


def _write(workspace, plans, readings, follow_ups, operators, supervisors, rng, report,
           now) -> None:
    ids = _Ids()
    until = now - timedelta(minutes=1)
    contacts, cases, messages, events, submissions, breaches = [], [], [], [], [], []
    levels = _Levels(workspace)
    for plan, reading in zip(plans, readings, strict=True):
        kind = INTENT_TO_KIND.get(reading.get("intent"), CaseKind.LAINNYA)
        life = _life(plan, kind, reading.get("intent", ""), operators, supervisors, rng,
                     until)
        last_at, status = plan.at, CaseStatus.BARU
        for step, at, _actor, extra in life:
            last_at, status = at, extra.get("status", _STATUS_AFTER.get(step, status))
        contact = _row(Contact, id=ids.next(Contact), workspace_id=workspace.pk,
                          platform=plan.channel.platform, external_id=f"hist-{ids.last}",
                          display_name=plan.name, created_at=plan.at)
        case = _row(Case, id=ids.next(Case), workspace_id=workspace.pk,
                    channel_id=plan.channel.pk, contact_id=contact.id,
                    thread_id=contact.external_id, kind=kind,
                    topic=reading.get("topic", ""), intent=reading.get("intent", ""),
                    kasar=bool(reading.get("kasar")), triage_reasons=reading.get("reasons", []),
                    status=status, tracking_number=new_tracking_number(),
                    last_inbound_at=plan.at, created_at=plan.at, updated_at=last_at)
        contacts.append(contact)
        cases.append(case)
        first = _row(Message, id=ids.next(Message), workspace_id=workspace.pk,
                        case_id=case.id, channel_id=plan.channel.pk, direction=Direction.IN,
                        external_id=f"{case.thread_id}-1", text=plan.text, author_name=plan.name,
                        created_at=plan.at, triage=reading)
        messages.append(first)
        events.append(_event(workspace, None, "case.opened", plan.at, case,
                             after={"status": "baru", "claimed_by": None, "version": 1}))
        if plan.channel.platform == "web":
            submissions.append(_submission(ids, workspace, case, first, plan, rng))
            events.append(_event(workspace, None, "portal.submitted", plan.at, case,
                                 after={"anonymous": False, "confidential": False,
                                        "photo": False,
                                        "location": submissions[-1].latitude is not None}))
        for n, (step, at, actor, extra) in enumerate(life):
            if step == "wrote":
                messages.append(_row(
                    Message, id=ids.next(Message), workspace_id=workspace.pk, case_id=case.id,
                    channel_id=plan.channel.pk, direction=Direction.IN,
                    external_id=f"{case.thread_id}-w{n}",
                    text=extra["text"], author_name=plan.name, created_at=at,
                    triage=follow_ups.get(extra["text"], {})))
                events.append(_event(workspace, None, "case.citizen_wrote", at, case,
                                     after={"status": "diklaim"}))
            elif step == "claimed":
                events.append(_event(workspace, actor, "case.claimed", at, case,
                                     after={"status": "diklaim"}))
            elif step == "replied":
                messages.append(_row(
                    Message, id=ids.next(Message), workspace_id=workspace.pk, case_id=case.id,
                    channel_id=plan.channel.pk, direction=Direction.OUT, text=extra["text"],
                    author_name=extra["author"],
                    sent_by_id=actor, idempotency_key=f"hist-{n}", delivery_status="sent",
                    created_at=at, triage={"tone": "ok", "findings": []}))
                events.append(_event(workspace, actor, "case.replied", at, case,
                                     after={"status": "dijawab"}))
            else:
                events.append(_event(workspace, actor, "case.status_changed", at, case,
                                     before={"status": "dijawab"},
                                     after={"status": extra["status"]}))
        for clock in levels.breaches(case, life, until):
            breaches.append(_row(Breach, id=ids.next(Breach), workspace_id=workspace.pk,
                                 case_id=case.id, policy_id=clock.policy_id, clock=clock.clock,
                                 started_at=clock.started_at, due_at=clock.due_at,
                                 detected_at=clock.detected_at, escalated_to=[]))
            events.append(_row(AuditEvent, workspace_id=workspace.pk, actor_id=None,
                               action="sla.breached", case_id=case.id, object_type="breach",
                               object_id=str(breaches[-1].id), before={},
                               after={"clock": clock.clock, "due_at": clock.due_at.isoformat(),
                                      "holder": None, "escalated_to": []},
                               created_at=clock.detected_at))
    # Audit ids follow the clock, as a desk's own trail does.
    events.sort(key=lambda e: (e.created_at, _ORDER[e.action]))
    for event in events:
        event.id = ids.next(AuditEvent)
    for model, rows in ((Contact, contacts), (Case, cases), (Message, messages),
                        (Submission, submissions), (Breach, breaches), (AuditEvent, events)):
        _insert(model, rows)
    with connection.cursor() as cursor:  # PostgreSQL's sequences past the ids given here
        for sql in connection.ops.sequence_reset_sql(
                no_style(), [Contact, Case, Message, Submission, Breach, AuditEvent]):
            cursor.execute(sql)
    report.cases += len(cases)
    report.messages += len(messages)
    report.events += len(events)


def _submission(ids, workspace, case, first, plan, rng) -> Submission:
    located = rng.random() < 0.7
    lat, lon = rng.choice(FORM_PLACES)
    return _row(
        Submission, id=ids.next(Submission), workspace_id=workspace.pk, case_id=case.id,
        message_id=first.id,
        reporter_contact=f"+628{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}",
        latitude=Decimal(f"{lat + rng.uniform(-0.006, 0.006):.6f}") if located else None,
        longitude=Decimal(f"{lon + rng.uniform(-0.006, 0.006):.6f}") if located else None,
        address=texts.fill("{jalan}, {kelurahan}", rng) if located else "",
        created_at=plan.at)


def _event(workspace, actor, action, at, case, *, before=None, after=None) -> _Row:
    return _row(AuditEvent, workspace_id=workspace.pk, actor_id=actor, action=action,
                case_id=case.id, object_type="case", object_id=str(case.id),
                before=before or {}, after=after or {}, created_at=at)


class _Row(SimpleNamespace):
    """A row to insert, by attribute name (`case_id`, not `case`): building Django model
    instances cost more than writing them."""


_DEFAULTS: dict = {}


def _row(model, **values) -> _Row:
    if model not in _DEFAULTS:
        _DEFAULTS[model] = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    row = _Row(**_DEFAULTS[model])
    for name, value in values.items():
        setattr(row, name, value)
    return row


class _Ids:
    """The next free id of each table (the generator owns the database while it writes)."""

    def __init__(self) -> None:
        self.taken: dict = {}
        self.last = 0

    def next(self, model) -> int:
        if model not in self.taken:
            self.taken[model] = model.objects.aggregate(top=Max("pk"))["top"] or 0
        self.taken[model] += 1
        self.last = self.taken[model]
        return self.last


def _insert(model, rows: list) -> None:
    """One executemany of `rows` (model instances with their ids set), converted the way
    Django's own save converts each field."""
    if not rows:
        return
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    values = prepared_rows(fields, rows)
    with connection.cursor() as cursor:
        for start in range(0, len(values), 5000):
            cursor.executemany(sql, values[start:start + 5000])
