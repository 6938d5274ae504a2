"""Writes of the desk's wish to hide or show a citizen's comment; the platform is asked after
commit by the task moderate_comment (connectors.moderation)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases.access import access_message
from tanggap.cases.models import Message
from tanggap.connectors.models import CommentModeration, ModerationState
from tanggap.connectors.queries import is_hideable
from tanggap.errors import InvalidInput
from tanggap.live.fanout import publish_on_commit


def hide_comment(*, message_id: int, actor, hidden: bool, now: datetime) -> CommentModeration:
    """Ask the platform to hide (or show again) a citizen's public comment.

    Operators and above; auditors get Forbidden, outsiders NotFound. The platform call runs in
    the task `moderate_comment` after commit; its result lands on the returned record. Asking
    for what is already asked (or done) changes nothing and records nothing; asking again after
    a failure tries again.
    """
    if not isinstance(hidden, bool):
        raise InvalidInput(_("'hidden' must be true or false."))
    with transaction.atomic():
        message, _membership = access_message(actor, message_id, write=True)
        if not is_hideable(message):
            raise InvalidInput(_("Only a citizen's comment on Facebook or Instagram can be "
                                 "hidden."))
        record = CommentModeration.objects.select_for_update().filter(message=message).first()
        if record is not None and record.hidden == hidden and \
                record.state != ModerationState.FAILED:
            return record
        before = {} if record is None else {"hidden": record.hidden, "state": record.state}
        if record is None:
            record = CommentModeration.objects.create(
                message=message, channel=message.channel, hidden=hidden, requested_by=actor,
                requested_at=now, updated_at=now)
        else:
            record.hidden = hidden
            record.generation += 1
            record.error = ""
            # A new wish gets all its attempts, now (not after an old wish's back-off).
            record.attempts = 0
            record.retry_at = None
            record.requested_by = actor
            record.requested_at = now
            record.updated_at = now
            # A call in flight finishes, sees the new generation and goes again; only an idle
            # record is queued anew.
            if record.state != ModerationState.IN_FLIGHT:
                record.state = ModerationState.PENDING
            record.save(update_fields=["hidden", "generation", "error", "requested_by",
                                       "requested_at", "updated_at", "state", "attempts",
                                       "retry_at"])
        events.record(
            workspace_id=message.workspace_id, actor=actor, now=now, case=message.case,
            obj=message, action="message.hide_requested" if hidden
            else "message.unhide_requested",
            before=before, after={"hidden": hidden, "platform": message.channel.platform,
                                  "comment_id": message.external_id},
        )
        if record.state == ModerationState.PENDING:
            enqueue_moderation_on_commit(message.pk)
        publish_moderation_on_commit(record, message)
    return record


def enqueue_moderation_on_commit(message_id: int) -> None:
    def enqueue() -> None:
        from tanggap.connectors.tasks import moderate_comment

        moderate_comment.enqueue(message_id)

    transaction.on_commit(enqueue)


def publish_moderation_on_commit(record: CommentModeration, message: Message) -> None:
    publish_on_commit(message.workspace_id, {
        "kind": "delivery", "case_id": message.case_id, "message_id": message.pk,
        "moderation": record.state, "hidden": record.hidden})
