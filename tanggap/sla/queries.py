"""Reads for the SLA clocks: a case's policy and history, and its clocks for the pages and the
API. A stored clock (CaseClock) is used while it is fresh (computed for the case's current
`updated_at` and calendar); a stale or missing one is computed here, without writing (the
periodic check stores it), so a page always shows the truth."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import CLOSED_STATUSES, Case, Direction, Message
from tanggap.conf import compiled
from tanggap.sla import clocks
from tanggap.sla.models import CaseClock, Hours, SlaPolicy
from tanggap.workspaces.calendars import calendar_of
from tanggap.workspaces.models import DayOff


def policy_for(policies: list[SlaPolicy], case: Case) -> SlaPolicy | None:
    """The most specific policy: kind and topic, then topic, then kind, then the default."""
    best, rank = None, -1
    for policy in policies:
        if policy.kind and policy.kind != case.kind or policy.topic and policy.topic != case.topic:
            continue
        score = 2 * bool(policy.topic) + bool(policy.kind)
        if score > rank:
            best, rank = policy, score
    return best


_POLICY_FIELDS = tuple(field.attname for field in SlaPolicy._meta.concrete_fields)


def policies_by_workspace(workspace_ids) -> dict[int, list[SlaPolicy]]:
    """The workspaces' policies, read on every inbox page and list of the API (which mostly
    find none): from a statement compiled once per number of workspaces
    (tanggap.conf.compiled), whose rows become the same `SlaPolicy`s the ORM would give."""
    found = defaultdict(list)
    ids = sorted({int(pk) for pk in workspace_ids})
    if not ids:
        return found
    rows = compiled.rows(
        "sla.policies",
        lambda values: SlaPolicy.objects.filter(workspace_id__in=values["ids"])
        .values_list(*_POLICY_FIELDS),
        {"ids": ids})
    for row in rows:
        policy = SlaPolicy.from_db(DEFAULT_DB_ALIAS, _POLICY_FIELDS, row)
        found[policy.workspace_id].append(policy)
    return found


def calendar_key(workspace) -> str:
    days = sorted(DayOff.objects.filter(workspace=workspace).values_list("day", flat=True))
    text = f"{workspace.time_zone}|{workspace.cuti_bersama}|{','.join(map(str, days))}"
    return hashlib.sha256(text.encode()).hexdigest()


def targets_of(policy: SlaPolicy, workspace) -> clocks.Targets:
    def minutes(value):
        return timedelta(minutes=value) if value else None

    calendar = None
    if policy.hours == Hours.WORKING:
        calendar = calendar_of(workspace, working_hours=(policy.working_start,
                                                         policy.working_end))
    return clocks.Targets(first_response=minutes(policy.first_response_minutes),
                          next_response=minutes(policy.next_response_minutes),
                          resolution=minutes(policy.resolution_minutes), calendar=calendar,
                          warn_percent=policy.warn_percent)


def histories(cases: list[Case]) -> dict[int, clocks.History]:
    """Each case's status moves (from the audit trail), citizens' messages and replies: two
    queries for all of them."""
    ids = [c.pk for c in cases]
    moves = defaultdict(list)
    for case_id, when, after in (AuditEvent.objects.filter(case_id__in=ids)
                                 .order_by("id").values_list("case_id", "created_at", "after")):
        status = after.get("status") if isinstance(after, dict) else None
        if isinstance(status, str) and (not moves[case_id] or moves[case_id][-1][1] != status):
            moves[case_id].append((when, status))
    inbound, replies = defaultdict(list), defaultdict(list)
    for case_id, direction, when, by in (Message.objects.filter(case_id__in=ids)
                                         .values_list("case_id", "direction", "created_at",
                                                      "sent_by_id")):
        if direction == Direction.IN:
            inbound[case_id].append(when)
        elif by is not None:
            replies[case_id].append(when)
    return {c.pk: clocks.History(created_at=c.created_at, statuses=tuple(moves[c.pk]),
                                 inbound=tuple(inbound[c.pk]), replies=tuple(replies[c.pk]))
            for c in cases}


@dataclass(frozen=True)
class ClockView:
    """What a page and the API show of a case's clocks."""

    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    paused: bool
    breached: bool
    next_due_at: datetime | None
    warn_at: datetime | None
    policy_name: str

    def state(self, now: datetime) -> str:
        if self.breached or (self.next_due_at is not None and self.next_due_at <= now):
            return "breached"
        if self.paused:
            return "paused"
        if self.warn_at is not None and self.warn_at <= now:
            return "warn"
        if self.next_due_at is None:
            return "met"
        return "ok"


def view_of(result: clocks.CaseClocks, policy: SlaPolicy) -> ClockView:
    def due(clock):
        state = result.latest(clock)
        return state.due_at if state is not None else None

    return ClockView(due(clocks.FIRST_RESPONSE), due(clocks.NEXT_RESPONSE), due(clocks.RESOLUTION),
                     result.paused, result.breached, result.next_due_at, result.warn_at,
                     policy.name)


def _stored_view(row: CaseClock, policy: SlaPolicy) -> ClockView:
    return ClockView(row.first_response_due_at, row.next_response_due_at, row.resolution_due_at,
                     row.paused, row.breached, row.next_due_at, row.warn_at, policy.name)


def compute_clocks(cases: list[Case], now: datetime):
    """(case, policy, CaseClocks, calendar key) for each case that has a policy."""
    from tanggap.workspaces.models import Workspace

    policies = policies_by_workspace(c.workspace_id for c in cases)
    chosen = [(c, policy_for(policies[c.workspace_id], c)) for c in cases]
    chosen = [(c, p) for c, p in chosen if p is not None]
    if not chosen:
        return []
    workspaces = {w.pk: w for w in
                  Workspace.objects.filter(pk__in={c.workspace_id for c, _ in chosen})}
    keys = {pk: calendar_key(w) for pk, w in workspaces.items()}
    found = histories([c for c, _ in chosen])
    return [(c, p, clocks.compute(found[c.pk], targets_of(p, workspaces[c.workspace_id]), now),
             keys[c.workspace_id]) for c, p in chosen]


def clocks_for(cases, now: datetime) -> dict[int, ClockView]:
    """The clocks of these cases (open or not) by case id; cases without a policy are absent."""
    cases = list(cases)
    if not cases:
        return {}
    policies = policies_by_workspace(c.workspace_id for c in cases)
    if not any(policies.values()):
        return {}
    rows = {r.case_id: r for r in CaseClock.objects.filter(case_id__in=[c.pk for c in cases])}
    from tanggap.workspaces.models import Workspace

    workspaces = {w.pk: w for w in Workspace.objects.filter(pk__in=set(policies))}
    keys = {pk: calendar_key(w) for pk, w in workspaces.items()}
    views, stale = {}, []
    for case in cases:
        policy = policy_for(policies[case.workspace_id], case)
        if policy is None:
            continue
        row = rows.get(case.pk)
        if (row is not None and row.policy_id == policy.pk and row.computed_for == case.updated_at
                and row.calendar_key == keys[case.workspace_id]
                and case.status not in CLOSED_STATUSES):
            views[case.pk] = _stored_view(row, policy)
        else:
            stale.append(case)
    for case, policy, result, _key in compute_clocks(stale, now):
        views[case.pk] = view_of(result, policy)
    return views
