"""Keeping the reports' facts and daily roll-ups current, from the audit trail.

The desk's actions write nothing for the reports: every state change already leaves an audit
event in its own transaction, and this module reads those events after a cursor
(tanggap.audit.feed), a batch per transaction, from the periodic job `reports.rollup` (every
TANGGAP_REPORTS_INTERVAL_SECONDS), when a report is opened (a few batches inline, the rest in one
queued catch-up task), or from `tanggap report catch-up`. A report is therefore at most one
interval plus one batch behind the desk.

For each case touched by a batch it updates the case's fact (CaseFact): its dimensions as the
case row holds them now (channel, kind, intent, topic, kasar) and as the trail tells them
(responsible body, area), its first response and resolution, and `contrib`, every count it added
to the roll-ups. When a dimension changes (an operator corrects the topic, the case is referred),
the case's counts leave the old roll-up rows and join the new ones, so every day's totals stay
right for any filter. Roll-up rows are upserted with additions, never rewritten.

What it reads from the trail:
  case.opened                 a case and its first citizen message
  case.citizen_wrote          another citizen message (intent, kasar: from the message's triage)
  case.claimed, .taken_over   an operator's claim
  case.replied, .announced    a reply by an operator (the first one is the first response)
  any event with after.status a move into done/closed (a resolution) or out of it (reopened)
  referral.created/.answered/.withdrawn   the responsible body, and the referral's own fact
  a location source's action  the case's area (reports.locations)
  sla.policy_set, .policy_removed   the service-level policies in force (SlaPolicyFact)
  sla.breached                a clock of the case ran out (its met/breached count)

Every count also lands in the slices (RollupSlice: the whole desk, each value of each dimension,
each operator; PairSlice: each value of a dimension by each value of another and by operator)
and every first-response and resolution time in their histograms (DurationSlice), from the same
additions, so a correction moves those too. A report with at most one filter reads only slices.

Policy events are applied before the case events of their batch: a policy set in the same few
seconds as a case's first reply may or may not count for it.
"""

from __future__ import annotations

import json
import operator
from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.functions import Length

from tanggap.audit import feed
from tanggap.audit.models import AuditEvent
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseStatus, Direction, Message
from tanggap.conf.sqlite.durability import without_fsync
from tanggap.reports import durations, locations
from tanggap.reports.models import (
    ALL_ROWS_COUNTERS,
    BREAKDOWN_COUNTERS,
    COUNTERS,
    DIMENSIONS,
    FIRST_RESPONSE,
    OPERATOR,
    OPERATOR_COUNTERS,
    RESOLUTION,
    WHOLE,
    CaseFact,
    DailyRollup,
    DurationSlice,
    PairSlice,
    PendingAdditions,
    ReferralFact,
    RollupSlice,
    SlaPolicyFact,
    ThanksFact,
)

FEED = "reports.rollup"
# A rebuild reads the whole trail: fewer, larger transactions (each holds SQLite's write lock
# for a moment longer; the desk's writers wait that long, not more).
REBUILD_BATCH = 2000
# The most roll-up rows one transaction adds to: a batch with more leaves them, in chunks, to
# transactions of their own (`settle`). On SQLite each transaction holds the desk's one write
# lock; 5 s of paced claims made ~4,400 roll-up rows, whose upserts held it 60-130 ms in one go
# (docs/performance.md, "Claims"), against a few ms per chunk (committed without an fsync).
CHUNK_ROWS = 200

REPLY_ACTIONS = frozenset({"case.replied", "case.announced"})
CLAIM_ACTIONS = frozenset({"case.claimed", "case.taken_over"})
MESSAGE_ACTIONS = frozenset({"case.opened", "case.citizen_wrote"})
REFERRAL_OPEN = ("terkirim", "diterima", "diproses")
REFERRAL_CLOSED = frozenset({"selesai", "bukan_wewenang", "ditarik"})


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    """The calendar day of `moment` where the desk is (settings.TIME_ZONE)."""
    return moment.astimezone(zone()).date()


