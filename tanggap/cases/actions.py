"""Every state change of a case and its messages. Each action owns its transaction, locks the
case row, writes an audit event in the same transaction, and schedules its side effects (live
events, delivery through the outbox port) on commit. Callers pass the acting user and `now`;
nothing here reads the clock. The connectors room reports what platforms said (delivery
outcomes, words fetched late) through the actions at the end; it never writes these columns.

The "exactly one answer" rules live here and only here:
  1. a claim is won under the row lock, by one claimer only (CaseClaimed for the rest);
  2. only the holder replies, and an answered case is not answered again by someone else until
     the citizen writes again (AlreadyAnswered) unless the sender overrides, which is audited;
  3. a reply names the version it was written against (StaleVersion if the case moved), and one
     idempotency key yields one outbound message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from tanggap import language as engine
from tanggap.audit import events
from tanggap.cases import arrivals, holds, learning, outbox, search
from tanggap.cases import language as desk_language
from tanggap.cases.cleaning import (
    clean_flag,
    clean_key,
    clean_name,
    clean_text,
    refuse_unstorable,
)
from tanggap.cases.language import INTENT_TO_KIND
from tanggap.cases.models import (
    CLOSED_STATUSES,
    Case,
    CaseKind,
    CaseStatus,
    Contact,
    DeliveryStatus,
    Direction,
    Message,
    Note,
    TriageLabel,
)
from tanggap.cases.tracking import new_tracking_number
from tanggap.conf import groupcommit, statements
from tanggap.errors import (
    AlreadyAnswered,
    CaseClaimed,
    CaseClosed,
    Forbidden,
    HandedOver,
    InvalidInput,
    NotHandedOver,
    NotHolder,
    StaleVersion,
    ToneBlocked,
    ToneNeedsConfirmation,
)
from tanggap.live.fanout import publish_on_commit
from tanggap.workspaces.models import Workspace


def effective_holder_id(case: Case, now: datetime) -> int | None:
    """The holder whose lease is still running, or None."""
    if case.claimed_by_id is None or case.claim_expires_at is None:
        return None
    return case.claimed_by_id if case.claim_expires_at > now else None


def holder_name(user) -> str:
    """How the desk names a holder to colleagues: the full name, else the username."""
    return (user.get_full_name() or user.username).strip()


def _claimed_by_other(case: Case) -> CaseClaimed:
    return CaseClaimed(_("%(name)s is handling this case.")
                       % {"name": holder_name(case.claimed_by)},
                       claimed_by=case.claimed_by.username)


def _not_holder(case: Case) -> NotHolder:
    """The refusal of a non-holder's act, naming who holds the case when someone does."""
    if case.claimed_by_id is None:
        return NotHolder(claimed_by=None)
    return NotHolder(_("%(name)s holds this case: only the holder can reply or release it.")
                     % {"name": holder_name(case.claimed_by)},
                     claimed_by=case.claimed_by.username)


def handed_over_refusal(case: Case) -> HandedOver:
    """The refusal of a send while a linked body's desk speaks to the citizen, naming it."""
    name = case.speaking_workspace.name
    return HandedOver(_("%(desk)s speaks to the citizen on this case now. Take the conversation "
                        "back to reply.") % {"desk": name}, speaking_desk=name)


def _snapshot(case: Case) -> dict:
    return {
        "status": case.status,
        "claimed_by": case.claimed_by.username if case.claimed_by_id else None,
        "version": case.version,
    }


def lock_case(case_id: int) -> Case:
    """The case, row-locked until the caller's transaction ends: for a room above (referrals)
    that decides with the desk's rules and then writes through the functions below."""
    return _lock_case(case_id)


def _lock_case(case_id: int) -> Case:
    # No select_related here: when PostgreSQL waits for the lock and then re-reads the updated
    # case row, columns of joined tables still come from the old snapshot (claimed_by_id set,
    # the joined user NULL). Related rows are loaded after the lock, each in its own query.
    # Every action on a case starts here: the precompiled statement (tanggap.conf.statements).
    found = statements.rows(Case, f"{statements.column(Case, 'id')} = %s", [case_id],
                            tail="FOR UPDATE" if connection.features.has_select_for_update
                            else "")
    if not found:
        raise Case.DoesNotExist(f"no case {case_id}")
    return found[0]


def _lease(workspace: Workspace) -> timedelta:
    return timedelta(minutes=workspace.claim_lease_minutes)


def _publish(case: Case, reason: str, actor=None) -> None:
    publish_on_commit(
        case.workspace_id,
        {
            "kind": "case",
            "reason": reason,
            "case_id": case.pk,
            "status": case.status,
            "claimed_by": case.claimed_by.username if case.claimed_by_id else None,
            "version": case.version,
            "actor": actor.username if actor is not None else None,
        },
    )


# The name the other rooms know for the shared text rules (cases/cleaning.py).
validate_text = clean_text


# ---------------------------------------------------------------------------------------------
# Inbound


@dataclass(frozen=True)
class InboundResult:
    case: Case
    message: Message
    created: bool


