"""Every write of the referrals room. Each action owns its transaction, takes the acting user
(or the liaison link's label) and `now`, writes audit events in the same transaction and
schedules its side effects (live events, e-mail to the body, the citizen's reply through the
desk's outbox) on commit. A case's own columns are written only by cases.actions, which these
actions call under the case's row lock.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanggap import language as engine
from tanggap.audit import events
from tanggap.calendar import add_working_days
from tanggap.cases import actions as desk
from tanggap.cases import templating
from tanggap.cases.cleaning import (
    clean_flag,
    clean_key,
    clean_text,
    object_id,
    refuse_unstorable,
)
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseStatus, Direction
from tanggap.errors import (
    CaseClosed,
    Conflict,
    InvalidInput,
    NeedsApproval,
    NotFound,
    NotHandedOver,
    NotHolder,
)
from tanggap.live.fanout import publish_on_commit
from tanggap.referrals import liaison
from tanggap.referrals.models import (
    BODY_ANSWERS,
    OPEN_REFERRAL_STATUSES,
    Body,
    BodyKind,
    EmailState,
    Referral,
    ReferralStatus,
    ReferralUpdate,
)
from tanggap.referrals.queries import due_text
from tanggap.workspaces.actions.members import add_member, remove_member
from tanggap.workspaces.calendars import calendar_of
from tanggap.workspaces.models import Membership, Role, Workspace

MAX_NOTE_CHARS = 2000


class AlreadyReferred(Conflict):
    code = "already_referred"

    def __init__(self, body_name: str):
        super().__init__(_("This case is already referred to %(body)s.") % {"body": body_name},
                         body=body_name)


class ReferralClosed(Conflict):
    code = "referral_closed"

    def __init__(self):
        super().__init__(_("This referral is settled; it takes no more answers."))


class NoLinkedDesk(Conflict):
    code = "no_linked_desk"

    def __init__(self):
        super().__init__(_("This case has no open referral to a body with its own desk: there is "
                           "no desk to hand the conversation over to."))


# ---------------------------------------------------------------------------------------------
# The directory


def _clean_list(values, *, field: str, check=None, limit: int = 20) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[,\s;]+", values) if v]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(_("'%(field)s' must be a list of strings.") % {"field": field},
                           field=field)
    cleaned = []
    for value in values:
        value = value.strip()
        if not value or value in cleaned:
            continue
        if check is not None:
            check(value)
        cleaned.append(value)
    if len(cleaned) > limit:
        raise InvalidInput(_("'%(field)s' holds more than %(limit)d entries.")
                           % {"field": field, "limit": limit}, field=field)
    return cleaned


def _check_topic(topic: str) -> None:
    if topic not in engine.TOPICS:
        raise InvalidInput(_("Unknown topic %(topic)r; use one of %(choices)s.")
                           % {"topic": topic, "choices": ", ".join(engine.TOPICS)},
                           field="topics")


def _check_email(address: str) -> None:
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(_("%(address)r is not an e-mail address.") % {"address": address},
                           field="emails") from None


def _days(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("'%(field)s' must be a whole number of working days.")
                           % {"field": field}, field=field) from None
    if not 1 <= days <= 60:
        raise InvalidInput(_("'%(field)s' must be between 1 and 60 working days.")
                           % {"field": field}, field=field)
    return days


@dataclass
class BodyFields:
    name: str
    kind: str
    topics: list | str | None = None
    emails: list | str | None = None
    whatsapp: str = ""
    liaison_officers: list | str | None = None
    working_hours: str = ""
    acknowledge_days: int | str | None = None
    follow_up_days: int | str | None = None
    linked_workspace_slug: str = ""
    active: bool = True

    def cleaned(self, workspace_id: int) -> dict:
        name = (self.name or "").strip()
        if not name or len(name) > 200:
            raise InvalidInput(_("A body needs a name of at most 200 characters."), field="name")
        if self.kind not in BodyKind.values:
            raise InvalidInput(_("Kind must be internal or external."), field="kind")
        whatsapp = (self.whatsapp or "").strip().replace(" ", "")
        if whatsapp and not re.fullmatch(r"\+?[0-9]{8,16}", whatsapp):
            raise InvalidInput(_("%(number)r is not a WhatsApp number.") % {"number": whatsapp},
                               field="whatsapp")
        linked = None
        if self.linked_workspace_slug:
            if self.kind != BodyKind.INTERNAL:
                raise InvalidInput(_("Only a city office (internal) can have its own workspace."),
                                   field="workspace")
            linked = Workspace.objects.filter(slug=self.linked_workspace_slug).first()
            if linked is None:
                raise InvalidInput(_("There is no workspace %(slug)r.")
                                   % {"slug": self.linked_workspace_slug}, field="workspace")
            if linked.pk == workspace_id:
                raise InvalidInput(_("A body's own workspace cannot be this desk."),
                                   field="workspace")
        acknowledge = _days(self.acknowledge_days, "acknowledge_days")
        follow_up = _days(self.follow_up_days, "follow_up_days")
        if acknowledge and follow_up and follow_up < acknowledge:
            raise InvalidInput(_("The follow-up limit cannot be shorter than the acknowledgement "
                                 "limit."), field="follow_up_days")
        return {
            "name": name, "kind": self.kind,
            "topics": _clean_list(self.topics, field="topics", check=_check_topic),
            "emails": _clean_list(self.emails, field="emails", check=_check_email),
            "whatsapp": whatsapp,
            "liaison_officers": [o[:120] for o in _clean_list(
                [o for o in (self.liaison_officers or "").split("\n")]
                if isinstance(self.liaison_officers, str) else self.liaison_officers,
                field="liaison_officers")],
            "working_hours": (self.working_hours or "").strip()[:120],
            "acknowledge_days": acknowledge, "follow_up_days": follow_up,
            "linked_workspace": linked, "active": bool(self.active),
        }


def _body_snapshot(body: Body) -> dict:
    return {"name": body.name, "kind": body.kind, "topics": body.topics, "emails": body.emails,
            "whatsapp": body.whatsapp, "acknowledge_days": body.acknowledge_days,
            "follow_up_days": body.follow_up_days, "active": body.active,
            "linked_workspace": body.linked_workspace.slug if body.linked_workspace_id else None}


def add_body(*, workspace_id: int, fields: BodyFields, actor, now: datetime) -> Body:
    values = fields.cleaned(workspace_id)
    try:
        with transaction.atomic():
            body = Body.objects.create(workspace_id=workspace_id, created_at=now, **values)
            events.record(workspace_id=workspace_id, actor=actor, action="body.added", now=now,
                          obj=body, after=_body_snapshot(body))
    except IntegrityError:
        raise Conflict(_("There is already a body named %(name)r.") % {"name": values["name"]},
                       field="name") from None
    return body


def change_body(*, body_id: int, fields: BodyFields, actor, now: datetime) -> Body:
    with transaction.atomic():
        body = Body.objects.select_for_update().filter(pk=body_id).first()
        if body is None:
            raise NotFound()
        values = fields.cleaned(body.workspace_id)
        before = _body_snapshot(body)
        for name, value in values.items():
            setattr(body, name, value)
        try:
            with transaction.atomic():
                body.save()
        except IntegrityError:
            raise Conflict(_("There is already a body named %(name)r.")
                           % {"name": values["name"]}, field="name") from None
        events.record(workspace_id=body.workspace_id, actor=actor, action="body.changed",
                      now=now, obj=body, before=before, after=_body_snapshot(body))
    return body


def _locked_body(body_id: int) -> Body:
    body = Body.objects.select_for_update().filter(pk=body_id).first()
    if body is None:
        raise NotFound()
    return body


def add_body_liaison(*, body_id: int, username: str, actor, now: datetime, full_name: str = "",
                     password: str = "") -> Membership:
    """Link a liaison officer's account to the body: they then answer its referrals when logged
    in (`/penghubung/`) and see nothing else of the desk. A new account is created with the
    `liaison` role and `password`; an existing one (the officer of a body that serves two desks)
    joins with its own password. A member of this desk with another role is refused: a desk
    account that also answered for a body would judge its own referrals."""
    with transaction.atomic():
        body = _locked_body(body_id)
        membership = (Membership.objects.filter(workspace_id=body.workspace_id,
                                                user__username=(username or "").strip())
                      .select_related("user").first())
        if membership is not None and membership.role != Role.LIAISON:
            raise Conflict(_("%(username)s is a member of this desk (%(role)s); a liaison officer "
                             "needs an account of their own.")
                           % {"username": membership.user.username,
                              "role": membership.get_role_display()}, field="username")
        if membership is None:
            membership = add_member(workspace=body.workspace, username=username,
                                    role=Role.LIAISON, password=password, full_name=full_name,
                                    actor=actor, now=now)
        user = membership.user
        if body.liaisons.filter(pk=user.pk).exists():
            return membership
        body.liaisons.add(user)
        events.record(workspace_id=body.workspace_id, actor=actor, action="body.liaison_added",
                      now=now, obj=body, after={"body": body.name, "username": user.username})
    return membership


def remove_body_liaison(*, body_id: int, username: str, actor, now: datetime) -> bool:
    """Unlink a liaison officer from the body. One who answers for no other body of this desk
    leaves the workspace too (the membership only served this link); returns whether they left."""
    with transaction.atomic():
        body = _locked_body(body_id)
        user = body.liaisons.filter(username=username).first()
        if user is None:
            raise NotFound(_("%(username)s is not a liaison officer of %(body)s.")
                           % {"username": username, "body": body.name})
        body.liaisons.remove(user)
        events.record(workspace_id=body.workspace_id, actor=actor, action="body.liaison_removed",
                      now=now, obj=body, before={"body": body.name, "username": username})
        others = Body.objects.filter(workspace_id=body.workspace_id, liaisons=user).exists()
        membership = Membership.objects.filter(workspace_id=body.workspace_id, user=user,
                                               role=Role.LIAISON).first()
        if others or membership is None:
            return False
        remove_member(membership_id=membership.pk, actor=actor, now=now)
    return True


# ---------------------------------------------------------------------------------------------
# Referring a case

CITIZEN_TEMPLATE_DEFAULT = (
    "Terima kasih, Bapak/Ibu {nama}. Laporan Bapak/Ibu sudah kami teruskan ke {instansi}, "
    "nomor laporan {nomor}. Kami akan menyampaikan perkembangannya kepada Bapak/Ibu."
)
# The fields a referral adds to the desk's template engine (cases.templating): the body's name
# and the date by which it should have answered, in the workspace's time zone.
REFERRAL_FIELDS = ("instansi", "tenggat")


def template_values(case: Case, body: Body, *, due: datetime | None = None,
                    actor=None) -> dict[str, str]:
    """What a citizen-facing template may use when this case is referred to `body`: the desk's
    own fields (cases.templating) and the referral's; a value the case does not have is absent."""
    values = templating.values_for(case=case, actor=actor)
    values["instansi"] = body.name
    if due is not None:
        values["tenggat"] = due_text(due, case.workspace.time_zone)
    return values