def catch_up(*, now: datetime, max_batches: int | None = None, batch_size: int | None = None,
             keep_going=lambda: True) -> feed.FeedRun:
    # Derived rows, committed with the cursor that says how far they got: a power cut that
    # undoes the last of them has them read again from the trail (durability says why).
    with without_fsync():
        settle()  # what a run that stopped half-way (a crash, a kill) left
        return feed.read(FEED, apply_events, now=now, max_batches=max_batches,
                         batch_size=batch_size, keep_going=keep_going, after_batch=settle)


def settle() -> int:
    """Apply the additions batches left for later (PendingAdditions), each chunk in a
    transaction of its own that also deletes it: a chunk is applied exactly once, whoever settles
    and whenever a run stopped. Additions commute, so their order does not matter. Returns how
    many chunks this call applied."""
    applied = 0
    while True:
        chunk = PendingAdditions.objects.order_by("pk").first()
        if chunk is None:
            return applied
        applied += apply_chunk(chunk)


def apply_chunk(chunk: PendingAdditions) -> bool:
    """Apply and delete one chunk in one transaction; False if another settler had."""
    # Decoded before the transaction: only the upserts hold the lock.
    model, keys, counters = ROLLUP_TABLES[chunk.table]
    rows = json.loads(chunk.rows)
    with transaction.atomic():
        # Another settler that took it first leaves nothing to delete (on PostgreSQL the delete
        # waits for that one's commit): then it is not applied twice.
        if not PendingAdditions.objects.filter(pk=chunk.pk).delete()[0]:
            return False
        _additions(model, keys, counters, rows)
        return True


def rebuild(*, now: datetime) -> feed.FeedRun:
    """Forget every fact and roll-up and read the whole audit trail again (after a change of
    the roll-up rules, or of settings.TIME_ZONE)."""
    with transaction.atomic():
        for model in (CaseFact, DailyRollup, RollupSlice, PairSlice, DurationSlice,
                      ReferralFact, SlaPolicyFact, ThanksFact, PendingAdditions):
            model.objects.all().delete()
        row = feed.cursor(FEED)
        row.last_id, row.gaps = 0, {}
        row.save(update_fields=["last_id", "gaps"])
    return catch_up(now=now, batch_size=REBUILD_BATCH)


# ---------------------------------------------------------------------------------------------


def apply_events(events: list[AuditEvent], now: datetime) -> feed.Writes:
    """The feed handler: fold one batch of events into facts and roll-ups. Everything is read
    and computed here, before the batch's write transaction; the writes it returns are all that
    runs inside it (tanggap.audit.feed says why)."""
    policies = _PolicyBook(events)
    by_case: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.case_id is not None:
            by_case[event.case_id].append(event)
    if not by_case:
        return policies.save
    cases = {case.pk: case for case in Case.objects.filter(pk__in=list(by_case)).only(
        "id", "workspace_id", "channel_id", "channel__platform", "kind", "intent", "topic",
        "kasar", "status", "created_at").select_related("channel")}
    facts = {fact.case_id: fact for fact in CaseFact.objects.filter(case_id__in=list(by_case))}
    readings = _message_readings(by_case)
    areas = _areas(by_case)
    referrals = _ReferralBook([e for e in events if e.action.startswith("referral.")])

    deltas: dict[tuple, Counter] = defaultdict(Counter)
    changed: list[CaseFact] = []
    for case_id, case_events in by_case.items():
        case = cases.get(case_id)
        if case is None:
            continue
        fact = facts.get(case_id)
        if fact is None:
            fact = _new_fact(case)
            before_dims, before_contrib = None, {}
        else:
            before_dims, before_contrib = _dims(fact), _copy(fact.contrib)
        for event in case_events:
            _apply(fact, event, readings, referrals, policies)
        if case_id in areas:
            fact.area = areas[case_id]
        _take_case_row(fact, case)
        fact.updated_at = now
        if before_dims is not None:
            _emit(deltas, fact.workspace_id, before_dims, before_contrib, -1)
        _emit(deltas, fact.workspace_id, _dims(fact), fact.contrib, +1)
        changed.append(fact)

    fact_rows = prepared_rows(CaseFact._meta.concrete_fields, changed)
    rollup_rows = _rollup_rows(deltas)
    later = _chunks(rollup_rows) if sum(len(r) for _, r in rollup_rows) > CHUNK_ROWS else []
    thanks = _thanks(readings, cases)

    def writes() -> None:
        policies.save()
        _upsert_facts(fact_rows)
        referrals.save()
        if later:
            # Committed with the facts and the cursor: the facts already count these additions,
            # so they must not be lost; `settle` applies them right after.
            PendingAdditions.objects.bulk_create(later)
        else:
            for table, rows in rollup_rows:
                _additions(*ROLLUP_TABLES[table], rows)
        ThanksFact.objects.bulk_create(thanks, ignore_conflicts=True)

    return writes