def ingest_inbound(
    *,
    channel,
    external_id: str,
    author_id: str,
    author_name: str,
    text: str,
    now: datetime,
    thread_id: str = "",
    attachments: list | None = None,
    platform_created_at: datetime | None = None,
    kind: str | None = None,
    actor=None,
    truncate: bool = False,
) -> InboundResult:
    """Store one citizen message, once, and put it on its open case (or a new one).

    `actor` is who put it in: None for a platform's webhook or poll (the audit shows "system"),
    the token's user for POST /api/v1/inbound, so a message typed in by hand is never taken for
    the platform's.

    `truncate`: a text over TANGGAP_MAX_MESSAGE_CHARS is shortened to it and marked
    (`truncated_from`) instead of refused: for what a platform already delivered (a webhook, a
    poll), where a refusal would lose the citizen's message. Other callers get InvalidInput.
    """
    truncated_from = None
    limit = settings.TANGGAP_MAX_MESSAGE_CHARS
    if truncate and isinstance(text, str) and len(text.strip()) > limit:
        truncated_from = len(text.strip())
        text = text.strip()[:limit]
    text = clean_text(text)
    for name, value in (("external_id", external_id), ("author.id", author_id)):
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise InvalidInput(
                _("'%(field)s' must be a non-empty string of at most 200 characters.")
                % {"field": name}, field=name,
            )
        refuse_unstorable(value, name)
    if not isinstance(thread_id, str) or len(thread_id) > 200:
        raise InvalidInput(_("'thread_id' must be a string of at most 200 characters."),
                           field="thread_id")
    refuse_unstorable(thread_id, "thread_id")
    if kind is not None and kind not in CaseKind.values:
        raise InvalidInput(_("Unknown kind %(kind)r.") % {"kind": kind})
    reading = desk_language.triage(text, workspace_id=channel.workspace_id, now=now)
    # The search index's words of the text, read here like the triage: outside the write
    # transaction, which on SQLite is every writer's turn (a group commit's leader runs its
    # batch's pieces one after the other).
    text_words = search.document_words(text)
    author_name = clean_name(author_name)
    for attempt in range(3):
        try:
            # Its own transaction, or a share of one with other messages arriving at the same
            # moment (tanggap.conf.groupcommit, SQLite): answered only once its rows are
            # committed either way.
            return groupcommit.run(lambda: _ingest(
                channel=channel, external_id=external_id, author_id=author_id,
                author_name=author_name, text=text, now=now,
                thread_id=thread_id, attachments=attachments or [],
                platform_created_at=platform_created_at, kind=kind, reading=reading, actor=actor,
                truncated_from=truncated_from, text_words=text_words,
            ))
        except IntegrityError:
            # Our transaction rolled back whole. Either another one stored the same platform
            # message, or the same new contact, between our look and our insert (PostgreSQL
            # only: SQLite writers are serialised), or a tracking number collided (1 in 2^60).
            existing = _existing_inbound(channel, external_id)
            if existing is not None:
                return _redelivered(existing.pk)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _existing_inbound(channel, external_id: str) -> Message | None:
    # Asked on every inbound and almost always empty: no join, no ORDER BY (which would make
    # SQLite sort instead of stopping at the index hit); the rare duplicate loads its case after.
    found = statements.rows(Message, "channel_id = %s AND direction = %s AND external_id = %s",
                            [channel.pk, Direction.IN, external_id], tail="LIMIT 1")
    return found[0] if found else None


@cache
def _arrival_sql(vendor: str) -> str:
    # One statement for the two reads every inbound makes first: has this platform message been
    # stored already (a redelivery), and do we know its author. LEFT JOIN from a one-row table,
    # so the answer has one row whether or not the contact exists.
    message, contact = statements.table(Message), statements.table(Contact)
    return (
        f"SELECT (SELECT m.id FROM {message} m WHERE m.channel_id = %s AND m.direction = %s"
        f" AND m.external_id = %s LIMIT 1), c.id, c.display_name"
        f" FROM (SELECT 1 AS one) AS x LEFT JOIN {contact} c"
        f" ON c.workspace_id = %s AND c.platform = %s AND c.external_id = %s")


def _arrival(channel, external_id: str, author_id: str) -> tuple[int | None, int | None, str]:
    """(id of the message already stored under this platform id, the author's contact id, its
    display name)."""
    return statements.fetchone(_arrival_sql(connection.vendor), [
        channel.pk, Direction.IN, external_id, channel.workspace_id, channel.platform, author_id])


def _redelivered(message_id: int) -> InboundResult:
    message = Message.objects.select_related("case").get(pk=message_id)
    return InboundResult(message.case, message, False)


def apply_reading(case: Case, reading: dict) -> list[str]:
    """Fold one message's triage into its case, unless an operator already settled it; return
    the changed field names. The caller holds the case's row lock and saves them."""
    changed = []
    if not reading:
        return changed
    if reading.get("kasar") and not case.kasar:
        case.kasar = True
        changed.append("kasar")
    if case.triage_confirmed:
        return changed
    # A follow-up such as "masih mati min" says little; it only fills what is still unknown,
    # and a topic the engine was unsure of is unknown until a surer reading comes.
    sure = not reading.get("unsure", False)
    if case.topic in ("", "lainnya") or (case.needs_check and sure):
        for field, value in _topic_fields(reading).items():
            if getattr(case, field) != value:
                setattr(case, field, value)
                changed.append(field)
    if case.intent in ("", "lainnya") and reading["intent"] != case.intent:
        case.intent = reading["intent"]
        changed.append("intent")
    if changed:
        case.triage_reasons = list(reading.get("reasons", []))
        changed.append("triage_reasons")
    return changed


def _topic_fields(reading: dict) -> dict:
    """The case's topic columns as one reading gives them."""
    return {
        "topic": reading.get("topic", ""),
        "triage_confidence": reading.get("confidence"),
        "triage_suggestions": list(reading.get("top_topics", [])),
        "triage_unsure": bool(reading.get("unsure", False)),
    }


