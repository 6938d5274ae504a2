"""Incidents: many citizens, one matter. The desk suggests clusters of open cases (same topic,
shared place words, a time window, near-identical text); operators confirm one, add or remove
cases; the incident then has one status, one referral and one announcement, and each member
case hears the announcement as its own message, once.

Writes own their transactions and audit on every member case; reads (`suggest_clusters`) are
plain functions of the rows they are given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases import actions as desk
from tanggap.cases.cleaning import clean_flag, clean_key, clean_text, parse_id
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseStatus, Direction
from tanggap.errors import (
    CaseClaimed,
    CaseClosed,
    Conflict,
    DeskError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from tanggap.live.fanout import publish_on_commit
from tanggap.referrals.actions import refer_case, template_values
from tanggap.referrals.models import (
    Announcement,
    Incident,
    IncidentMember,
    IncidentStatus,
    Referral,
)

MAX_MEMBERS = 500
MAX_TITLE_CHARS = 200
CLUSTER_WINDOW = timedelta(hours=6)
# Place words: what follows "jl", "jalan", "gang", "kelurahan", "perumahan", "rt"... plus any
# capitalised word the triage did not know. Kept simple and explainable: the reason lists them.
_PLACE = re.compile(r"\b(?:jl|jln|jalan|gg|gang|kel|kelurahan|kec|kecamatan|perum|perumahan|"
                    r"komplek|kompleks|rt|rw|desa|kampung|km)\.?\s+([a-z0-9]+(?:\s+[a-z0-9]+)?)",
                    re.IGNORECASE)


class InIncident(Conflict):
    code = "in_incident"
    default_message = _("A case is already part of another incident.")


class AlreadyAnnounced(Conflict):
    code = "already_announced"
    default_message = _("The incident's members have heard its latest announcement; send "
                        "again with override=true to announce once more.")


class IncidentResolved(Conflict):
    code = "incident_resolved"
    default_message = _("This incident is resolved.")


def parse_case_ids(value) -> list[int]:
    """`case_ids` as sent: a list of 1 to MAX_MEMBERS case ids (numbers or their digits)."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_MEMBERS:
        raise InvalidInput(_("'case_ids' must be a list of 1 to %(limit)d case ids.")
                           % {"limit": MAX_MEMBERS}, field="case_ids")
    return [parse_id(item, field=f"case_ids[{i}]") for i, item in enumerate(value)]


def place_words(text: str) -> set[str]:
    return {m.group(1).lower().split()[0] for m in _PLACE.finditer(text or "")}


@dataclass
class Cluster:
    topic: str
    case_ids: list[int]
    places: list[str]
    reason: str


