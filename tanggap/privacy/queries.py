"""Reads of the privacy room: retention periods, the cases a retention run is due to anonymise,
finding one citizen, and everything the desk holds about them (an export)."""

from __future__ import annotations

import calendar
from datetime import datetime
from pathlib import PurePosixPath

from django.conf import settings
from django.db.models import Q

from tanggap.cases.models import CLOSED_STATUSES, Case, Contact, Direction, Message, Note
from tanggap.errors import InvalidInput, NotFound
from tanggap.privacy.holders import Scope, holders
from tanggap.privacy.models import RetentionPolicy
from tanggap.workspaces.models import Workspace

EXPORT_FORMAT = "tanggap-citizen-export"


def retention_months(workspace: Workspace) -> int:
    policy = RetentionPolicy.objects.filter(workspace=workspace).first()
    return policy.months if policy is not None else settings.TANGGAP_RETENTION_MONTHS


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the last day of
    a shorter month)."""
    year, month0 = divmod(moment.month - 1 - months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


def due_for_retention(*, workspace_id: int, cutoff: datetime):
    """Closed cases whose last change is older than `cutoff` and that still hold personal data.
    A case's last change is its closing, or whatever came after it (a note, a status move)."""
    return (Case.objects.filter(workspace_id=workspace_id, status__in=CLOSED_STATUSES,
                                updated_at__lt=cutoff, anonymised_at__isnull=True)
            .order_by("pk"))


def find_contact(*, workspace: Workspace, contact_id: int | None = None,
                 platform: str | None = None, handle: str | None = None,
                 tracking_number: str | None = None) -> Contact:
    """One citizen of the workspace, by the desk's contact id, by platform and platform id (a
    WhatsApp number, an X user id, a Facebook PSID), or by a tracking number of their case."""
    given = [contact_id is not None, bool(platform or handle), bool(tracking_number)]
    if sum(given) != 1 or (platform or handle) and not (platform and handle):
        raise InvalidInput("name the citizen by one of: a contact id; a platform and a handle; "
                           "a tracking number")
    contacts = Contact.objects.filter(workspace=workspace)
    if contact_id is not None:
        found = contacts.filter(pk=contact_id).first()
    elif tracking_number:
        case = Case.objects.filter(workspace=workspace,
                                   tracking_number=tracking_number.strip().upper()).first()
        found = case.contact if case is not None else None
    else:
        found = contacts.filter(platform=platform, external_id=handle).first()
    if found is None:
        raise NotFound(f"no such citizen in workspace {workspace.slug}")
    return found


def scope_of(*, workspace_id: int, case_ids: list[int], contact_ids: list[int]) -> Scope:
    messages = list(Message.objects.filter(case_id__in=case_ids)
                    .values_list("pk", "external_id"))
    identifiers = {external for _, external in messages if external}
    identifiers |= {thread for thread in Case.objects.filter(pk__in=case_ids)
                    .values_list("thread_id", flat=True) if thread}
    identifiers |= set(Contact.objects.filter(pk__in=contact_ids, anonymised_at__isnull=True)
                       .values_list("external_id", flat=True))
    return Scope(workspace_id=workspace_id, case_ids=tuple(sorted(case_ids)),
                 message_ids=tuple(sorted(pk for pk, _ in messages)),
                 contact_ids=tuple(sorted(contact_ids)),
                 identifiers=tuple(sorted(i for i in identifiers if len(i) >= 6)))


def citizen_cases(contact: Contact):
    return Case.objects.filter(contact=contact).select_related("channel").order_by("created_at",
                                                                                  "pk")


def open_cases(contact: Contact) -> list[str]:
    return list(citizen_cases(contact).exclude(status__in=CLOSED_STATUSES)
                .values_list("tracking_number", flat=True))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_citizen(*, contact: Contact, now: datetime) -> tuple[dict, list[tuple[str, object]]]:
    """Everything the desk holds about one citizen in one workspace, as JSON-able data, and the
    files (photos) it names: (name in the export, path on disk).

    Staff appear as "desk" (their names are their own personal data, not the citizen's);
    internal notes are included, for the officer to review before handing the export over.
    """
    cases = list(citizen_cases(contact))
    case_ids = [case.pk for case in cases]
    scope = scope_of(workspace_id=contact.workspace_id, case_ids=case_ids,
                     contact_ids=[contact.pk])
    sections = [(holder.name, holder.export(scope)) for holder in holders()]
    files = [file for holder in holders() for file in holder.files(scope)]
    file_names = {str(path): name for name, path in files}
    messages: dict[int, list] = {}
    for message in Message.objects.filter(case_id__in=case_ids).order_by("created_at", "pk"):
        messages.setdefault(message.case_id, []).append({
            "from": "citizen" if message.direction == Direction.IN else "desk",
            "author": message.author_name if message.direction == Direction.IN else "desk",
            "text": message.text,
            "at": _iso(message.created_at),
            "platform_at": _iso(message.platform_created_at),
            "delivery": message.delivery_status,
            "attachments": [_attachment(a, file_names) for a in message.attachments
                            if isinstance(a, dict)],
        })
    notes: dict[int, list] = {}
    for note in Note.objects.filter(case_id__in=case_ids).order_by("created_at", "pk"):
        notes.setdefault(note.case_id, []).append({"text": note.text,
                                                   "at": _iso(note.created_at)})
    export = {
        "format": EXPORT_FORMAT,
        "format_version": 1,
        "exported_at": _iso(now),
        "workspace": {"slug": contact.workspace.slug, "name": contact.workspace.name},
        "citizen": {
            "contact_id": contact.pk, "platform": contact.platform,
            "platform_id": contact.external_id, "name": contact.display_name,
            "first_seen": _iso(contact.created_at), "anonymised_at": _iso(contact.anonymised_at),
        },
        "cases": [{
            "tracking_number": case.tracking_number,
            "channel": {"platform": case.channel.platform, "account": case.channel.handle},
            "kind": case.kind, "status": case.status, "topic": case.topic,
            "intent": case.intent, "opened_at": _iso(case.created_at),
            "last_citizen_message_at": _iso(case.last_inbound_at),
            "updated_at": _iso(case.updated_at), "anonymised_at": _iso(case.anonymised_at),
            "messages": messages.get(case.pk, []),
            "internal_notes": notes.get(case.pk, []),
            **{name: data[case.pk] for name, data in sections if case.pk in data},
        } for case in cases],
        "about": ("Everything this desk holds about this citizen in this workspace. The audit "
                  "trail records who did what to these cases by ids and statuses, without the "
                  "citizen's words; staff are shown as 'desk'."),
    }
    return export, files


def _attachment(attachment: dict, file_names: dict[str, str]) -> dict:
    shown = {key: attachment[key] for key in ("type", "name", "content_type", "size",
                                              "erased") if key in attachment}
    path = attachment.get("path")
    if attachment.get("storage") == "uploads" and path:
        for stored, name in file_names.items():
            if PurePosixPath(stored).as_posix().endswith("/" + str(path)):
                shown["file"] = name
    return shown


def workspaces_with_retention() -> list[tuple[Workspace, int]]:
    return [(workspace, retention_months(workspace))
            for workspace in Workspace.objects.order_by("pk")]


def contacts_left_without_personal_cases(contact_ids: set[int]) -> set[int]:
    """Of these contacts, those with no case that still holds personal data."""
    in_use = set(Case.objects.filter(Q(contact_id__in=contact_ids) & Q(anonymised_at__isnull=True))
                 .values_list("contact_id", flat=True))
    return set(contact_ids) - in_use