def _ingest(*, channel, external_id, author_id, author_name, text, now, thread_id, attachments,
            platform_created_at, kind, reading, actor, truncated_from=None,
            text_words=None) -> InboundResult:
    # The statements below are tanggap.conf.statements' precompiled ones, not the ORM's: this is
    # the hottest write path (every citizen message), and building the same SQL again on each
    # call was most of its CPU. They read and write the same rows and columns the ORM would.
    # Runs inside the transaction ingest_inbound gives it (groupcommit.run).
    existing_id, contact_id, display_name = _arrival(channel, external_id, author_id)
    if existing_id is not None:
        return _redelivered(existing_id)
    locks = connection.features.has_select_for_update
    if contact_id is None:
        # No get_or_create: its savepoint costs two statements on every new citizen, and a
        # concurrent insert (PostgreSQL; SQLite serialises writers) is handled by
        # ingest_inbound's retry of the whole transaction.
        contact = statements.create(Contact, {
            "workspace_id": channel.workspace_id, "platform": channel.platform,
            "external_id": author_id, "display_name": author_name, "created_at": now})
        case = None  # a citizen we never heard from has no open case
        renamed = False
    else:
        # What the lookup read; created_at stays deferred (loaded if anyone asks).
        contact = Contact.from_db(
            connection.alias, ["id", "workspace_id", "platform", "external_id",
                               "display_name"],
            [contact_id, channel.workspace_id, channel.platform, author_id, display_name])
        if locks:
            # One author's messages queue here, so two arriving at once join one case, and a
            # redelivery racing its original is seen after the wait. (SQLite's BEGIN
            # IMMEDIATE has already serialised every writer.)
            list(Contact.objects.select_for_update().filter(pk=contact_id).values_list("pk"))
            existing = _existing_inbound(channel, external_id)
            if existing is not None:
                return _redelivered(existing.pk)
        renamed = bool(author_name and display_name != author_name)
        if renamed:
            contact.display_name = author_name
            statements.update_fields(contact, ["display_name"])
        where = "contact_id = %s AND channel_id = %s AND status NOT IN (%s, %s)"
        params = [contact_id, channel.pk, *CLOSED_STATUSES]
        if thread_id:
            where += " AND thread_id = %s"
            params.append(thread_id)
        found = statements.rows(
            Case, where, params,
            tail="ORDER BY last_inbound_at DESC, id DESC LIMIT 1"
            + (" FOR UPDATE" if locks else ""))
        case = found[0] if found else None
    created_case = case is None
    if case is None:
        kind = kind or INTENT_TO_KIND.get(reading.get("intent"), CaseKind.LAINNYA)
        case = _new_case(channel, contact, thread_id, kind, reading, now)
        search.index_new_case(case, contact, text, text_words=text_words)
        events.record(
            workspace_id=case.workspace_id, actor=actor, action="case.opened", now=now,
            case=case, obj=case, after=_snapshot(case),
        )
        arrivals.case_waiting(case.pk)
    else:
        before = _snapshot(case)
        if case.status in (CaseStatus.DIJAWAB, CaseStatus.MENUNGGU):
            case.status = (
                CaseStatus.DIKLAIM if effective_holder_id(case, now) else CaseStatus.BARU
            )
        case.answered_by = None
        case.last_inbound_at = now
        case.updated_at = now
        case.version += 1
        fields = ["status", "answered_by", "last_inbound_at", "updated_at", "version",
                  *apply_reading(case, reading)]
        if case.anonymised_at is not None:  # see _holds_personal_data_again
            case.anonymised_at = None
            fields.append("anonymised_at")
        statements.update_fields(case, fields)
        events.record(
            workspace_id=case.workspace_id, actor=actor, action="case.citizen_wrote", now=now,
            case=case, obj=case, before=before, after=_snapshot(case),
        )
        if case.status == CaseStatus.BARU and before["status"] != CaseStatus.BARU:
            arrivals.case_waiting(case.pk)
    # Built from its values, not through Model.__init__'s keyword handling (statements.create).
    message = statements.create(Message, {
        "workspace_id": case.workspace_id,
        "case_id": case.pk,
        "channel_id": channel.pk,
        "direction": Direction.IN,
        "external_id": external_id,
        "text": text,
        "truncated_from": truncated_from,
        "author_name": author_name or contact.display_name,
        "attachments": attachments,
        "delivery_status": DeliveryStatus.RECEIVED,
        "platform_created_at": platform_created_at,
        "created_at": now,
        "triage": reading,
    }, related={"case": case, "channel": channel})
    if renamed:
        # The name is in every document of the contact's cases (this message included).
        search.reindex_contact(contact.pk)
    elif not created_case:
        search.add_text(case.pk, text, words=text_words)
    _publish(case, "inbound")
    return InboundResult(case, message, True)


def _new_case(channel, contact, thread_id: str, kind: str, reading: dict,
              now: datetime) -> Case:
    # A tracking-number collision (1 in 2^60) raises IntegrityError; ingest_inbound retries the
    # whole transaction with a fresh draw rather than paying a savepoint on every new case.
    return statements.create(Case, {
        "workspace_id": channel.workspace_id,
        "channel_id": channel.pk,
        "contact_id": contact.pk,
        "thread_id": thread_id,
        "kind": kind,
        **_topic_fields(reading),
        "intent": reading.get("intent", ""),
        "kasar": bool(reading.get("kasar")),
        "triage_reasons": list(reading.get("reasons", [])),
        "status": CaseStatus.BARU,
        "tracking_number": new_tracking_number(),
        "last_inbound_at": now,
        "created_at": now,
        "updated_at": now,
    }, related={"channel": channel, "contact": contact})


def note_citizen_words_changed(case: Case) -> list[str]:
    """The words of a message already on the case changed (a platform delivered them late): a
    reply drafted before must be refused as stale. Returns the field to save; caller holds the
    lock."""
    case.version += 1
    return ["version"]


# ---------------------------------------------------------------------------------------------
# Claims


def claim_case(*, case_id: int, actor, now: datetime, workspace: Workspace | None = None) -> Case:
    """Claim the case for `actor`, or renew the lease if `actor` already holds it. `workspace`:
    the case's workspace as the caller's access check already read it (its lease), which spares
    reading it again under the lock."""
    # Claims arriving together share a transaction on SQLite (tanggap.conf.groupcommit); each
    # is decided under the case's lock in turn, so two claims of one case still have one winner.
    return groupcommit.run(lambda: _claim(case_id=case_id, actor=actor, now=now,
                                          workspace=workspace))


def _claim(*, case_id: int, actor, now: datetime, workspace: Workspace | None) -> Case:
    case = _lock_case(case_id)
    if workspace is not None and workspace.pk == case.workspace_id:
        case.workspace = workspace
    if case.status in CLOSED_STATUSES:
        raise CaseClosed()
    holder_id = effective_holder_id(case, now)
    if holder_id is not None and holder_id != actor.pk:
        raise _claimed_by_other(case)
    if case.claimed_by_id == actor.pk:
        # A renewal is a heartbeat of the same claim: no new version, no audit row.
        case.claim_expires_at = now + _lease(case.workspace)
        statements.update_fields(case, ["claim_expires_at"])
        case.claimed_by = actor  # the holder, already loaded: the answer names them
        return case
    before = _snapshot(case)
    case.claimed_by = actor
    case.claim_expires_at = now + _lease(case.workspace)
    if case.status == CaseStatus.BARU:
        case.status = CaseStatus.DIKLAIM
    case.version += 1
    case.updated_at = now
    statements.update_fields(case, ["claimed_by", "claim_expires_at", "status", "version",
                                    "updated_at"])
    events.record(
        workspace_id=case.workspace_id, actor=actor, action="case.claimed", now=now,
        case=case, obj=case, before=before, after=_snapshot(case),
    )
    _publish(case, "claim", actor)
    return case


def release_case(*, case_id: int, actor, now: datetime) -> Case:
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.claimed_by_id is None:
            return case  # nothing held: releasing twice is harmless
        if case.claimed_by_id != actor.pk:
            raise _not_holder(case)
        _unclaim(case, actor, now)
        return case


