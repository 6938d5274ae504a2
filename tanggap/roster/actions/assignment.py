"""Fair assignment and hand-overs: which operator a waiting case is offered to ("untukmu").

An offer holds nothing. The claim stays the only way to hold a case (tanggap.cases.actions), so
the exactly-one-answer guarantees are untouched: an offered case can still be claimed by anyone,
and the offer simply ends. The desk offers a waiting case (new, or re-opened by the citizen) to
an operator on duty at the desk, never to one off duty or only on call: the one with the least
load (open cases held plus open offers) under their capacity, and among equals the one offered
to longest ago (round robin). A holder hands a case to a named colleague with a note, audited.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from tanggap.alerts.models import AlertKind
from tanggap.alerts.notify import notify
from tanggap.audit import events
from tanggap.cases.actions import effective_holder_id, release_case
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseStatus
from tanggap.errors import CaseClaimed, CaseClosed, Forbidden, InvalidInput
from tanggap.live.fanout import publish_on_commit
from tanggap.roster import queries, schedule
from tanggap.roster.models import Capacity, Offer, OfferKind, RosterSettings
from tanggap.workspaces.models import WRITER_ROLES, Membership

MAX_NOTE = 500


def configure(*, membership: Membership, actor, now: datetime, fair_assignment=None,
              default_capacity=None, offer_minutes=None) -> RosterSettings:
    if not membership.can_supervise:
        raise Forbidden()
    for name, value, low in (("default_capacity", default_capacity, 1),
                             ("offer_minutes", offer_minutes, 1)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not low <= value <= 10_000):
            raise InvalidInput(_("'%(field)s' must be a whole number from 1 to 10000.")
                               % {"field": name}, field=name)
    if fair_assignment is not None and not isinstance(fair_assignment, bool):
        raise InvalidInput(_("'fair_assignment' must be true or false."), field="fair_assignment")
    with transaction.atomic():
        found, _created = RosterSettings.objects.select_for_update().get_or_create(
            workspace_id=membership.workspace_id, defaults={"updated_at": now})
        before = {"fair_assignment": found.fair_assignment,
                  "default_capacity": found.default_capacity, "offer_minutes": found.offer_minutes}
        for name, value in (("fair_assignment", fair_assignment),
                            ("default_capacity", default_capacity),
                            ("offer_minutes", offer_minutes)):
            if value is not None:
                setattr(found, name, value)
        found.updated_at = now
        found.save()
        events.record(workspace_id=membership.workspace_id, actor=actor,
                      action="roster.settings_changed", now=now, obj=found, before=before,
                      after={"fair_assignment": found.fair_assignment,
                             "default_capacity": found.default_capacity,
                             "offer_minutes": found.offer_minutes})
    return found


def loads(workspace_id: int, now: datetime) -> Counter:
    """Per operator: open cases they hold (a live claim) plus their open offers."""
    held = Case.objects.filter(workspace_id=workspace_id, claimed_by__isnull=False,
                               claim_expires_at__gt=now).exclude(status__in=CLOSED_STATUSES)
    load = Counter(held.values_list("claimed_by_id", flat=True))
    load.update(Offer.objects.filter(workspace_id=workspace_id, ended_at__isnull=True)
                .values_list("user_id", flat=True))
    return load


def choose(*, candidates: set[int], load: Counter, capacity: dict[int, int], default: int,
           last_offered: dict[int, datetime]) -> int | None:
    """The operator a case goes to: the least loaded under capacity, then the one offered to
    longest ago (never offered counts as longest), then the lowest id. Pure."""
    eligible = [u for u in candidates if load[u] < capacity.get(u, default)]
    if not eligible:
        return None
    never = datetime.min.replace(tzinfo=UTC)
    return min(eligible, key=lambda u: (load[u], last_offered.get(u) or never, u))


def _end(offer: Offer, now: datetime, reason: str) -> None:
    offer.ended_at, offer.end_reason = now, reason
    offer.save(update_fields=["ended_at", "end_reason"])


def _case_url(case: Case) -> str:
    return reverse("case", args=[case.workspace.slug, case.pk])


def offer_case(*, case_id: int, now: datetime,
               exclude: frozenset[int] = frozenset()) -> Offer | None:
    """Offer a waiting case to an operator on duty (fair assignment on), or keep its offer.
    None when the case does not wait, the workspace does not assign, or nobody can take it.
    Safe to call twice: at most one open offer per case (a unique index)."""
    case = Case.objects.select_related("workspace").filter(pk=case_id).first()
    if case is None:
        return None
    workspace = case.workspace
    if not queries.settings_of(workspace.pk).fair_assignment:
        return None
    try:
        with transaction.atomic():
            return _offer(case, workspace, now, exclude)
    except IntegrityError:
        return Offer.objects.filter(case_id=case_id, ended_at__isnull=True).first()


def _offer(case: Case, workspace, now: datetime, exclude: frozenset[int]) -> Offer | None:
    open_offer = Offer.objects.select_for_update().filter(case=case, ended_at__isnull=True).first()
    waiting = (case.status == CaseStatus.BARU and effective_holder_id(case, now) is None)
    on_desk = queries.on_duty_ids(workspace, now, kind=schedule.DESK)
    if open_offer is not None:
        if not waiting:
            _end(open_offer, now, "settled")
            return None
        if open_offer.user_id in on_desk and open_offer.user_id not in exclude:
            return open_offer
        _end(open_offer, now, "off_duty" if open_offer.user_id not in on_desk else "expired")
        exclude = exclude | {open_offer.user_id}
    if not waiting:
        return None
    settings = queries.settings_of(workspace.pk)
    capacity = dict(Capacity.objects.filter(workspace_id=workspace.pk)
                    .values_list("user_id", "capacity"))
    last = dict(Offer.objects.filter(workspace_id=workspace.pk).values("user_id")
                .annotate(at=Max("offered_at")).values_list("user_id", "at"))
    chosen = choose(candidates=on_desk - set(exclude), load=loads(workspace.pk, now),
                    capacity=capacity, default=settings.default_capacity, last_offered=last)
    if chosen is None:
        return None
    offer = Offer.objects.create(workspace_id=workspace.pk, case=case, user_id=chosen,
                                 kind=OfferKind.OFFER, offered_at=now)
    user = get_user_model().objects.get(pk=chosen)
    events.record(workspace_id=workspace.pk, actor=None, action="case.offered", now=now,
                  case=case, obj=offer, after={"to": user.username, "kind": OfferKind.OFFER})
    _announce(case, offer, user, now, title=_("A case for you"),
              body=_("%(number)s is offered to you: claim it to answer.")
              % {"number": case.tracking_number})
    return offer


def _announce(case: Case, offer: Offer, user, now: datetime, *, title: str, body: str) -> None:
    publish_on_commit(case.workspace_id, {"kind": "case", "reason": "offer", "case_id": case.pk,
                                          "status": case.status, "version": case.version,
                                          "offered_to": user.username})
    notify(workspace=case.workspace, user_ids=[user.pk], kind=AlertKind.ASSIGNED, title=title,
           body=body, url=_case_url(case), now=now, reachable=[user.pk])


def hand_over(*, case_id: int, actor, membership: Membership, to_username, note,
              now: datetime) -> Offer:
    """The holder hands the case to a named colleague with a note: their claim ends, and the
    case shows as "untukmu" to the colleague until someone claims it. A supervisor may hand
    over a case nobody holds. A rostered desk refuses a colleague who is neither on duty nor on
    call (the case would wait for nobody)."""
    if not membership.can_write:
        raise Forbidden()
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidInput(_("'note' must be a string of at most %(limit)d characters.")
                           % {"limit": MAX_NOTE}, field="note")
    note = note.strip()
    if not isinstance(to_username, str):
        raise InvalidInput(_("'to' must be a username."), field="to")
    colleague = (Membership.objects.filter(workspace_id=membership.workspace_id,
                                           user__username=to_username, role__in=WRITER_ROLES,
                                           user__is_active=True)
                 .select_related("user").first())
    if colleague is None:
        raise InvalidInput(_("%(name)s is not a colleague who can answer here.")
                           % {"name": to_username}, field="to")
    if colleague.user_id == actor.pk:
        raise InvalidInput(_("Hand the case to someone else."), field="to")
    workspace = membership.workspace
    if queries.is_rostered(workspace.pk):
        now_on = queries.on_duty(workspace, now)
        if colleague.user not in (*now_on.desk, *now_on.on_call):
            raise InvalidInput(_("%(name)s is not on duty or on call now.")
                               % {"name": to_username}, field="to")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("workspace").get(pk=case_id)
        if case.status in CLOSED_STATUSES:
            raise CaseClosed()
        holder = effective_holder_id(case, now)
        if holder == actor.pk:
            release_case(case_id=case.pk, actor=actor, now=now)
        elif holder is not None:
            raise CaseClaimed(_("Only the holder hands a case over; a supervisor takes it over "
                                "first."), claimed_by=case.claimed_by.username)
        elif not membership.can_supervise:
            raise Forbidden(_("Claim the case before you hand it over."))
        for earlier in Offer.objects.select_for_update().filter(case=case, ended_at__isnull=True):
            _end(earlier, now, "handed_over")
        offer = Offer.objects.create(workspace_id=case.workspace_id, case=case,
                                     user=colleague.user, kind=OfferKind.HANDOVER,
                                     offered_by=actor, note=note, offered_at=now)
        events.record(workspace_id=case.workspace_id, actor=actor, action="case.handed_over",
                      now=now, case=case, obj=offer,
                      # Whether a note was left, not the note: it may name the citizen, and
                      # the append-only trail cannot be erased (it stays on the offer).
                      after={"to": colleague.user.username, "has_note": bool(note)})
        _announce(case, offer, colleague.user, now, title=_("A case handed to you"),
                  body=_("%(who)s hands %(number)s to you: %(note)s")
                  % {"who": actor.username, "number": case.tracking_number, "note": note or "-"})
    return offer


def review_offers(*, workspace, now: datetime) -> dict[str, int]:
    """The periodic part: end offers of cases claimed or closed; move offers that waited past
    the workspace's offer time or whose operator went off duty; offer waiting cases that have
    none (a lost wake-up, or nobody had room before). Returns counts."""
    settings = queries.settings_of(workspace.pk)
    counts = Counter()
    for offer in Offer.objects.filter(workspace=workspace, ended_at__isnull=True):
        case = Case.objects.get(pk=offer.case_id)
        stale = offer.offered_at + timedelta(minutes=settings.offer_minutes) <= now
        if case.status != CaseStatus.BARU or effective_holder_id(case, now) is not None:
            with transaction.atomic():
                Offer.objects.filter(pk=offer.pk, ended_at__isnull=True).update(
                    ended_at=now, end_reason="settled")
            counts["settled"] += 1
        elif settings.fair_assignment and offer.kind == OfferKind.OFFER and stale:
            offer_case(case_id=case.pk, now=now, exclude=frozenset({offer.user_id}))
            counts["moved"] += 1
    if settings.fair_assignment:
        waiting = (Case.objects.filter(workspace=workspace, status=CaseStatus.BARU)
                   .exclude(claimed_by__isnull=False, claim_expires_at__gt=now)
                   .exclude(pk__in=Offer.objects.filter(workspace=workspace, ended_at__isnull=True)
                            .values("case_id"))
                   .order_by("last_inbound_at").values_list("pk", flat=True)[:200])
        for case_id in waiting:
            if offer_case(case_id=case_id, now=now) is not None:
                counts["offered"] += 1
    return dict(counts)
