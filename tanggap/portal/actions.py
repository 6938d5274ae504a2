"""Writes of the citizen portal. The case itself is made by cases.actions.ingest_inbound, which
owns the case's transaction and audit; this module adds the portal's own rows in the same
transaction and keeps the photo file and the database in step.

Never called with request objects; callers pass the validated Report and `now`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from tanggap.audit import events
from tanggap.cases.actions import InboundResult, ingest_inbound
from tanggap.portal.forms import Report
from tanggap.portal.models import RateLimitBucket, Submission
from tanggap.portal.photos import StoredPhoto, store_photo

RATE_LIMIT = 5
RATE_WINDOW = timedelta(minutes=10)

# Stored as data, not shown as UI text: the desk reads it in Indonesian whatever its language.
ANONYMOUS_NAME = "Anonim"
NAMELESS_NAME = "Warga"


def _author(report: Report) -> tuple[str, str]:
    """(author_id, author_name) for ingest_inbound: a new contact for every report.

    A phone number or email typed in the form proves nothing (anyone can type a neighbour's
    number), so it never picks a contact: deriving the contact from it let a stranger rename a
    citizen and file a report beside their confidential ones. The typed detail is kept on the
    Submission as unverified data for the desk to call back.
    """
    if report.anonymous:
        return f"anon-{secrets.token_hex(16)}", ANONYMOUS_NAME
    return f"web-{secrets.token_hex(16)}", report.name or NAMELESS_NAME


class FormAlreadyUsed(Exception):
    """This rendered form's token was already spent on another report."""


def submit_report(*, channel, report: Report, now: datetime) -> InboundResult:
    """Turn one form submission into a case on the workspace's web channel.

    Each rendered form's token makes one report: a second, different report with the same token
    (a bot reusing one form to skip the minimum fill time) raises FormAlreadyUsed and stores
    nothing. The same form sent again unchanged (a double tap on a slow connection) stores
    nothing either and answers with the first send's case, so the citizen still learns their
    tracking number. The photo is written before the transaction and removed again if the
    transaction fails, so neither a case pointing to a missing file nor an orphan file survives.
    """
    text_digest = hashlib.sha256(report.text.encode()).hexdigest()[:16]
    external_id = f"portal-{report.nonce}-{text_digest}"
    photo: StoredPhoto | None = None
    if report.photo is not None:
        photo = store_photo(report.photo)
    try:
        with transaction.atomic():
            result = _submit(channel, report, external_id, photo, now)
    except BaseException:
        if photo is not None:
            photo.remove()
        raise
    if photo is not None and not result.created:
        photo.remove()  # the first send of this form already stored its own copy
    return result


def _submit(channel, report: Report, external_id: str, photo: StoredPhoto | None,
            now: datetime) -> InboundResult:
    earlier = (Submission.objects.filter(form_nonce=report.nonce)
               .select_related("case", "message").first())
    if earlier is not None:
        if (earlier.workspace_id, earlier.message.external_id) != (channel.workspace_id,
                                                                  external_id):
            raise FormAlreadyUsed()
        return InboundResult(earlier.case, earlier.message, False)
    author_id, author_name = _author(report)
    result = ingest_inbound(
        channel=channel, external_id=external_id, author_id=author_id,
        author_name=author_name, text=report.text, now=now,
        # Its own thread: every report is its own case with its own tracking number.
        thread_id=external_id,
        attachments=[photo.metadata] if photo else [], kind=report.kind,
    )
    if not result.created:
        # The same form arrived twice at once and the other copy was stored first: undo the
        # contact this copy made, and answer with the stored case.
        transaction.set_rollback(True)
        return result
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                workspace_id=result.case.workspace_id, case=result.case,
                message=result.message, form_nonce=report.nonce, anonymous=report.anonymous,
                confidential=report.confidential, reporter_contact=report.contact,
                latitude=report.latitude, longitude=report.longitude,
                address=report.address, created_at=now,
            )
    except IntegrityError:
        raise FormAlreadyUsed() from None  # another report with this token committed first
    # Flags only: the audit trail must not become a second copy of personal data.
    events.record(
        workspace_id=result.case.workspace_id, actor=None,
        action="portal.submitted", now=now, case=result.case, obj=submission,
        after={
            "anonymous": report.anonymous, "confidential": report.confidential,
            "photo": photo is not None,
            "location": report.latitude is not None or bool(report.address),
        },
    )
    return result


def consume_rate_limit(*, key: str, now: datetime, limit: int = RATE_LIMIT) -> bool:
    """Count one request for `key`; False if the key already used up its window."""
    return take_rate_limit_slots(slots=[(key, limit)], now=now)


def take_rate_limit_slots(*, slots: list[tuple[str, int]], now: datetime) -> bool:
    """Take one slot from each (key, limit) bucket, or from none: a bucket that refuses rolls
    the others back, so a refused request never uses up anyone's limit.

    Each bucket row is locked, so two requests at the same moment cannot both take the last
    slot. Windows are fixed, RATE_WINDOW long from a bucket's first hit.
    """
    # Outside the transaction: deleting other keys' rows while holding our own row lock could
    # deadlock with a request doing the same the other way round.
    RateLimitBucket.objects.filter(window_started_at__lte=now - RATE_WINDOW).delete()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                for key, limit in slots:
                    if not _take_slot(key, limit, now):
                        transaction.set_rollback(True)
                        return False
                return True
        except IntegrityError:
            continue  # a simultaneous first request created a bucket: count on theirs
    return False


def _take_slot(key: str, limit: int, now: datetime) -> bool:
    bucket = RateLimitBucket.objects.select_for_update().filter(key=key).first()
    if bucket is None:
        RateLimitBucket.objects.create(key=key, window_started_at=now, hits=1)
        return True
    if bucket.window_started_at <= now - RATE_WINDOW:
        bucket.window_started_at, bucket.hits = now, 0
    if bucket.hits >= limit:
        return False
    bucket.hits += 1
    bucket.save(update_fields=["window_started_at", "hits"])
    return True


def give_back_rate_limit_slots(*, keys: list[str]) -> None:
    """Return slots taken by take_rate_limit_slots (a status lookup that found its case).

    Taking first and giving back after keeps the limit exact under concurrency: a check before
    and a count after would let every request in flight through the last slot.
    """
    RateLimitBucket.objects.filter(key__in=keys, hits__gt=0).update(hits=F("hits") - 1)