def _unclaim(case: Case, actor, now: datetime, **noted) -> None:
    """Under the case's lock: nobody holds it any more; audited as `actor`'s release."""
    before = _snapshot(case)
    case.claimed_by = None
    case.claim_expires_at = None
    if case.status == CaseStatus.DIKLAIM:
        case.status = CaseStatus.BARU
    case.version += 1
    case.updated_at = now
    case.save(update_fields=["claimed_by", "claim_expires_at", "status", "version",
                             "updated_at"])
    events.record(
        workspace_id=case.workspace_id, actor=actor, action="case.released", now=now,
        case=case, obj=case, before=before, after={**_snapshot(case), **noted},
    )
    _publish(case, "release", actor)


def release_claims_of(*, holder_id: int, workspace_id: int, actor, now: datetime) -> int:
    """Release every case `holder_id` holds in the workspace, because they can no longer answer
    there (removed from it, or deactivated): the workspaces room calls this through its port, in
    its own transaction, and `actor` is whoever removed them. Returns how many were released."""
    released = 0
    held = Case.objects.filter(workspace_id=workspace_id, claimed_by_id=holder_id)
    for case_id in held.order_by("pk").values_list("pk", flat=True):
        case = _lock_case(case_id)
        if case.claimed_by_id != holder_id:
            continue
        _unclaim(case, actor, now, holder_left=True)
        released += 1
    return released


MAX_REASON_CHARS = 500


def take_over_case(*, case_id: int, actor, membership, now: datetime, reason: str = "") -> Case:
    """A supervisor takes the case from its holder, explicitly and on the record: the reason is
    in the audit trail, and the operator who lost the case is told at once (a live event naming
    them, the supervisor and the reason)."""
    if not membership.can_supervise:
        raise Forbidden()
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(_("'reason' must be a text of at most %(limit)d characters.")
                           % {"limit": MAX_REASON_CHARS}, field="reason")
    reason = clean_name(reason) if reason.strip() else ""
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status in CLOSED_STATUSES:
            raise CaseClosed()
        before = _snapshot(case)
        lost = effective_holder_id(case, now)
        lost_username = case.claimed_by.username if lost not in (None, actor.pk) else None
        if case.claimed_by_id != actor.pk:
            case.claimed_by = actor
            case.version += 1
        case.claim_expires_at = now + _lease(case.workspace)
        if case.status == CaseStatus.BARU:
            case.status = CaseStatus.DIKLAIM
        case.updated_at = now
        case.save(update_fields=["claimed_by", "claim_expires_at", "status", "version",
                                 "updated_at"])
        events.record(
            workspace_id=case.workspace_id, actor=actor, action="case.taken_over", now=now,
            case=case, obj=case, before=before, after={**_snapshot(case), "reason": reason},
        )
        _publish(case, "takeover", actor)
        if lost_username is not None:
            publish_on_commit(case.workspace_id, {
                "kind": "takeover", "case_id": case.pk, "tracking_number": case.tracking_number,
                "from": lost_username, "by": actor.username, "by_name": holder_name(actor),
                "reason": reason})
        return case


# ---------------------------------------------------------------------------------------------
# Replies


@dataclass(frozen=True)
class ReplyResult:
    case: Case
    message: Message | None  # None when the reply is held for approval (`held`)
    created: bool
    held: holds.Held | None = None


def _changes_since(case: Case, base_version: int) -> list[dict]:
    changes = []
    for event in case.audit_events.select_related("actor").order_by("id"):
        version = event.after.get("version")
        if isinstance(version, int) and version > base_version:
            changes.append({
                "action": event.action,
                "actor": event.actor.username if event.actor_id else None,
                "at": event.created_at.isoformat(),
                "version": version,
            })
    return changes


def send_reply(
    *,
    case_id: int,
    actor,
    text: str,
    idempotency_key: str,
    base_version: int,
    now: datetime,
    override: bool = False,
    confirm_tone: bool = False,
    approved_by=None,
) -> ReplyResult:
    """Send `text` as the holder's answer. The tone guard runs here, where no caller can skip
    it: a `block` verdict is refused, a `warn` verdict needs `confirm_tone` (audited).

    A reply the workspace wants approved first (cases.holds) is held, not sent: the result has
    `held` and no message. `approved_by` is the supervisor who approved a held reply (the
    approvals room's own call): it is sent, audited with their name, and never held again."""
    text = clean_text(text)
    clean_key(idempotency_key)
    if isinstance(base_version, bool) or not isinstance(base_version, int):
        raise InvalidInput(_("'base_version' must be an integer."))
    clean_flag(override, field="override")
    clean_flag(confirm_tone, field="confirm_tone")
    with transaction.atomic():
        case, earlier = _reply_turn(case_id, idempotency_key)
        if earlier is not None:
            return ReplyResult(case, earlier, False)
        if case.speaking_workspace_id is not None:
            raise handed_over_refusal(case)
        if case.claimed_by_id != actor.pk:
            raise _not_holder(case)
        check_version(case, base_version)
        if case.answered_by_id is not None and case.answered_by_id != actor.pk and not override:
            raise AlreadyAnswered(answered_by=case.answered_by.username)
        verdict = _tone_gate(case, text, confirm_tone=confirm_tone)
        if approved_by is None:
            held = holds.hold(case=case, actor=actor, text=text, idempotency_key=idempotency_key,
                              base_version=base_version, verdict=verdict.verdict,
                              findings=sorted({f.code for f in verdict.findings}), now=now)
            if held is not None:
                return ReplyResult(case, None, True, held=held)
        overriding = case.answered_by_id is not None and case.answered_by_id != actor.pk
        approval = {"approved_by": approved_by.username} if approved_by is not None else {}
        message = _store_reply(case, actor=actor, text=text, idempotency_key=idempotency_key,
                               verdict=verdict, now=now, action="case.replied",
                               audit_extra={"override": overriding, **approval},
                               lease_until=now + _lease(case.workspace))
        return ReplyResult(case, message, True)


def _reply_turn(case_id: int, idempotency_key: str) -> tuple[Case, Message | None]:
    """The case locked for a send, and the earlier send with this key: a retry of a send that
    already happened answers with it, whatever changed since. CaseClosed for a new send to a
    closed case."""
    case = _lock_case(case_id)
    earlier = Message.objects.filter(case=case, idempotency_key=idempotency_key).first()
    if earlier is None and case.status in CLOSED_STATUSES:
        raise CaseClosed()
    return case, earlier