def render_template(template: str, values: dict[str, str]) -> str:
    """The citizen's reply filled in by the desk's template engine; InvalidInput naming what is
    missing or unknown, so the reply is not sent and the operator sees why."""
    if not isinstance(template, str) or not template.strip():
        raise InvalidInput(_("'citizen_reply' must be a non-empty text."), field="citizen_reply")
    return templating.render(template, values, field="citizen_reply")


def deadlines(workspace: Workspace, body: Body, now: datetime) -> tuple[datetime, datetime]:
    calendar = calendar_of(workspace)
    acknowledge = body.acknowledge_days or settings.TANGGAP_REFERRAL_ACKNOWLEDGE_DAYS
    follow_up = body.follow_up_days or settings.TANGGAP_REFERRAL_FOLLOW_UP_DAYS
    return add_working_days(calendar, now, acknowledge), add_working_days(calendar, now, follow_up)


@dataclass(frozen=True)
class ReferResult:
    referral: Referral
    created: bool
    reply_message_id: int | None = None


def refer_case(*, case_id: int, body_id: int, actor, membership, note: str = "",
               idempotency_key: str | None = None, citizen_reply: str | None = None,
               confirm_tone: bool = False, incident=None, now: datetime) -> ReferResult:
    """Refer the case to a body of its workspace. Only its holder (or a supervisor) refers; a
    case has at most one open referral (two operators at once: one wins, the other gets
    AlreadyReferred); the same idempotency key again answers with the same referral. With
    `citizen_reply` (a template), the citizen's reply goes out in the same step through the
    desk's exactly-once reply path, tone guard included; if it cannot, nothing is referred."""
    note = clean_note(note)
    if idempotency_key is not None:
        clean_key(idempotency_key)
    if citizen_reply is not None:
        clean_text(citizen_reply, field="citizen_reply")
    clean_flag(confirm_tone, field="confirm_tone")
    try:
        with transaction.atomic():
            return _refer(case_id=case_id, body_id=body_id, actor=actor, membership=membership,
                          note=note, key=idempotency_key, citizen_reply=citizen_reply,
                          confirm_tone=confirm_tone, incident=incident, now=now)
    except IntegrityError:
        # PostgreSQL: the other referral committed between our check and our insert.
        existing = _existing(case_id, idempotency_key)
        if existing is not None:
            return ReferResult(existing, False)
        open_one = Referral.objects.filter(case_id=case_id, status__in=OPEN_REFERRAL_STATUSES
                                           ).select_related("body").first()
        if open_one is not None:
            raise AlreadyReferred(open_one.body.name) from None
        raise


