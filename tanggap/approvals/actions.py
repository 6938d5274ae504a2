"""A supervisor approves (as written or edited) or rejects a held reply. Each owns its
transaction, locks the held reply first (two supervisors deciding at once: the second finds it
decided), writes an audit event and tells the desk live after commit.

Approving sends through the desk's one path, cases.actions.send_reply, as the operator who wrote
it and with its idempotency key, so every rule holds as if it were sent then: only the holder's
reply, not if the case moved since it was written (StaleVersion: reject it and write again),
never twice, and the tone guard runs again on the text that leaves.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.approvals.gate import publish
from tanggap.approvals.models import ApprovalStatus, ReplyApproval
from tanggap.audit import events
from tanggap.cases import actions as desk
from tanggap.cases.cleaning import clean_text
from tanggap.errors import Conflict, Forbidden, InvalidInput

MAX_NOTE_CHARS = 1000


class AlreadyDecided(Conflict):
    code = "already_decided"


def _lock_pending(approval_id: int) -> ReplyApproval:
    approval = (ReplyApproval.objects.select_for_update().get(pk=approval_id))
    if approval.status != ApprovalStatus.MENUNGGU:
        decider = approval.decided_by
        name = (decider.get_full_name() or decider.username) if decider else "?"
        raise AlreadyDecided(_("This reply was decided already (%(status)s) by %(name)s.")
                             % {"status": approval.get_status_display(), "name": name},
                             decision=approval.status)
    return approval


def approve_reply(*, approval_id: int, actor, membership, now: datetime,
                  text=None) -> ReplyApproval:
    """Send the held reply (or the supervisor's edit of it)."""
    if not membership.can_supervise:
        raise Forbidden()
    edited = text is not None
    if edited:
        text = clean_text(text)
    with transaction.atomic():
        approval = _lock_pending(approval_id)
        result = desk.send_reply(
            case_id=approval.case_id, actor=approval.requested_by,
            text=text if edited else approval.text, idempotency_key=approval.idempotency_key,
            base_version=approval.base_version, confirm_tone=True, approved_by=actor, now=now)
        approval.status = ApprovalStatus.DISETUJUI
        approval.decided_by, approval.decided_at = actor, now
        approval.message = result.message
        approval.save(update_fields=["status", "decided_by", "decided_at", "message"])
        events.record(workspace_id=approval.workspace_id, actor=actor, now=now,
                      case=result.case, obj=approval, action="reply.approved",
                      after={"approval_id": approval.pk, "message_id": result.message.pk,
                             "edited": edited,
                             "requested_by": approval.requested_by.username,
                             **({"text_before": approval.text} if edited else {})})
        publish(approval)
    return approval


def reject_reply(*, approval_id: int, actor, membership, now: datetime,
                 note="") -> ReplyApproval:
    """Nothing is sent; the operator sees why."""
    if not membership.can_supervise:
        raise Forbidden()
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(_("'note' must be a string of at most %(limit)d characters.")
                           % {"limit": MAX_NOTE_CHARS}, field="note")
    note = note.strip()
    if note:
        note = clean_text(note, field="note")
    with transaction.atomic():
        approval = _lock_pending(approval_id)
        approval.status = ApprovalStatus.DITOLAK
        approval.decided_by, approval.decided_at, approval.note = actor, now, note
        approval.save(update_fields=["status", "decided_by", "decided_at", "note"])
        events.record(workspace_id=approval.workspace_id, actor=actor, now=now,
                      case=approval.case, obj=approval, action="reply.rejected",
                      # Whether a note was left, not the note: it may quote the citizen, and
                      # the append-only trail cannot be erased (it stays on the approval).
                      after={"approval_id": approval.pk, "has_note": bool(note),
                             "requested_by": approval.requested_by.username})
        publish(approval)
    return approval