def check_version(case: Case, base_version: int) -> None:
    """StaleVersion, with what changed, unless the caller saw the case at its current version."""
    if base_version != case.version:
        raise StaleVersion(version=case.version, changes=_changes_since(case, base_version))


def send_reply_as_speaking_desk(*, case_id: int, workspace: Workspace, actor, text: str,
                                idempotency_key: str, now: datetime,
                                confirm_tone: bool = False) -> ReplyResult:
    """A reply to the citizen from the desk the conversation is handed over to (an operator of
    `workspace`, which tanggap.referrals checked holds the linked case): the same outbox row,
    tone guard and idempotency as the case's own desk's replies, audited on this case with the
    operator and their workspace. NotHandedOver unless `workspace` speaks on the case now."""
    text = clean_text(text)
    clean_key(idempotency_key)
    clean_flag(confirm_tone, field="confirm_tone")
    with transaction.atomic():
        case, earlier = _reply_turn(case_id, idempotency_key)
        if earlier is not None:
            return ReplyResult(case, earlier, False)
        if case.speaking_workspace_id != workspace.pk:
            raise NotHandedOver()
        verdict = _tone_gate(case, text, confirm_tone=confirm_tone)
        message = _store_reply(case, actor=actor, text=text, idempotency_key=idempotency_key,
                               verdict=verdict, now=now, action="case.replied",
                               audit_extra={"workspace": workspace.slug, "handed_over": True})
        return ReplyResult(case, message, True)


def set_speaking_desk(*, case: Case, workspace: Workspace | None, actor, now: datetime,
                      extra: dict) -> None:
    """Hand the conversation over to `workspace`'s desk, or (None) give it back to the case's
    own desk. Bumps the version, so a reply drafted before is refused (StaleVersion or
    HandedOver), never sent alongside the other desk's. The caller (tanggap.referrals) holds
    the case's lock and decides who may."""
    before = {**_snapshot(case), "speaking_desk": _speaking_slug(case)}
    case.speaking_workspace = workspace
    case.version += 1
    case.updated_at = now
    case.save(update_fields=["speaking_workspace", "version", "updated_at"])
    events.record(
        workspace_id=case.workspace_id, actor=actor, now=now, case=case, obj=case,
        action=("case.conversation_handed_over" if workspace is not None
                else "case.conversation_taken_back"),
        before=before, after={**_snapshot(case), "speaking_desk": _speaking_slug(case), **extra},
    )
    _publish(case, "referral", actor)


def _speaking_slug(case: Case) -> str | None:
    return case.speaking_workspace.slug if case.speaking_workspace_id else None


def _tone_gate(case: Case, text: str, *, confirm_tone: bool):
    """The tone guard, where no caller can skip it: block never leaves, warn needs a confirm."""
    verdict = desk_language.tone(text, inbound_kind=case.intent or case.kind)
    findings = [desk_language.finding_json(f) for f in verdict.findings]
    if verdict.verdict == "block":
        raise ToneBlocked(findings=findings, suggestion=verdict.suggestion)
    if verdict.verdict == "warn" and not confirm_tone:
        raise ToneNeedsConfirmation(findings=findings, suggestion=verdict.suggestion)
    return verdict


def _store_reply(case: Case, *, actor, text: str, idempotency_key: str, verdict, now: datetime,
                 action: str, audit_extra: dict, lease_until: datetime | None = None) -> Message:
    """The outbound message (the outbox row), the case's answered state, the audit event and the
    deliverer's wake-up, under the caller's lock of the case."""
    tone_record = {"tone": verdict.verdict,
                   "findings": sorted({f.as_dict()["code"] for f in verdict.findings})}
    before = _snapshot(case)
    message = Message.objects.create(
        workspace_id=case.workspace_id,
        case=case,
        channel_id=case.channel_id,
        direction=Direction.OUT,
        text=text,
        author_name=actor.get_full_name() or actor.username,
        sent_by=actor,
        idempotency_key=idempotency_key,
        delivery_status=DeliveryStatus.PENDING,
        created_at=now,
        triage=tone_record,
    )
    search.add_text(case.pk, text)
    # A referred case stays referred while the desk keeps the citizen informed: the body's
    # answer, not the desk's reply, settles it (tanggap.referrals).
    if case.status != CaseStatus.DITERUSKAN:
        case.status = CaseStatus.DIJAWAB
    case.answered_by = actor
    fields = ["status", "answered_by", "version", "updated_at"]
    if lease_until is not None:  # the holder's lease runs on from their reply
        case.claim_expires_at = lease_until
        fields.append("claim_expires_at")
    case.version += 1
    case.updated_at = now
    case.save(update_fields=fields)
    _holds_personal_data_again(case)
    events.record(
        workspace_id=case.workspace_id, actor=actor, action=action, now=now,
        case=case, obj=message, before=before,
        after={**_snapshot(case), "message_id": message.pk, **audit_extra,
               **tone_record, "tone_confirmed": verdict.verdict == "warn"},
    )
    _publish(case, "reply", actor)
    # The pending message is the outbox row; its deliverer (connectors) is woken on commit.
    outbox.deliver_on_commit(message.pk)
    return message


def send_announcement(*, case_id: int, actor, text: str, idempotency_key: str, now: datetime,
                      source: str, confirm_tone: bool = False) -> ReplyResult:
    """One member's copy of an announcement made for many cases at once (an incident's reply,
    tanggap.referrals): no claim of each case is needed, but a case someone else holds is theirs
    to answer (CaseClaimed), a closed one gets nothing (CaseClosed), the tone guard runs on this
    copy, and one idempotency key per case gives one message, whoever presses send and however
    often. `source` names the announcement in the audit trail."""
    text = validate_text(text)
    with transaction.atomic():
        case, earlier = _reply_turn(case_id, idempotency_key)
        if earlier is not None:
            return ReplyResult(case, earlier, False)
        if case.speaking_workspace_id is not None:
            raise handed_over_refusal(case)
        holder_id = effective_holder_id(case, now)
        if holder_id is not None and holder_id != actor.pk:
            raise _claimed_by_other(case)
        verdict = _tone_gate(case, text, confirm_tone=confirm_tone)
        message = _store_reply(case, actor=actor, text=text, idempotency_key=idempotency_key,
                               verdict=verdict, now=now, action="case.announced",
                               audit_extra={"source": source})
        return ReplyResult(case, message, True)