def clean_note(note) -> str:
    """The desk's note to the body: optional, at most MAX_NOTE_CHARS as sent, stripped."""
    if note is None:
        return ""
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(_("'note' must be a text of at most %(limit)d characters.")
                           % {"limit": MAX_NOTE_CHARS}, field="note")
    refuse_unstorable(note, "note")
    return note.strip()


def reply_key(prefix: str, key: str) -> str:
    """The idempotency key of a message sent on behalf of a referral or an incident: derived
    from the caller's key, and short enough for the message's column whatever its length."""
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def _existing(case_id: int, key: str | None) -> Referral | None:
    if key is None:
        return None
    return Referral.objects.filter(case_id=case_id, idempotency_key=key).first()


def _refer(*, case_id, body_id, actor, membership, note, key, citizen_reply, confirm_tone,
           incident, now) -> ReferResult:
    case = desk.lock_case(case_id)
    existing = _existing(case.pk, key)
    if existing is not None:
        return ReferResult(existing, False)
    body = Body.objects.filter(pk=body_id, workspace_id=case.workspace_id).first()
    if body is None:
        raise NotFound()
    if not body.active:
        raise InvalidInput(_("%(body)s is no longer in the directory.") % {"body": body.name},
                           field="body_id")
    if case.status in CLOSED_STATUSES:
        raise CaseClosed()
    open_one = (Referral.objects.filter(case=case, status__in=OPEN_REFERRAL_STATUSES)
                .select_related("body").first())
    if open_one is not None:
        raise AlreadyReferred(open_one.body.name)
    _require_holder_or_supervisor(case, actor, membership, now)
    workspace = Workspace.objects.get(pk=case.workspace_id)
    acknowledge_due, follow_up_due = deadlines(workspace, body, now)
    reply_id = None
    if citizen_reply is not None:
        text = render_template(citizen_reply, template_values(case, body, due=follow_up_due,
                                                              actor=actor))
        # The desk's own reply path: holder, version, idempotency, tone guard, outbox.
        result = desk.send_reply(case_id=case.pk, actor=actor, text=text,
                                 idempotency_key=reply_key("referral", key or now.isoformat()),
                                 base_version=case.version, override=True,
                                 confirm_tone=confirm_tone, now=now)
        if result.held is not None:
            # Held for a supervisor (tanggap.approvals): approving it later would find the case
            # moved by this referral, so the referral and its reply are refused together.
            raise NeedsApproval(_("The reply to the citizen waits for a supervisor's approval, so "
                                  "nothing was referred. Refer without a reply to the citizen, "
                                  "then send the reply from the composer."))
        reply_id = result.message.pk
        case.refresh_from_db()
    referral = Referral.objects.create(
        workspace_id=case.workspace_id, case=case, body=body, note=note, idempotency_key=key,
        referred_by=actor, created_at=now, updated_at=now, incident=incident,
        acknowledge_due_at=acknowledge_due, follow_up_due_at=follow_up_due,
        link_nonce=liaison.new_nonce(),
        link_expires_at=now + timedelta(days=settings.TANGGAP_LIAISON_LINK_DAYS),
        email_state=EmailState.PENDING if body.emails else EmailState.NONE,
    )
    ReferralUpdate.objects.create(referral=referral, status=ReferralStatus.TERKIRIM, text=note,
                                  author=actor, author_label=_display(actor), created_at=now)
    desk.mark_referred(case=case, actor=actor, now=now, body_name=body.name)
    events.record(workspace_id=case.workspace_id, actor=actor, action="referral.created", now=now,
                  case=case, obj=referral,
                  after={"body": body.name, "body_id": body.pk, "reply_message_id": reply_id,
                         "acknowledge_due_at": acknowledge_due.isoformat(),
                         "follow_up_due_at": follow_up_due.isoformat()})
    if body.linked_workspace_id:
        _open_linked_case(referral, case, body, now)
    if body.emails:
        from tanggap.referrals import tasks

        transaction.on_commit(lambda: tasks.enqueue_email(referral.pk))
    return ReferResult(referral, True, reply_id)