def _chunks(rollup_rows: list[tuple[str, list]]) -> list[PendingAdditions]:
    return [PendingAdditions(table=table, rows=json.dumps(rows[start:start + CHUNK_ROWS]))
            for table, rows in rollup_rows for start in range(0, len(rows), CHUNK_ROWS)]


def _new_fact(case: Case) -> CaseFact:
    fact = CaseFact(case_id=case.pk, workspace_id=case.workspace_id, opened_at=case.created_at,
                    opened_day=local_day(case.created_at), contrib={})
    _take_case_row(fact, case)
    _add(fact, case.created_at, 0, "opened")
    return fact


def _take_case_row(fact: CaseFact, case: Case) -> None:
    fact.channel_id = case.channel_id
    fact.platform = case.channel.platform
    fact.kind = case.kind
    fact.intent = case.intent or ""
    fact.topic = case.topic or ""
    fact.kasar = case.kasar
    fact.status = case.status


def _apply(fact: CaseFact, event: AuditEvent, readings: dict, referrals: _ReferralBook,
           policies: _PolicyBook) -> None:
    action, at, actor = event.action, event.created_at, event.actor_id or 0
    if action in MESSAGE_ACTIONS:
        reading = readings.get((event.case_id, at), {})
        _add(fact, at, 0, "messages_in")
        if reading.get("intent") == "apresiasi":
            _add(fact, at, 0, "thanks_in")
        if reading.get("kasar"):
            _add(fact, at, 0, "kasar_in")
    elif action in CLAIM_ACTIONS and actor:
        _add(fact, at, actor, "claims")
    elif action in REPLY_ACTIONS:
        _add(fact, at, actor, "replies")
        if fact.first_response_at is None:
            _first_response(fact, at, actor, policies)
    elif action == "sla.breached":
        _breached(fact, event.after.get("clock") if isinstance(event.after, dict) else None, at)
    elif action == "referral.created":
        body_id = event.after.get("body_id")
        if isinstance(body_id, int):
            fact.body_id = body_id
        _add(fact, at, 0, "referred")
    if action.startswith("referral."):
        referrals.apply(event, fact)
    status = event.after.get("status") if isinstance(event.after, dict) else None
    if action.startswith("case.") and isinstance(status, str) and status in CaseStatus.values:
        _status(fact, status, at, actor, policies)