# ---------------------------------------------------------------------------------------------
# Referrals (tanggap.referrals decides, under lock_case in its own transaction; these write)


def _move_for_referral(case: Case, status: str, *, actor, now: datetime, action: str,
                       extra: dict) -> None:
    before = _snapshot(case)
    case.status = status
    case.version += 1
    case.updated_at = now
    case.save(update_fields=["status", "version", "updated_at"])
    events.record(
        workspace_id=case.workspace_id, actor=actor, action=action, now=now,
        case=case, obj=case, before=before, after={**_snapshot(case), **extra},
    )
    _publish(case, "referral", actor)


def mark_referred(*, case: Case, actor, now: datetime, body_name: str) -> None:
    """The case was passed to a responsible body: status diteruskan. The caller holds the lock."""
    _move_for_referral(case, CaseStatus.DITERUSKAN, actor=actor, now=now, action="case.referred",
                       extra={"body": body_name})


def mark_referral_returned(*, case: Case, actor, now: datetime, reason: str) -> None:
    """The body declined or the referral was withdrawn: the case is the desk's again (claimed if
    its holder's lease still runs, else new). The caller holds the lock."""
    if case.status != CaseStatus.DITERUSKAN:
        _publish(case, "referral", actor)
        return
    status = CaseStatus.DIKLAIM if effective_holder_id(case, now) else CaseStatus.BARU
    _move_for_referral(case, status, actor=actor, now=now, action="case.referral_returned",
                       extra={"reason": reason})


def note_referral_changed(*, case: Case, actor) -> None:
    """A referral of the case moved without changing the case: open desks refresh it."""
    _publish(case, "referral", actor)


# ---------------------------------------------------------------------------------------------
# Status, kind, notes

MANUAL_STATUSES = (CaseStatus.BARU, CaseStatus.MENUNGGU, CaseStatus.SELESAI, CaseStatus.DITUTUP)


def set_case_status(*, case_id: int, actor, status: str, now: datetime) -> Case:
    if status not in MANUAL_STATUSES:
        raise InvalidInput(
            _("Status must be one of %(choices)s (claimed and answered follow from claims and "
              "replies).") % {"choices": ", ".join(MANUAL_STATUSES)}
        )
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status == status:
            return case
        before = _snapshot(case)
        case.status = status
        if status in CLOSED_STATUSES or status == CaseStatus.BARU:
            case.claimed_by = None
            case.claim_expires_at = None
        case.version += 1
        case.updated_at = now
        case.save(update_fields=["status", "claimed_by", "claim_expires_at", "version",
                                 "updated_at"])
        events.record(
            workspace_id=case.workspace_id, actor=actor, action="case.status_changed", now=now,
            case=case, obj=case, before=before, after=_snapshot(case),
        )
        if status == CaseStatus.BARU:
            arrivals.case_waiting(case.pk)
        _publish(case, "status", actor)
        return case


def set_case_kind(*, case_id: int, actor, kind: str, now: datetime) -> Case:
    if kind not in CaseKind.values:
        raise InvalidInput(
            _("Kind must be one of %(choices)s.") % {"choices": ", ".join(CaseKind.values)}
        )
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.kind == kind:
            return case
        before = {"kind": case.kind}
        case.kind = kind
        case.updated_at = now
        case.save(update_fields=["kind", "updated_at"])
        events.record(
            workspace_id=case.workspace_id, actor=actor, action="case.kind_changed", now=now,
            case=case, obj=case, before=before, after={"kind": kind},
        )
        _publish(case, "kind", actor)
        return case


def _holds_personal_data_again(case: Case) -> None:
    """New words on an anonymised case (a message, a reply, a note) may name the citizen again:
    the case is no longer anonymised, so retention takes it up again and an erasure reaches it
    (tanggap/privacy). The caller holds the case's lock."""
    if case.anonymised_at is not None:
        case.anonymised_at = None
        case.save(update_fields=["anonymised_at"])


def add_note(*, case_id: int, actor, text: str, now: datetime) -> Note:
    text = clean_text(text)
    with transaction.atomic():
        case = _lock_case(case_id)
        note = Note.objects.create(
            workspace_id=case.workspace_id, case=case, author=actor, text=text, created_at=now
        )
        _holds_personal_data_again(case)
        search.add_text(case.pk, text)
        events.record(
            workspace_id=case.workspace_id, actor=actor, action="note.added", now=now,
            case=case, obj=note, after={"note_id": note.pk},
        )
        _publish(case, "note", actor)
        return note


def correct_triage(*, case_id: int, actor, now: datetime, topic: str | None = None,
                   intent: str | None = None) -> Case:
    """An operator confirms or corrects a case's topic and intent; the answer becomes training
    data (TriageLabel): the workspace's model learns from it (cases/learning.py), and
    `tanggap train --from-desk` can export it."""
    if topic is None and intent is None:
        raise InvalidInput(_("Give a topic, an intent, or both."))
    if topic is not None and topic not in engine.TOPICS:
        raise InvalidInput(_("Topic must be one of %(choices)s.")
                           % {"choices": ", ".join(engine.TOPICS)})
    if intent is not None and intent not in engine.INTENTS:
        raise InvalidInput(_("Intent must be one of %(choices)s.")
                           % {"choices": ", ".join(engine.INTENTS)})
    with transaction.atomic():
        case = _lock_case(case_id)
        before = {"topic": case.topic, "intent": case.intent, "confirmed": case.triage_confirmed}
        case.topic = topic if topic is not None else case.topic
        case.intent = intent if intent is not None else case.intent
        case.triage_confirmed = True
        case.updated_at = now
        case.save(update_fields=["topic", "intent", "triage_confirmed", "updated_at"])
        first = case.messages.filter(direction=Direction.IN).order_by("id").first()
        label = TriageLabel.objects.create(
            workspace_id=case.workspace_id, case=case,
            text=first.text if first else "",
            topic=case.topic, intent=case.intent,
            predicted_topic=(first.triage or {}).get("topic", "") if first else "",
            predicted_intent=(first.triage or {}).get("intent", "") if first else "",
            labeled_by=actor, created_at=now,
        )
        events.record(
            workspace_id=case.workspace_id, actor=actor, action="case.triage_corrected", now=now,
            case=case, obj=label, before=before,
            after={"topic": case.topic, "intent": case.intent, "confirmed": True},
        )
        # Enough new labels queue a retraining of this workspace's model (on commit).
        learning.note_new_label(workspace_id=case.workspace_id, now=now)
        _publish(case, "triage", actor)
        return case


