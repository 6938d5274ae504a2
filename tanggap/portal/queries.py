"""Reads of the citizen portal. The public status view is built here as a plain value that holds
only what may be shown to anyone who knows a tracking number: never the contact, the citizen's
name, location, photo or the operators' names, and never the words of a reply sent in a private
conversation. The desk_* reads serve the desk and must only be
called after access_case has let the user in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from tanggap.cases.models import Case, CaseStatus, DeliveryStatus, Direction, Message
from tanggap.connectors.models import ChannelAccount, Platform
from tanggap.connectors.platforms.base import conversation_thread, media_thread, post_thread
from tanggap.portal.photos import upload_root
from tanggap.referrals.queries import public_trail

# Citizens read the desk's internal statuses in plain words: "claimed" means nothing to them.
PUBLIC_STATUS = {
    CaseStatus.BARU: _("Received"),
    CaseStatus.DIKLAIM: _("Being handled"),
    CaseStatus.DIJAWAB: _("Answered"),
    CaseStatus.MENUNGGU: _("In progress"),
    CaseStatus.DITERUSKAN: _("Passed to the responsible body"),
    CaseStatus.SELESAI: _("Done"),
    CaseStatus.DITUTUP: _("Closed"),
}

# Tracking numbers use Crockford's base32 (see cases.tracking); read aloud or copied by hand,
# O and I/L are meant as 0 and 1. New numbers have 12 characters, those of earlier versions 8.
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TRACKING_BODY = re.compile(r"[0-9A-HJKMNP-TV-Z]{8}|[0-9A-HJKMNP-TV-Z]{12}")


def normalise_tracking_number(raw: str) -> str | None:
    """`tg-ab12-cd34-ef56`, `TGAB12CD34EF56` or ` ab12 cd34 ` → `TG-AB12-CD34-EF56`,
    `TG-AB12-CD34`; None if it cannot be one."""
    compact = re.sub(r"[\s\-_.]", "", raw or "").upper()
    if len(compact) in (10, 14) and compact.startswith("TG"):
        compact = compact[2:]
    compact = compact.translate(_CONFUSABLES)
    if not _TRACKING_BODY.fullmatch(compact):
        return None
    return "TG-" + "-".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def portal_channel(*, slug: str) -> ChannelAccount | None:
    """The web channel a workspace's form files into: its first active one."""
    return (
        ChannelAccount.objects.filter(workspace__slug=slug, platform=Platform.WEB, is_active=True)
        .select_related("workspace")
        .order_by("created_at", "pk")
        .first()
    )


# Threads whose replies are public posts anyway: a reply under a Facebook or Instagram comment,
# a reply to an X mention. Every other thread (Messenger, Instagram Direct, WhatsApp, X Direct
# Messages, anything a platform adds later) is a private conversation.
_PUBLIC_THREAD_PREFIXES = (post_thread(""), media_thread(""), conversation_thread(""))


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    # None: a reply in a private conversation; the page says one was sent, not what it said.
    text: str | None


@dataclass(frozen=True)
class PublicCase:
    tracking_number: str
    workspace_name: str
    status: str
    status_label: str
    kind_label: str
    created_at: datetime
    updated_at: datetime
    # None when the citizen's words may not be shown (confidential, or not sent through the
    # portal: a private message on another platform was never meant for a public page).
    citizen_entries: list[PublicEntry] | None
    replies: list[PublicEntry]
    # Where the report was passed (tanggap.referrals.queries.public_trail): body names, dates,
    # statuses and the public part of the bodies' answers; never a person or the desk's note.
    referral_trail: list[dict] = field(default_factory=list)


def public_case(*, tracking_number: str) -> PublicCase | None:
    case = (
        Case.objects.filter(tracking_number=tracking_number)
        .select_related("workspace")
        .first()
    )
    if case is None:
        return None
    flags = list(case.portal_submissions.values_list("confidential", flat=True))
    shows_citizen = bool(flags) and not any(flags)
    # The form's own answers are meant for this page: it is how a citizen without an account
    # reads them.
    shows_replies = bool(flags) or case.thread_id.startswith(_PUBLIC_THREAD_PREFIXES)
    citizen, replies = [], []
    messages = (
        case.messages.exclude(direction=Direction.OUT, delivery_status=DeliveryStatus.FAILED)
        .order_by("created_at", "id")
        .values_list("direction", "text", "created_at")
    )
    for direction, text, created_at in messages:
        if direction == Direction.OUT:
            replies.append(PublicEntry(created_at, text if shows_replies else None))
        elif shows_citizen:
            citizen.append(PublicEntry(created_at, text))
    return PublicCase(
        tracking_number=case.tracking_number,
        workspace_name=case.workspace.name,
        status=case.status,
        status_label=PUBLIC_STATUS[case.status],
        kind_label=case.get_kind_display(),
        created_at=case.created_at,
        updated_at=case.updated_at,
        citizen_entries=citizen if shows_citizen else None,
        replies=replies,
        referral_trail=public_trail(case.pk),
    )


def desk_submissions(*, case: Case) -> list:
    """The portal details of a case, for its desk (the caller went through access_case)."""
    return list(case.portal_submissions.select_related("message").order_by("created_at", "pk"))


def desk_photo(*, case_id: int, message_id: int, index: int) -> tuple[Path, dict] | None:
    """The stored file of one photo on one message of the case, or None.

    The path comes from our own metadata, and is still checked to lie inside the upload root,
    so a tampered attachments row cannot make the desk serve any other file.
    """
    message = Message.objects.filter(pk=message_id, case_id=case_id, direction=Direction.IN).first()
    if message is None or not 0 <= index < len(message.attachments):
        return None
    attachment = message.attachments[index]
    if attachment.get("storage") != "uploads" or attachment.get("type") != "image":
        return None
    root = upload_root().resolve()
    path = (root / str(attachment.get("path", ""))).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path, attachment


def case_locations(case_ids: list[int]) -> dict[int, tuple]:
    """{case_id: (latitude, longitude)} of form reports that gave a point: the reports'
    location source (tanggap.reports.locations), which keeps only a coarse area of it."""
    from tanggap.portal.models import Submission

    rows = Submission.objects.filter(case_id__in=case_ids, latitude__isnull=False,
                                     longitude__isnull=False).order_by("pk")
    return {case_id: (lat, lon) for case_id, lat, lon
            in rows.values_list("case_id", "latitude", "longitude")}