def _first_response(fact: CaseFact, at: datetime, actor: int, policies: _PolicyBook) -> None:
    seconds = max(0, int((at - fact.opened_at).total_seconds()))
    fact.first_response_at, fact.first_response_day = at, local_day(at)
    fact.first_response_seconds, fact.first_response_by = seconds, actor or None
    _add(fact, at, 0, "first_responses")
    _add(fact, at, 0, "first_response_seconds", seconds)
    _add(fact, at, 0, f"{FIRST_RESPONSE}#{durations.bucket(seconds)}")
    if actor:
        _add(fact, at, actor, "first_responses")
        _add(fact, at, actor, "first_response_seconds", seconds)
    _add(fact, fact.opened_at, 0, "answered")
    if not fact.sla_first and policies.keeps(fact, "first_response"):
        fact.sla_first = "met"
        _add(fact, at, 0, "sla_first_met")


def _breached(fact: CaseFact, clock, at: datetime) -> None:
    """A clock ran out: a met count of it moves to breached, on the breach's day."""
    if clock == "next_response":
        _add(fact, at, 0, "sla_next_breached")
        return
    if clock == "first_response":
        ended, name = fact.first_response_at, "sla_first"
    elif clock == "resolution":
        ended, name = fact.resolved_at, "sla_resolution"
    else:
        return
    outcome = getattr(fact, name)
    if outcome == "breached":
        return
    if outcome == "met" and ended is not None:
        _add(fact, ended, 0, f"{name}_met", -1)
    setattr(fact, name, "breached")
    _add(fact, at, 0, f"{name}_breached")


def _status(fact: CaseFact, status: str, at: datetime, actor: int, policies: _PolicyBook) -> None:
    closed = status in CLOSED_STATUSES
    if closed and fact.resolved_at is None:
        counter = "resolved" if status == CaseStatus.SELESAI else "closed"
        fact.resolved_at, fact.resolved_day = at, local_day(at)
        fact.resolution_seconds = max(0, int((at - fact.opened_at).total_seconds()))
        fact.resolved_by, fact.resolved_as = actor or None, counter
        _add(fact, at, 0, counter)
        _add(fact, at, 0, f"{RESOLUTION}#{durations.bucket(fact.resolution_seconds)}")
        if actor:
            _add(fact, at, actor, counter)
        if not fact.sla_resolution and policies.keeps(fact, "resolution"):
            fact.sla_resolution = "met"
            _add(fact, at, 0, "sla_resolution_met")
    elif not closed and fact.resolved_at is not None:
        # Reopened: the resolution counted on its day is taken back.
        _add(fact, fact.resolved_at, 0, fact.resolved_as, -1)
        _add(fact, fact.resolved_at, 0,
             f"{RESOLUTION}#{durations.bucket(fact.resolution_seconds)}", -1)
        if fact.resolved_by:
            _add(fact, fact.resolved_at, fact.resolved_by, fact.resolved_as, -1)
        if fact.sla_resolution == "met":
            _add(fact, fact.resolved_at, 0, "sla_resolution_met", -1)
            fact.sla_resolution = ""
        fact.resolved_at = fact.resolved_day = fact.resolution_seconds = None
        fact.resolved_by, fact.resolved_as = None, ""


def _add(fact: CaseFact, at: datetime, operator: int, counter: str, n: int = 1) -> None:
    key = f"{local_day(at).isoformat()}|{operator}"
    counters = fact.contrib.setdefault(key, {})
    counters[counter] = counters.get(counter, 0) + n
    if counters[counter] == 0:
        del counters[counter]
        if not counters:
            del fact.contrib[key]


def _dims(fact: CaseFact) -> tuple:
    return (fact.channel_id, fact.kind, fact.intent, fact.topic, fact.kasar, fact.body_id,
            fact.area)


def _copy(contrib: dict) -> dict:
    return {key: dict(counters) for key, counters in contrib.items()}


def _emit(deltas: dict, workspace_id: int, dims: tuple, contrib: dict, sign: int) -> None:
    for key, counters in contrib.items():
        day, operator = key.split("|")
        row = deltas[(workspace_id, day, *dims, int(operator))]
        for counter, n in counters.items():
            row[counter] += sign * n