# ---------------------------------------------------------------------------------------------
# What platforms report about messages (called by the connectors room)

MAX_DELIVERY_ERROR_CHARS = 500


def _publish_delivery(message: Message, status: str) -> None:
    publish_on_commit(message.workspace_id, {
        "kind": "delivery", "case_id": message.case_id, "message_id": message.pk,
        "status": status})


_DELIVERY_ACTIONS = {DeliveryStatus.SENT: "message.delivered",
                     DeliveryStatus.FAILED: "message.delivery_failed",
                     DeliveryStatus.UNKNOWN: "message.delivery_unknown"}


def record_delivery(*, message: Message, status: str, external_id: str | None, error: str,
                    now: datetime) -> None:
    """Write a delivery outcome (sent, failed, or unknown: it may have reached the platform and
    nobody could tell) on a pending reply, audited, with a live event
    on commit. Runs inside the deliverer's transaction, which holds the message's row lock (it
    writes its own outbound record in the same commit)."""
    message.delivery_status = status
    message.external_id = external_id
    message.delivery_error = error[:MAX_DELIVERY_ERROR_CHARS]
    message.save(update_fields=["delivery_status", "external_id", "delivery_error"])
    events.record(
        workspace_id=message.workspace_id, actor=None, now=now, case=message.case, obj=message,
        action=_DELIVERY_ACTIONS[status],
        # Whether the platform gave the post's id, not the id: a WhatsApp message id encodes
        # the recipient's number, and the audit trail, append-only, must hold no citizen's
        # number (an erasure cannot reach it; docs/security.md, "Personal data").
        after={"status": status, "has_platform_id": external_id is not None,
               "error": message.delivery_error},
    )
    _publish_delivery(message, status)


def record_delivery_update(*, message: Message, status: str, platform_status: str, error: str,
                           external_id: str, now: datetime) -> bool:
    """The platform reported later what became of a reply (a status webhook): move its shown
    status to `status` (sent or failed). False when it shows that already. Runs inside the
    caller's transaction, which holds the message's row lock (taken before the lock of the
    platform's record of that send: the one lock order of connectors/delivery.py)."""
    if message.delivery_status == status:
        return False
    before = {"status": message.delivery_status}
    message.delivery_status = status
    message.delivery_error = error[:MAX_DELIVERY_ERROR_CHARS]
    message.external_id = message.external_id or external_id
    message.save(update_fields=["delivery_status", "delivery_error", "external_id"])
    # Only a change of the message's shown status is a desk event; delivered/read stay on the
    # outbound record (there is one per message, and they are the platform's facts).
    events.record(
        workspace_id=message.workspace_id, actor=None, now=now, obj=message,
        action="message.delivery_updated", before=before,
        after={"status": status, "platform_status": platform_status,
               "error": message.delivery_error},
    )
    _publish_delivery(message, status)
    return True


def _locked_placeholder(message_id: int, placeholder: str) -> Message | None:
    """The message, locked, if it still shows `placeholder` (else someone already settled it)."""
    message = (Message.objects.select_for_update()
               .filter(pk=message_id, direction=Direction.IN).first())
    if message is None or message.text != placeholder:
        return None
    return message


def record_fetched_text(*, message_id: int, placeholder: str, text: str, author_name: str,
                        source: str, now: datetime) -> Message | None:
    """Replace a message's placeholder with the words the platform gave, and let them triage
    the case as a new citizen message would. None when it was done already (safe to run twice).

    The case's version is bumped: a reply drafted while the desk showed only the placeholder was
    written without the citizen's words.
    """
    text = clean_text(text[:settings.TANGGAP_MAX_MESSAGE_CHARS])
    # Read before the transaction, like ingest_inbound's: the model may have to be loaded.
    workspace_id = (Message.objects.filter(pk=message_id)
                    .values_list("workspace_id", flat=True).first())
    reading = desk_language.triage(text, workspace_id=workspace_id, now=now)
    with transaction.atomic():
        message = _locked_placeholder(message_id, placeholder)
        if message is None:
            return None
        case = _lock_case(message.case_id)
        message.text = text
        message.triage = reading
        fields = ["text", "triage"]
        author_name = clean_name(author_name)
        if author_name and not message.author_name:
            message.author_name = author_name
            fields.append("author_name")
        message.save(update_fields=fields)
        changed = apply_reading(case, reading)
        case.updated_at = now
        case.save(update_fields=[*changed, *note_citizen_words_changed(case), "updated_at"])
        search.reindex_cases([case.pk])
        events.record(
            workspace_id=message.workspace_id, actor=None, now=now, case=case, obj=message,
            action="message.text_fetched", before={"text": placeholder},
            after={"source": source, "chars": len(text), "topic": reading.get("topic", ""),
                   "intent": reading.get("intent", ""), "case_fields": changed},
        )
        _publish_text_change(case, message)
    return message


def record_text_fetch_failed(*, message_id: int, placeholder: str, error: str, final: bool,
                             now: datetime) -> Message | None:
    """Note a failed fetch in the audit trail. A final failure (the platform refused, or the
    attempts ran out) also shows on the message: the placeholder gains the reason, which stops
    the sweep from asking again. None when the message no longer shows the placeholder."""
    error = error[:300]
    with transaction.atomic():
        message = _locked_placeholder(message_id, placeholder)
        if message is None:
            return None
        case = Case.objects.get(pk=message.case_id)
        if final:
            message.text = f"{placeholder[:-1]}; teks tidak dapat diambil: {error}]"
            message.save(update_fields=["text"])
            _publish_text_change(case, message)
        events.record(
            workspace_id=message.workspace_id, actor=None, now=now, case=case, obj=message,
            action="message.text_fetch_failed", after={"error": error, "final": final},
        )
    return message


def _publish_text_change(case: Case, message: Message) -> None:
    publish_on_commit(message.workspace_id, {
        "kind": "case", "reason": "message_text", "case_id": case.pk,
        "message_id": message.pk, "status": case.status, "version": case.version})


# ---------------------------------------------------------------------------------------------
# Personal data (tanggap/privacy decides when: retention, an erasure request; these write the
# desk's own columns, inside the privacy action's transaction)