def suggest_clusters(cases: list[tuple[int, str, str, datetime]], *,
                     window: timedelta = CLUSTER_WINDOW, min_size: int = 3) -> list[Cluster]:
    """Group (case id, topic, first words, received at) into likely incidents: the same topic
    within `window` of each other, sharing a place word or with near-identical words (a
    forwarded message). Plain function of its input; the caller passes open cases that are in
    no incident yet."""
    by_topic: dict[str, list[tuple[int, str, datetime]]] = {}
    for case_id, topic, text, at in cases:
        if topic and topic != "lainnya":
            by_topic.setdefault(topic, []).append((case_id, text or "", at))
    clusters = []
    for topic, rows in by_topic.items():
        rows.sort(key=lambda row: row[2])
        used: set[int] = set()
        for i, (seed_id, seed_text, seed_at) in enumerate(rows):
            if seed_id in used:
                continue
            seed_places = place_words(seed_text)
            members, places, similar = [seed_id], set(), False
            for other_id, other_text, other_at in rows[i + 1:]:
                if other_id in used or other_at - seed_at > window:
                    continue
                shared = seed_places & place_words(other_text)
                alike = SequenceMatcher(None, seed_text.lower(),
                                        other_text.lower()).ratio() >= 0.85
                if shared or alike:
                    members.append(other_id)
                    places |= shared
                    similar |= alike
            if len(members) >= min_size:
                used.update(members)
                why = [_("%(n)d open cases about %(topic)s within %(hours)d hours")
                       % {"n": len(members), "topic": topic,
                          "hours": int(window.total_seconds() // 3600)}]
                if places:
                    why.append(_("places: %(places)s") % {"places": ", ".join(sorted(places))})
                if similar:
                    why.append(_("near-identical words"))
                clusters.append(Cluster(topic, members, sorted(places), "; ".join(why)))
    return clusters


def clusters_for_workspace(workspace_id: int, *, now: datetime) -> list[Cluster]:
    in_incident = IncidentMember.objects.filter(incident__workspace_id=workspace_id,
                                                incident__status=IncidentStatus.OPEN)
    cases = (Case.objects.filter(workspace_id=workspace_id, last_inbound_at__gte=now
                                 - timedelta(days=2))
             .exclude(status__in=CLOSED_STATUSES)
             .exclude(pk__in=in_incident.values("case_id")).order_by("created_at")[:1000])
    rows = []
    for case in cases:
        first = (case.messages.filter(direction=Direction.IN).order_by("id")
                 .values_list("text", flat=True).first() or "")
        rows.append((case.pk, case.topic, first, case.created_at))
    return suggest_clusters(rows)


def _check_cases(case_ids, workspace_id: int) -> list[Case]:
    case_ids = parse_case_ids(list(case_ids))
    cases = list(Case.objects.filter(pk__in=case_ids, workspace_id=workspace_id))
    if len(cases) != len(set(case_ids)):
        raise NotFound()
    return cases


def _may_gather(cases: list[Case], actor, membership, now: datetime) -> None:
    """Supervisors gather any cases; an operator only cases they hold or nobody holds."""
    if membership.can_supervise:
        return
    for case in cases:
        holder = desk.effective_holder_id(case, now)
        if holder is not None and holder != actor.pk:
            raise CaseClaimed(claimed_by=case.claimed_by.username, case_id=case.pk)


def create_incident(*, workspace_id: int, case_ids, title: str, actor, membership,
                    now: datetime) -> Incident:
    title = clean_text(title, field="title", limit=MAX_TITLE_CHARS)
    if not membership.can_write:
        raise Forbidden()
    cases = _check_cases(case_ids, workspace_id)
    _may_gather(cases, actor, membership, now)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(workspace_id=workspace_id, title=title,
                                               created_by=actor, created_at=now, updated_at=now)
            for case in cases:
                _add(incident, case, actor, now)
            events.record(workspace_id=workspace_id, actor=actor, now=now, obj=incident,
                          action="incident.created",
                          after={"title": title, "case_ids": sorted(c.pk for c in cases)})
    except IntegrityError:
        raise InIncident() from None
    return incident


def _add(incident: Incident, case: Case, actor, now: datetime) -> None:
    if case.status in CLOSED_STATUSES:
        raise CaseClosed(case_id=case.pk)
    IncidentMember.objects.create(incident=incident, case=case, added_at=now)
    events.record(workspace_id=incident.workspace_id, actor=actor, now=now, case=case,
                  obj=incident, action="incident.case_added", after={"incident": incident.title})
    publish_on_commit(incident.workspace_id, {"kind": "case", "reason": "incident",
                                              "case_id": case.pk})


def change_members(*, incident_id: int, add=(), remove=(), actor, membership,
                   now: datetime) -> Incident:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            raise NotFound()
        if incident.status != IncidentStatus.OPEN:
            raise IncidentResolved()
        if add:
            cases = _check_cases(list(add), incident.workspace_id)
            _may_gather(cases, actor, membership, now)
            try:
                with transaction.atomic():
                    for case in cases:
                        _add(incident, case, actor, now)
            except IntegrityError:
                raise InIncident() from None
        if remove:
            members = IncidentMember.objects.filter(incident=incident, case_id__in=list(remove))
            for member in members.select_related("case"):
                events.record(workspace_id=incident.workspace_id, actor=actor, now=now,
                              case=member.case, obj=incident, action="incident.case_removed")
            members.delete()
        incident.version += 1
        incident.updated_at = now
        incident.save(update_fields=["version", "updated_at"])
    return incident


def member_case_ids(incident: Incident) -> list[int]:
    return list(IncidentMember.objects.filter(incident=incident).order_by("case_id")
                .values_list("case_id", flat=True))


def refer_incident(*, incident_id: int, body_id: int, actor, membership, note: str,
                   now: datetime) -> list[Referral]:
    """One referral for the matter: each open member case is referred to the body, linked to the
    incident; cases already referred keep their referral."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise NotFound()
    referred = []
    with transaction.atomic():
        for case_id in member_case_ids(incident):
            if Referral.objects.filter(case_id=case_id, status__in=(
                    "terkirim", "diterima", "diproses")).exists():
                continue
            result = refer_case(case_id=case_id, body_id=body_id, actor=actor,
                                membership=membership, note=note, incident=incident,
                                idempotency_key=f"incident:{incident.pk}", now=now)
            referred.append(result.referral)
    return referred


@dataclass(frozen=True)
class AnnounceResult:
    sent: int
    skipped: list[dict]
    created: bool


def announce(*, incident_id: int, text: str, idempotency_key: str, actor, membership,
             now: datetime, override: bool = False) -> AnnounceResult:
    """Reply to the incident: each member case gets its own message (`{nama}` and `{nomor}`
    filled per case, tone-checked per case) on its own channel, exactly once: one key per
    announcement and case, so a retry or a second operator's press sends nothing twice. A second
    announcement while the first still answers the incident needs `override`."""
    if not membership.can_write:
        raise Forbidden()
    text = clean_text(text)
    clean_key(idempotency_key)
    clean_flag(override, field="override")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            raise NotFound()
        earlier = Announcement.objects.filter(incident=incident,
                                              idempotency_key=idempotency_key).first()
        if earlier is None:
            if incident.announced_version == incident.version and not override:
                raise AlreadyAnnounced()
            earlier = Announcement.objects.create(incident=incident, text=text,
                                                  idempotency_key=idempotency_key,
                                                  sent_by=actor, created_at=now)
            incident.announced_version = incident.version
            incident.save(update_fields=["announced_version"])
            events.record(workspace_id=incident.workspace_id, actor=actor, now=now,
                          obj=incident, action="incident.announced",
                          after={"announcement_id": earlier.pk})
            created = True
        else:
            created = False
    return _deliver(incident, earlier, actor, now, created)


def _deliver(incident: Incident, announcement: Announcement, actor, now: datetime,
             created: bool) -> AnnounceResult:
    """Each member's copy in its own transaction (the case's lock, the desk's rules): one case
    refusing does not stop the rest; the per-case key makes this safe to run again."""
    sent, skipped = 0, []
    for case_id in member_case_ids(incident):
        case = Case.objects.select_related("contact").get(pk=case_id)
        values = template_values(case, _NoBody(incident.title))
        values.setdefault("nama", "")
        copy = announcement.text.replace("{nama}", values["nama"]).replace(
            "{nomor}", case.tracking_number)
        copy = re.sub(r"Bapak/Ibu\s+([,.!])", r"Bapak/Ibu\1", copy)
        try:
            result = desk.send_announcement(
                case_id=case_id, actor=actor, text=copy, now=now,
                idempotency_key=f"incident:{announcement.pk}", source=f"incident:{incident.pk}")
        except DeskError as exc:
            skipped.append({"case_id": case_id, "reason": exc.code})
            continue
        sent += 1
    result = {"sent": sent, "skipped": skipped}
    if created:
        Announcement.objects.filter(pk=announcement.pk).update(result=result)
    else:
        result = announcement.result or result
    return AnnounceResult(result["sent"], result["skipped"], created)


class _NoBody:
    def __init__(self, name: str):
        self.name = name


def resolve_incident(*, incident_id: int, text: str, idempotency_key: str, actor, membership,
                     now: datetime) -> AnnounceResult:
    """The matter is settled: every member case hears it (an announcement, once per case) and
    is marked done."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise NotFound()
    result = announce(incident_id=incident_id, text=text, idempotency_key=idempotency_key,
                      actor=actor, membership=membership, now=now, override=True)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident_id)
        if locked.status != IncidentStatus.RESOLVED:
            locked.status = IncidentStatus.RESOLVED
            locked.updated_at = now
            locked.save(update_fields=["status", "updated_at"])
            events.record(workspace_id=locked.workspace_id, actor=actor, now=now, obj=locked,
                          action="incident.resolved",
                          after={"sent": result.sent, "skipped": result.skipped})
    skipped = {s["case_id"] for s in result.skipped}
    for case_id in member_case_ids(incident):
        if case_id not in skipped:
            try:
                desk.set_case_status(case_id=case_id, actor=actor, status=CaseStatus.SELESAI,
                                     now=now)
            except DeskError:
                continue
    return result