def _upsert_facts(rows: list[list]) -> None:
    """Insert new facts and overwrite changed ones (`prepared_rows` of them) in one executemany
    (Django's bulk_create and bulk_update spend most of their time building SQL; a catch-up of
    a long trail writes thousands of facts a second)."""
    if not rows:
        return
    fields = CaseFact._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    pk = quote(CaseFact._meta.pk.column)
    sql = (f"INSERT INTO {quote(CaseFact._meta.db_table)} ({', '.join(columns)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT ({pk}) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in columns if c != pk))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# Fields whose Python value the database driver takes as it is; the others are converted the
# way Django's save converts them (dates, JSON, decimals differ between SQLite and PostgreSQL).
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BigIntegerField,
          models.AutoField, models.BigAutoField, models.ForeignKey, models.PositiveIntegerField,
          models.PositiveSmallIntegerField, models.BooleanField)


def prepared_rows(fields, objects) -> list[list]:
    """The values of `fields` of each object, ready for a raw INSERT's parameters."""
    get = operator.attrgetter(*(f.attname for f in fields))
    converters = [(i, c) for i, c in enumerate(map(_converter, fields)) if c is not None]
    rows = []
    for obj in objects:
        row = list(get(obj))
        for i, convert in converters:
            row[i] = convert(row[i])
        rows.append(row)
    return rows


def _converter(field):
    """None for a value the driver takes as it is, else what converts it. Dates and times go
    straight to the backend's adapter (what Django's save ends with; the steps before it only
    deal with naive datetimes and strings, and cost most of a bulk write's time)."""
    if isinstance(field, _AS_IS) and not isinstance(field, models.JSONField):
        return None
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):  # None is SQL NULL, as Django saves it
        return lambda value: None if value is None else ops.adapt_json_value(value, field.encoder)
    return lambda value: field.get_db_prep_save(value, connection)


def _rollup_rows(deltas: dict[tuple, Counter]) -> list[tuple[str, list]]:
    """What the deltas add to each roll-up table: (name in ROLLUP_TABLES, rows)."""
    rows = []
    slices: dict[tuple, Counter] = defaultdict(Counter)
    pairs: dict[tuple, Counter] = defaultdict(Counter)
    times: Counter = Counter()
    for key, counts in deltas.items():
        plain = [counts.get(c, 0) for c in COUNTERS]
        if any(plain):
            rows.append((*key, *plain))
        workspace_id, day, *dims, operator = key
        targets = [(WHOLE, "")] + [(d, slice_value(v)) for d, v in zip(DIMENSIONS, dims,
                                                                          strict=True)]
        if operator:
            slices[(workspace_id, day, OPERATOR, str(operator))].update(
                {c: n for c, n in zip(COUNTERS, plain, strict=True) if n})
            shared = {c: counts[c] for c in ALL_ROWS_COUNTERS if counts.get(c)}
            if shared:
                for dimension, value in targets:
                    slices[(workspace_id, day, dimension, value)].update(shared)
            work = {c: counts[c] for c in OPERATOR_COUNTERS if counts.get(c)}
            if work:
                for dimension, value in targets[1:]:
                    pairs[(workspace_id, dimension, value, day, OPERATOR,
                           str(operator))].update(work)
            continue
        own = {c: n for c, n in zip(COUNTERS, plain, strict=True) if n}
        seen = {c: counts[c] for c in BREAKDOWN_COUNTERS if counts.get(c)}
        if seen:
            for dimension, value in targets[1:]:
                for by, by_value in targets[1:]:
                    if by != dimension:
                        pairs[(workspace_id, dimension, value, day, by, by_value)].update(seen)
        hist = [(name.split("#")[0], int(name.split("#")[1]), n)
                for name, n in counts.items() if n and "#" in name]
        for dimension, value in targets:
            if own:
                slices[(workspace_id, day, dimension, value)].update(own)
            for metric, index, n in hist:
                times[(workspace_id, dimension, value, metric, day, index)] += n
    return [
        ("DailyRollup", rows),
        ("RollupSlice", [(*key, *(c.get(name, 0) for name in COUNTERS))
                         for key, c in slices.items() if any(c.values())]),
        ("PairSlice", [(*key, *(c.get(name, 0) for name in PAIR_COUNTERS))
                       for key, c in pairs.items() if any(c.values())]),
        ("DurationSlice", [(*key, n) for key, n in times.items() if n]),
    ]