def _require_holder_or_supervisor(case: Case, actor, membership, now: datetime) -> None:
    holder = desk.effective_holder_id(case, now)
    if holder != actor.pk and not (membership is not None and membership.can_supervise):
        raise NotHolder(claimed_by=case.claimed_by.username if holder else None)


def _display(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _open_linked_case(referral: Referral, case: Case, body: Body, now: datetime) -> None:
    """An internal body with its own desk: the matter arrives in its inbox as a case whose
    "citizen" is the referring desk, so its operators see it with their own tools. They answer
    the referral from that case; only the referring desk speaks to the citizen."""
    from tanggap.connectors.models import ChannelAccount, Platform

    channel = (ChannelAccount.objects.filter(workspace_id=body.linked_workspace_id,
                                             platform=Platform.WEB, is_active=True)
               .order_by("pk").first())
    if channel is None:
        events.record(workspace_id=case.workspace_id, actor=None, now=now, case=case,
                      obj=referral, action="referral.linked_case_failed",
                      after={"reason": "the body's workspace has no web channel"})
        return
    citizen_words = (case.messages.filter(direction=Direction.IN).order_by("id")
                     .values_list("text", flat=True).first() or "")
    text = _("Referred by %(desk)s (report %(number)s): %(words)s") % {
        "desk": case.workspace.name, "number": case.tracking_number, "words": citizen_words}
    if referral.note:
        text += "\n\n" + _("Note from the desk: %(note)s") % {"note": referral.note}
    result = desk.ingest_inbound(
        channel=channel, external_id=f"referral-{referral.pk}",
        author_id=f"workspace-{case.workspace_id}", author_name=case.workspace.name,
        text=text[:settings.TANGGAP_MAX_MESSAGE_CHARS], now=now)
    referral.linked_case = result.case
    referral.save(update_fields=["linked_case"])
    events.record(workspace_id=body.linked_workspace_id, actor=None, now=now, case=result.case,
                  obj=referral, action="referral.received",
                  after={"from": case.workspace.slug, "referral_id": referral.pk})


# ---------------------------------------------------------------------------------------------
# The body answers


MAX_ANSWER_CHARS = 4000


def _draft(referral: Referral, status: str, text: str, case: Case) -> str:
    values = template_values(case, referral.body)
    who = values.get("nama")
    greeting = f"Bapak/Ibu {who}" if who else "Bapak/Ibu"
    body = referral.body.name
    if status == ReferralStatus.DITERIMA:
        return (f"Terima kasih atas kesabaran {greeting}. Laporan nomor {case.tracking_number} "
                f"sudah diterima oleh {body} dan akan segera ditindaklanjuti.")
    if status == ReferralStatus.DIPROSES:
        return (f"Informasi terbaru untuk {greeting}: {body} sedang menangani laporan nomor "
                f"{case.tracking_number}. {text}").strip()
    if status == ReferralStatus.SELESAI:
        return (f"Terima kasih atas laporan {greeting}. {body} menyampaikan bahwa laporan nomor "
                f"{case.tracking_number} sudah ditangani: {text} Jika masih ada kendala, "
                f"silakan kabari kami kembali.").strip()
    return ""


def _lock_open_referral(referral_id: int) -> tuple[Case, Referral]:
    """The referral and its case, the case row locked (a referral's columns are written under
    its case's lock); ReferralClosed once it is settled."""
    case_id = Referral.objects.filter(pk=referral_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = desk.lock_case(case_id)
    referral = Referral.objects.select_related("body").get(pk=referral_id)
    if not referral.is_open:
        raise ReferralClosed()
    return case, referral


def record_body_answer(*, referral_id: int, status: str, text: str, now: datetime, actor=None,
                       author_label: str = "", suggested_body_id=None) -> ReferralUpdate:
    """The body's answer: diterima, diproses, selesai (with what was done) or bukan_wewenang
    (with the reason and, optionally, the body it belongs to). Audited on the referring desk's
    case; the desk gets a ready draft for the citizen; a decline returns the case to the desk."""
    if status not in BODY_ANSWERS:
        raise InvalidInput(_("Status must be one of %(choices)s.")
                           % {"choices": ", ".join(BODY_ANSWERS)}, field="status")
    text = (text or "").strip() if isinstance(text, str) else None
    if text is None or len(text) > MAX_ANSWER_CHARS:
        raise InvalidInput(_("The message must be a text of at most %(limit)d characters.")
                           % {"limit": MAX_ANSWER_CHARS}, field="message")
    if status in (ReferralStatus.SELESAI, ReferralStatus.BUKAN_WEWENANG, ReferralStatus.DIPROSES
                  ) and not text:
        raise InvalidInput(_("Say what was done, or why it is not yours, in the message."),
                           field="message")
    with transaction.atomic():
        case, referral = _lock_open_referral(referral_id)
        suggested = None
        if suggested_body_id not in (None, ""):
            suggested = Body.objects.filter(pk=object_id(suggested_body_id) or 0,
                                            workspace_id=referral.workspace_id).first()
            if suggested is None:
                raise InvalidInput(_("Choose a body from the list."), field="suggested_body")
        before = {"status": referral.status}
        referral.status = status
        referral.updated_at = now
        fields = ["status", "updated_at"]
        if referral.acknowledged_at is None:
            referral.acknowledged_at = now
            fields.append("acknowledged_at")
        if status in (ReferralStatus.SELESAI, ReferralStatus.BUKAN_WEWENANG):
            referral.closed_at = now
            fields.append("closed_at")
        referral.save(update_fields=fields)
        update = ReferralUpdate.objects.create(
            referral=referral, status=status, text=text, author=actor,
            author_label=author_label or _display(actor), suggested_body=suggested,
            draft=_draft(referral, status, text, case), created_at=now)
        events.record(workspace_id=referral.workspace_id, actor=actor, now=now, case=case,
                      obj=referral, action="referral.answered", before=before,
                      after={"status": status, "by": update.author_label,
                             "suggested_body": suggested.name if suggested else None})
        if referral.closed_at is not None:
            _end_hand_over_of(referral, case, now)
        if status == ReferralStatus.BUKAN_WEWENANG:
            desk.mark_referral_returned(case=case, actor=actor, now=now, reason=text)
        else:
            desk.note_referral_changed(case=case, actor=actor)
        if referral.linked_case_id:
            publish_on_commit(referral.body.linked_workspace_id or referral.workspace_id, {
                "kind": "case", "reason": "referral", "case_id": referral.linked_case_id})
    return update


def withdraw_referral(*, referral_id: int, actor, membership, reason: str,
                      now: datetime) -> Referral:
    """The desk takes a referral back (sent to the wrong body, settled otherwise)."""
    with transaction.atomic():
        case, referral = _lock_open_referral(referral_id)
        _require_holder_or_supervisor(case, actor, membership, now)
        referral.status = ReferralStatus.DITARIK
        referral.closed_at = referral.updated_at = now
        referral.save(update_fields=["status", "closed_at", "updated_at"])
        ReferralUpdate.objects.create(referral=referral, status=ReferralStatus.DITARIK,
                                      text=(reason or "")[:MAX_NOTE_CHARS], author=actor,
                                      author_label=_display(actor), created_at=now)
        events.record(workspace_id=referral.workspace_id, actor=actor, now=now, case=case,
                      obj=referral, action="referral.withdrawn",
                      # Whether a reason was given, not its words: they may quote the citizen,
                      # and the append-only trail cannot be erased (they stay on the update).
                      after={"has_reason": bool(reason)})
        _end_hand_over_of(referral, case, now)
        desk.mark_referral_returned(case=case, actor=actor, now=now, reason="withdrawn")
    return referral


# ---------------------------------------------------------------------------------------------
# Handing the conversation over to the body's own desk (an internal body with a workspace)
#
# Lock order when both cases are locked: the referring desk's case, then the linked case.


def _open_linked_referral(case: Case) -> Referral | None:
    return (Referral.objects.filter(case=case, status__in=OPEN_REFERRAL_STATUSES,
                                    linked_case__isnull=False,
                                    body__linked_workspace__isnull=False)
            .select_related("body__linked_workspace", "linked_case").first())


def hand_over_conversation(*, case_id: int, actor, membership, note, base_version,
                           now: datetime) -> Case:
    """The referring desk's holder (or a supervisor) hands the conversation with the citizen
    over to the desk of the body the case is referred to: from now on only that desk's holder
    of the linked case replies to the citizen (on this case's channel), and this desk's sends
    are refused until it takes the conversation back. `base_version` is the version the desk
    saw: a reply sent meanwhile makes the hand-over stale, so of a reply and a hand-over racing,
    exactly one goes through."""
    note = clean_note(note)
    if not note:
        raise InvalidInput(_("Write a note for the desk that takes the conversation over."),
                           field="note")
    if isinstance(base_version, bool) or not isinstance(base_version, int):
        raise InvalidInput(_("'base_version' must be an integer."), field="base_version")
    with transaction.atomic():
        case = desk.lock_case(case_id)
        if case.status in CLOSED_STATUSES:
            raise CaseClosed()
        _require_holder_or_supervisor(case, actor, membership, now)
        if case.speaking_workspace_id is not None:
            raise desk.handed_over_refusal(case)
        desk.check_version(case, base_version)
        referral = _open_linked_referral(case)
        if referral is None:
            raise NoLinkedDesk()
        target = referral.body.linked_workspace
        referral.hand_over_note = note
        referral.save(update_fields=["hand_over_note"])
        # The note stays on the referral; the trails say only that there was one.
        desk.set_speaking_desk(case=case, workspace=target, actor=actor, now=now, extra={
            "referral_id": referral.pk, "desk_name": target.name, "has_note": True})
        events.record(workspace_id=target.pk, actor=actor, now=now,
                      case=referral.linked_case, obj=referral,
                      action="referral.conversation_handed_over",
                      after={"from": case.workspace.name, "has_note": True})
        publish_on_commit(target.pk, {"kind": "case", "reason": "referral",
                                      "case_id": referral.linked_case_id})
    return case


def take_back_conversation(*, case_id: int, actor, membership, note=None,
                           now: datetime) -> Case:
    """The referring desk's holder (or a supervisor) takes the conversation back: its own
    sends work again, the linked desk's are refused."""
    note = clean_note(note)
    with transaction.atomic():
        case = desk.lock_case(case_id)
        if case.speaking_workspace_id is None:
            raise NotHandedOver(_("The conversation is not handed over: this desk speaks to the "
                                  "citizen already."))
        _require_holder_or_supervisor(case, actor, membership, now)
        _give_back(case, actor=actor, now=now, note=note)
    return case


def _end_hand_over_of(referral: Referral, case: Case, now: datetime) -> None:
    """A settled referral ends its hand-over: the referring desk speaks again."""
    if (case.speaking_workspace_id is not None and referral.linked_case_id
            and case.speaking_workspace_id == referral.body.linked_workspace_id):
        _give_back(case, actor=None, now=now, note="", reason="referral_settled")


def _give_back(case: Case, *, actor, now: datetime, note: str, reason: str = "") -> None:
    target_id = case.speaking_workspace_id
    linked = (Referral.objects.filter(case=case, linked_case__workspace_id=target_id)
              .select_related("linked_case").order_by("-pk").first())
    extra = {"has_note": bool(note), **({"reason": reason} if reason else {})}
    desk.set_speaking_desk(case=case, workspace=None, actor=actor, now=now, extra=extra)
    if linked is not None:
        linked.take_back_note = note
        linked.save(update_fields=["take_back_note"])
        events.record(workspace_id=target_id, actor=actor, now=now,
                      case=linked.linked_case, obj=linked,
                      action="referral.conversation_taken_back",
                      after={"from": case.workspace.name, **extra})
        publish_on_commit(target_id, {"kind": "case", "reason": "referral",
                                      "case_id": linked.linked_case_id})


def reply_from_linked_case(*, linked_case_id: int, actor, text, idempotency_key,
                           now: datetime, confirm_tone: bool = False):
    """The holder of a linked case answers the citizen while the conversation is handed over to
    its desk: through the referring case's own reply path (its channel, outbox, tone guard,
    exactly once per idempotency key), audited on both cases with the operator and their
    workspace."""
    clean_key(idempotency_key)
    referral = (Referral.objects.filter(linked_case_id=linked_case_id)
                .order_by("-pk").first())
    if referral is None:
        raise NotHandedOver()
    key = reply_key("handover", f"{linked_case_id}:{idempotency_key}")
    with transaction.atomic():
        original = desk.lock_case(referral.case_id)
        linked = desk.lock_case(linked_case_id)
        if not original.messages.filter(idempotency_key=key).exists():  # a retry answers below
            if original.speaking_workspace_id != linked.workspace_id:
                raise NotHandedOver()
            holder = desk.effective_holder_id(linked, now)
            if holder != actor.pk:
                raise NotHolder(claimed_by=linked.claimed_by.username if holder else None)
        workspace = Workspace.objects.get(pk=linked.workspace_id)
        result = desk.send_reply_as_speaking_desk(
            case_id=original.pk, workspace=workspace, actor=actor, text=text,
            idempotency_key=key, now=now, confirm_tone=confirm_tone)
        if result.created:
            events.record(workspace_id=linked.workspace_id, actor=actor, now=now,
                          case=linked, obj=referral, action="referral.citizen_replied",
                          after={"for": original.workspace.name,
                                 "message_id": result.message.pk})
            publish_on_commit(linked.workspace_id, {"kind": "case", "reason": "referral",
                                                    "case_id": linked.pk})
    return result


def close_referred_case(*, case_id: int, actor, text: str, idempotency_key: str,
                        base_version: int, now: datetime, confirm_tone: bool = False):
    """The loop closed: the closing reply to the citizen through the desk's reply path, then the
    case is done. Both or neither."""
    with transaction.atomic():
        result = desk.send_reply(case_id=case_id, actor=actor, text=text,
                                 idempotency_key=idempotency_key, base_version=base_version,
                                 override=True, confirm_tone=confirm_tone, now=now)
        if result.held is not None:
            raise NeedsApproval(_("The closing reply waits for a supervisor's approval, so the "
                                  "case was not closed. Send it from the composer; close the "
                                  "case once it has been sent."))
        if result.created:
            desk.set_case_status(case_id=case_id, actor=actor, status=CaseStatus.SELESAI, now=now)
    return result


def new_liaison_link(*, referral_id: int, actor, now: datetime) -> Referral:
    """A fresh link (the old one leaked, or expired): earlier links stop working."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None:
            raise NotFound()
        referral.link_nonce = liaison.new_nonce()
        referral.link_expires_at = now + timedelta(days=settings.TANGGAP_LIAISON_LINK_DAYS)
        referral.save(update_fields=["link_nonce", "link_expires_at"])
        events.record(workspace_id=referral.workspace_id, actor=actor, now=now,
                      case=referral.case, obj=referral, action="referral.link_renewed",
                      after={"expires_at": referral.link_expires_at.isoformat()})
    return referral


# ---------------------------------------------------------------------------------------------
# E-mail to the body (run by tasks.send_referral_email, after commit, retried)


def record_email_outcome(*, referral_id: int, error: str | None, final: bool,
                         now: datetime) -> Referral | None:
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None:
            return None
        referral.email_attempts += 1
        if error is None:
            referral.email_state, referral.email_error = EmailState.SENT, ""
        else:
            referral.email_state = EmailState.GAVE_UP if final else EmailState.FAILED
            referral.email_error = error[:300]
        referral.save(update_fields=["email_attempts", "email_state", "email_error"])
        events.record(workspace_id=referral.workspace_id, actor=None, now=now,
                      case=referral.case, obj=referral,
                      action="referral.emailed" if error is None else "referral.email_failed",
                      after={"attempt": referral.email_attempts, "error": referral.email_error,
                             "final": final})
        publish_on_commit(referral.workspace_id, {"kind": "case", "reason": "referral",
                                                  "case_id": referral.case_id})
    return referral