# Stored as data, not shown as UI text, like "Anonim": the desk reads it whatever its language.
ANONYMISED_TEXT = "[dianonimkan]"


def anonymise_case_rows(*, cases: list[Case], now: datetime) -> dict[str, int]:
    """Replace the citizen's words, names and platform ids on `cases`, which the caller has
    locked inside its transaction. Kept: dates, channel, kind, topic, intent, status, who
    answered and when, delivery statuses, so reports still count these cases. Returns counts.

    Replies are anonymised too: they quote or name the citizen ("Terima kasih, Pak Budi").
    Operators' own names stay (their accountability is not the citizen's data). A reply
    drafted before is refused as stale (the version moves), but `updated_at` is kept: it is
    when the case was last worked on.
    """
    case_ids = [case.pk for case in cases]
    messages = list(Message.objects.filter(case_id__in=case_ids)
                    .only("pk", "direction", "text", "author_name", "external_id", "attachments",
                          "triage"))
    for message in messages:
        message.text = ANONYMISED_TEXT
        if message.direction == Direction.IN:
            message.author_name = ""
        # A platform's message id can name the sender (a WhatsApp id encodes the phone number).
        message.external_id = None
        message.attachments = [{"type": a.get("type", "file"), "erased": True}
                               for a in message.attachments if isinstance(a, dict)]
        if isinstance(message.triage, dict):
            # The reasons quote the words that decided the topic; the verdicts are codes.
            message.triage = {k: v for k, v in message.triage.items() if k != "reasons"}
    Message.objects.bulk_update(messages, ["text", "author_name", "external_id", "attachments",
                                           "triage"], batch_size=200)
    notes = Note.objects.filter(case_id__in=case_ids).exclude(text=ANONYMISED_TEXT).update(
        text=ANONYMISED_TEXT)
    labels = TriageLabel.objects.filter(case_id__in=case_ids).exclude(text="").update(text="")
    if labels:
        for workspace_id in {case.workspace_id for case in cases}:
            learning.relearn_without_erased(workspace_id=workspace_id, now=now)
    for case in cases:
        case.thread_id = ""  # a conversation id can be the citizen's platform id (Messenger)
        case.triage_reasons = []
        case.anonymised_at = now
        case.version += 1
        case.save(update_fields=["thread_id", "triage_reasons", "anonymised_at", "version"])
        _publish(case, "anonymised")
    search.reindex_cases(case_ids)  # the search documents held the same words
    return {"messages": len(messages), "notes": notes, "labels": labels}


def anonymise_contacts(*, contact_ids: list[int], now: datetime) -> int:
    """Remove the name and platform id of these contacts (inside the caller's transaction). The
    rows stay, so that reports still count one citizen per contact; a citizen who writes again
    becomes a new contact. Returns how many changed."""
    changed = 0
    for contact in (Contact.objects.select_for_update()
                    .filter(pk__in=contact_ids, anonymised_at__isnull=True).order_by("pk")):
        contact.display_name = ""
        contact.external_id = f"dianonimkan-{contact.pk}"
        contact.anonymised_at = now
        contact.save(update_fields=["display_name", "external_id", "anonymised_at"])
        search.reindex_contact(contact.pk)
        changed += 1
    return changed


# ---------------------------------------------------------------------------------------------
# One person, several accounts


def _person_group(contact: Contact) -> list[Contact]:
    if contact.person_id is None:
        return [contact]
    return list(Contact.objects.select_for_update().filter(person_id=contact.person_id)
                .order_by("pk"))


def _contact_label(contact: Contact) -> str:
    return f"{contact.platform}:{contact.display_name or contact.external_id}"


def link_contacts(*, contact_id: int, other_id: int, actor, now: datetime,
                  case_id: int | None = None) -> list[Contact]:
    """One citizen writing from two accounts (X and WhatsApp) becomes one person: both contacts'
    groups join, named by their first contact. The desk then shows the person's cases across
    channels together. Audited (on `case_id`'s trail when given); linking twice is harmless."""
    if contact_id == other_id:
        raise InvalidInput(_("A contact cannot be linked with itself."), field="contact_id")
    with transaction.atomic():
        pair = {c.pk: c for c in Contact.objects.select_for_update().filter(
            pk__in=[contact_id, other_id])}
        if len(pair) != 2 or pair[contact_id].workspace_id != pair[other_id].workspace_id:
            raise InvalidInput(_("Both contacts must be citizens of this desk."),
                               field="contact_id")
        members = {c.pk: c for group in (_person_group(pair[contact_id]),
                                         _person_group(pair[other_id])) for c in group}
        person_id = min(members)
        before = sorted(_contact_label(c) for c in members.values() if c.person_id is not None)
        Contact.objects.filter(pk__in=list(members)).update(person_id=person_id)
        case = Case.objects.filter(pk=case_id).first() if case_id is not None else None
        events.record(
            workspace_id=pair[contact_id].workspace_id, actor=actor, now=now,
            action="contact.linked", case=case, obj=pair[contact_id],
            before={"linked": before},
            after={"linked": sorted(_contact_label(c) for c in members.values()),
                   "with": _contact_label(pair[other_id])})
        if case is not None:
            _publish(case, "contact", actor)
    return list(Contact.objects.filter(person_id=person_id).order_by("pk"))


def unlink_contact(*, contact_id: int, actor, now: datetime, case_id: int | None = None) -> None:
    """The contact stands alone again (linked by mistake); the rest of its person stays linked
    (renamed after its first remaining contact). Audited; unlinking a lone contact is harmless."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None or contact.person_id is None:
            return
        group = _person_group(contact)
        rest = [c for c in group if c.pk != contact.pk]
        Contact.objects.filter(pk=contact.pk).update(person_id=None)
        if len(rest) == 1:  # a person of one is no person
            Contact.objects.filter(pk=rest[0].pk).update(person_id=None)
        elif rest:
            Contact.objects.filter(pk__in=[c.pk for c in rest]).update(person_id=rest[0].pk)
        case = Case.objects.filter(pk=case_id).first() if case_id is not None else None
        events.record(
            workspace_id=contact.workspace_id, actor=actor, now=now, action="contact.unlinked",
            case=case, obj=contact, before={"linked": sorted(_contact_label(c) for c in group)},
            after={"unlinked": _contact_label(contact)})
        if case is not None:
            _publish(case, "contact", actor)