PAIR_COUNTERS = (*BREAKDOWN_COUNTERS, *OPERATOR_COUNTERS)
# Each roll-up table's model, key columns and counters, by the name its rows go under.
ROLLUP_TABLES = {
    "DailyRollup": (DailyRollup, ("workspace_id", "day", *DIMENSIONS, "operator_id"), COUNTERS),
    "RollupSlice": (RollupSlice, ("workspace_id", "day", "dimension", "value"), COUNTERS),
    "PairSlice": (PairSlice, ("workspace_id", "dimension", "value", "day", "by", "by_value"),
                  PAIR_COUNTERS),
    "DurationSlice": (DurationSlice,
                      ("workspace_id", "dimension", "value", "metric", "day", "bucket"),
                      ("count",)),
}


def slice_value(value) -> str:
    """A dimension's value as a slice names it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _additions(model, keys: tuple, counters: tuple, rows: list) -> None:
    """Upsert `rows` (keys, then counters) into `model`, adding the counters to a row that is
    there already."""
    if not rows:
        return
    table = model._meta.db_table
    columns = ", ".join((*keys, *counters))
    marks = ", ".join(["%s"] * (len(keys) + len(counters)))
    additions = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counters)
    sql = (f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
           f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {additions}")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _message_readings(by_case: dict[int, list[AuditEvent]]) -> dict:
    """{(case_id, created_at): triage} of the citizen messages the batch's events stored (a
    triage carries "_message" and "_length" here, for the thanks kept below)."""
    wanted = {(e.case_id, e.created_at) for events in by_case.values() for e in events
              if e.action in MESSAGE_ACTIONS}
    if not wanted:
        return {}
    since = min(at for _, at in wanted)
    found = {}
    rows = Message.objects.filter(case_id__in={case_id for case_id, _ in wanted},
                                  direction=Direction.IN, created_at__gte=since).values_list(
        "id", "case_id", "created_at", "triage", Length("text"))
    for message_id, case_id, created_at, triage, length in rows:
        if (case_id, created_at) in wanted and (case_id, created_at) not in found:
            found[(case_id, created_at)] = {**(triage or {}), "_message": message_id,
                                            "_length": length or 0}
    return found


def _thanks(readings: dict, cases: dict) -> list[ThanksFact]:
    thanks = []
    for (case_id, at), reading in readings.items():
        case = cases.get(case_id)
        if reading.get("intent") != "apresiasi" or case is None:
            continue
        try:
            confidence = float(reading.get("confidence") or 0)
        except (TypeError, ValueError):
            confidence = 0.0
        thanks.append(ThanksFact(message_id=reading["_message"], workspace_id=case.workspace_id,
                                 case_id=case_id, day=local_day(at),
                                 platform=case.channel.platform, confidence=confidence,
                                 length=reading["_length"]))
    return thanks


def _areas(by_case: dict[int, list[AuditEvent]]) -> dict[int, str]:
    sources = locations.sources()
    asked: dict[str, list[int]] = defaultdict(list)
    for case_id, events in by_case.items():
        for event in events:
            if event.action in sources:
                asked[event.action].append(case_id)
    areas = {}
    for action, case_ids in asked.items():
        for case_id, (lat, lon) in sources[action](case_ids).items():
            areas[case_id] = locations.area_of(lat, lon)
    return areas


class _ReferralBook:
    """The referral facts a batch touches, loaded once and written once."""

    def __init__(self, events: list[AuditEvent]) -> None:
        ids = {int(e.object_id) for e in events if e.object_id.isdigit()}
        self.facts = {f.referral_id: f for f in ReferralFact.objects.filter(referral_id__in=ids)}
        self.changed: set[int] = set()

    def apply(self, event: AuditEvent, case_fact: CaseFact) -> None:
        if not event.object_id.isdigit():
            return
        referral_id, after, at = int(event.object_id), event.after or {}, event.created_at
        fact = self.facts.get(referral_id)
        if event.action == "referral.created":
            if fact is None:
                fact = ReferralFact(referral_id=referral_id, workspace_id=event.workspace_id,
                                    case_id=event.case_id, created_at=at,
                                    created_day=local_day(at), status="terkirim")
            fact.body_id = after.get("body_id") or 0
            fact.body_name = str(after.get("body") or "")[:200]
            fact.follow_up_due_at = _parse_time(after.get("follow_up_due_at"))
        elif fact is None:
            return
        elif event.action == "referral.answered":
            status = after.get("status")
            if isinstance(status, str):
                fact.status = status
                fact.acknowledged_at = fact.acknowledged_at or at
                if status in REFERRAL_CLOSED:
                    fact.closed_at = at
        elif event.action == "referral.withdrawn":
            fact.status, fact.closed_at = "ditarik", at
        else:
            return
        self.facts[referral_id] = fact
        self.changed.add(referral_id)

    def save(self) -> None:
        if not self.changed:
            return
        ReferralFact.objects.filter(referral_id__in=self.changed).delete()
        ReferralFact.objects.bulk_create([self.facts[i] for i in self.changed])


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class _PolicyBook:
    """The service-level policies in force in the batch's workspaces, as the trail told them;
    the batch's own policy events applied first (and written by `save`, with the batch's other
    writes)."""

    def __init__(self, events: list[AuditEvent]) -> None:
        self.pending: list[tuple[int, SlaPolicyFact | None]] = []  # in order; None: removed
        workspaces = {e.workspace_id for e in events if e.case_id is not None
                      or e.action.startswith("sla.policy_")}
        self.policies = {p.policy_id: p for p in SlaPolicyFact.objects.filter(
            workspace_id__in=workspaces)}
        for event in events:
            if event.action in ("sla.policy_set", "sla.policy_removed") and \
                    event.object_id.isdigit():
                self._apply(event)

    def _apply(self, event: AuditEvent) -> None:
        policy_id = int(event.object_id)
        if event.action == "sla.policy_removed":
            self.policies.pop(policy_id, None)
            self.pending.append((policy_id, None))
            return
        after = event.after if isinstance(event.after, dict) else {}
        policy = SlaPolicyFact(
            policy_id=policy_id, workspace_id=event.workspace_id,
            kind=str(after.get("kind") or ""), topic=str(after.get("topic") or ""),
            first_response=after.get("first_response_minutes") is not None,
            resolution=after.get("resolution_minutes") is not None)
        self.pending.append((policy_id, policy))
        self.policies[policy_id] = policy

    def save(self) -> None:
        for policy_id, policy in self.pending:
            if policy is None:
                SlaPolicyFact.objects.filter(policy_id=policy_id).delete()
            else:
                policy.save()

    def keeps(self, fact: CaseFact, clock: str) -> bool:
        """Whether the policy the case falls under keeps `clock`: the most specific of its
        workspace's policies (kind and topic, then topic, then kind, then the default), the
        rule the sla room applies (tanggap.sla.queries.policy_for)."""
        best, rank = None, -1
        for policy in self.policies.values():
            if policy.workspace_id != fact.workspace_id:
                continue
            if policy.kind and policy.kind != fact.kind or \
                    policy.topic and policy.topic != fact.topic:
                continue
            score = 2 * bool(policy.topic) + bool(policy.kind)
            if score > rank:
                best, rank = policy, score
        return best is not None and getattr(best, clock)
