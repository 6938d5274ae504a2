"""Writes of SLA policies: each owns its transaction, is audited, and makes the workspace's
stored clocks stale (deleted: the next check and every page compute them again)."""

from __future__ import annotations

from datetime import datetime, time

from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases.models import CaseKind
from tanggap.errors import Forbidden, InvalidInput, NotFound
from tanggap.language import TOPICS
from tanggap.sla.models import CaseClock, Hours, SlaPolicy

MAX_MINUTES = 60 * 24 * 366


def _minutes(value, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        raise InvalidInput(_("'%(field)s' must be a whole number of minutes from 1 to %(limit)d.")
                           % {"field": field, "limit": MAX_MINUTES}, field=field)
    return value


def set_policy(*, membership, actor, now: datetime, name: str, kind: str = "", topic: str = "",
               first_response=None, next_response=None, resolution=None,
               hours: str = Hours.CALENDAR, working_start: time | None = None,
               working_end: time | None = None, warn_percent: int = 80) -> SlaPolicy:
    """Create or replace the policy of (`kind`, `topic`) ("" is any)."""
    if not membership.can_supervise:
        raise Forbidden()
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 80:
        raise InvalidInput(_("A policy needs a name of 1 to 80 characters."), field="name")
    if kind and kind not in CaseKind.values:
        raise InvalidInput(_("Kind must be one of %(choices)s.")
                           % {"choices": ", ".join(CaseKind.values)}, field="kind")
    if topic and topic not in TOPICS:
        raise InvalidInput(_("Topic must be one of %(choices)s.")
                           % {"choices": ", ".join(TOPICS)}, field="topic")
    targets = {name_: _minutes(value, name_) for name_, value in (
        ("first_response_minutes", first_response), ("next_response_minutes", next_response),
        ("resolution_minutes", resolution))}
    if not any(targets.values()):
        raise InvalidInput(_("Give at least one time limit."), field="first_response")
    if hours not in Hours.values:
        raise InvalidInput(_("Hours must be calendar or working."), field="hours")
    if hours == Hours.WORKING:
        if working_start is None or working_end is None or not working_start < working_end:
            raise InvalidInput(_("Working hours need a start before their end (08:00-16:00)."),
                               field="working_hours")
    else:
        working_start = working_end = None
    if isinstance(warn_percent, bool) or not isinstance(warn_percent, int) \
            or not 1 <= warn_percent <= 99:
        raise InvalidInput(_("'warn_percent' must be from 1 to 99."), field="warn_percent")
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().filter(
            workspace_id=membership.workspace_id, kind=kind, topic=topic).first()
        before = _facts(policy) if policy else {}
        if policy is None:
            policy = SlaPolicy(workspace_id=membership.workspace_id, kind=kind, topic=topic,
                               created_at=now)
        policy.name = name.strip()
        for field, value in targets.items():
            setattr(policy, field, value)
        policy.hours, policy.working_start, policy.working_end = hours, working_start, working_end
        policy.warn_percent, policy.updated_at = warn_percent, now
        policy.save()
        CaseClock.objects.filter(workspace_id=membership.workspace_id).delete()
        events.record(workspace_id=membership.workspace_id, actor=actor, action="sla.policy_set",
                      now=now, obj=policy, before=before, after=_facts(policy))
    return policy


def remove_policy(*, membership, actor, now: datetime, kind: str = "", topic: str = "") -> None:
    if not membership.can_supervise:
        raise Forbidden()
    with transaction.atomic():
        policy = SlaPolicy.objects.filter(workspace_id=membership.workspace_id, kind=kind,
                                          topic=topic).first()
        if policy is None:
            raise NotFound(_("No such policy."))
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="sla.policy_removed", now=now, obj=policy, before=_facts(policy))
        CaseClock.objects.filter(workspace_id=membership.workspace_id).delete()
        policy.delete()


def _facts(policy: SlaPolicy) -> dict:
    return {"name": policy.name, "kind": policy.kind, "topic": policy.topic,
            "first_response_minutes": policy.first_response_minutes,
            "next_response_minutes": policy.next_response_minutes,
            "resolution_minutes": policy.resolution_minutes, "hours": policy.hours,
            "working_start": policy.working_start.strftime("%H:%M") if policy.working_start
            else None,
            "working_end": policy.working_end.strftime("%H:%M") if policy.working_end else None,
            "warn_percent": policy.warn_percent}
