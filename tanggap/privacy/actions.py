"""Writes of the privacy room (UU PDP 27/2022): a workspace's retention period, anonymising closed
cases past it, erasing one citizen on request, and recording an export of their data.

Each action owns its transaction and writes audit events in it. Anonymising locks the cases,
lets every registered holder (privacy.holders: the portal, the connectors) remove what it keeps
about them, then has the cases room replace the citizen's words and names on its own rows
(cases.actions), and removes files (photos) only after the commit. What is kept, and why, is
written in docs/security.md, "Personal data".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction

from tanggap.audit import events
from tanggap.cases import search
from tanggap.cases.actions import anonymise_case_rows, anonymise_contacts
from tanggap.cases.models import CLOSED_STATUSES, Case, Contact, DeliveryStatus, Direction, Message
from tanggap.errors import Conflict, InvalidInput
from tanggap.privacy import queries
from tanggap.privacy.holders import holders
from tanggap.privacy.models import RetentionPolicy
from tanggap.workspaces.models import Workspace

MAX_RETENTION_MONTHS = 1200
MAX_REFERENCE_CHARS = 100


@dataclass
class Anonymised:
    cases: int = 0
    contacts: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    held: int = 0  # due, but a reply of theirs was still on its way: the next run takes them

    def add(self, other: Anonymised) -> None:
        self.cases += other.cases
        self.contacts += other.contacts
        self.held += other.held
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value


def _remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def set_retention(*, workspace: Workspace, months: int, actor, now: datetime) -> RetentionPolicy:
    """How many months after closing a case of `workspace` keeps its personal data (0: until an
    erasure request)."""
    if isinstance(months, bool) or not isinstance(months, int) or not (
            0 <= months <= MAX_RETENTION_MONTHS):
        raise InvalidInput(f"months must be a whole number from 0 to {MAX_RETENTION_MONTHS}")
    with transaction.atomic():
        policy = RetentionPolicy.objects.select_for_update().filter(workspace=workspace).first()
        before = policy.months if policy is not None else queries.retention_months(workspace)
        if policy is None:
            policy = RetentionPolicy.objects.create(workspace=workspace, months=months,
                                                    updated_at=now)
        else:
            policy.months, policy.updated_at = months, now
            policy.save(update_fields=["months", "updated_at"])
        events.record(workspace_id=workspace.pk, actor=actor, now=now, obj=policy,
                      action="privacy.retention_changed", before={"months": before},
                      after={"months": months})
    return policy


def _anonymise(*, workspace_id: int, cases: list[Case], contact_ids: set[int], actor,
               now: datetime, reason: str) -> Anonymised:
    """Inside the caller's transaction, with `cases` locked: every holder, then the desk's rows,
    then the contacts; one audit event per case. Files go after the commit."""
    scope = queries.scope_of(workspace_id=workspace_id, case_ids=[c.pk for c in cases],
                             contact_ids=sorted(contact_ids))
    done = Anonymised(cases=len(cases))
    files: list[Path] = []
    # Holders first: the portal reads the photo paths from the attachments the desk replaces.
    for holder in holders():
        erased = holder.erase(scope, now)
        files += erased.files
        for key, value in erased.counts.items():
            done.counts[f"{holder.name}.{key}"] = value
    for key, value in anonymise_case_rows(cases=cases, now=now).items():
        done.counts[f"cases.{key}"] = value
    done.contacts = anonymise_contacts(contact_ids=sorted(contact_ids), now=now)
    for case in cases:
        events.record(workspace_id=workspace_id, actor=actor, now=now, case=case, obj=case,
                      action="privacy.case_anonymised", after={"reason": reason})
    if files:
        transaction.on_commit(lambda: _remove_files(files))
    return done


def _busy(workspace_id: int, case_ids: list[int]) -> dict[int, str]:
    """Of `case_ids` (locked by the caller), those that cannot be anonymised yet, with why.

    A reply still on its way to the platform (pending: queued, being sent, or waiting to retry):
    its delivery reads the message's text and the send record's recipient, and reconciliation
    looks for the earlier post by them, so anonymising now would send "[dianonimkan]" to the
    citizen or post twice (the one-answer rule: one idempotency key, one platform post). And
    whatever a holder still needs (privacy.holders.Holder.busy)."""
    if not case_ids:
        return {}
    busy = {case_id: "a reply is still being delivered to the platform" for case_id in
            Message.objects.filter(case_id__in=case_ids, direction=Direction.OUT,
                                   delivery_status=DeliveryStatus.PENDING)
            .values_list("case_id", flat=True)}
    scope = queries.scope_of(workspace_id=workspace_id, case_ids=case_ids, contact_ids=[])
    for holder in holders():
        for case_id, why in holder.busy(scope).items():
            busy.setdefault(case_id, why)
    return busy


def anonymise_for_retention(*, workspace_id: int, case_ids: list[int], cutoff: datetime,
                            now: datetime, months: int) -> Anonymised:
    """Anonymise those of `case_ids` that are still closed, unchanged since before `cutoff` and
    not yet anonymised (checked again under their locks: a case reopened meanwhile is left
    alone), and the contacts left with no case that holds personal data."""
    with transaction.atomic():
        cases = list(Case.objects.select_for_update()
                     .filter(pk__in=case_ids, workspace_id=workspace_id,
                             status__in=CLOSED_STATUSES, updated_at__lt=cutoff,
                             anonymised_at__isnull=True).order_by("pk"))
        # A reply still on its way keeps its case for the next run.
        busy = _busy(workspace_id, [case.pk for case in cases])
        cases = [case for case in cases if case.pk not in busy]
        if not cases:
            return Anonymised(held=len(busy))
        # Marked first, so that the contacts' check below sees these cases as done.
        ids = [case.pk for case in cases]
        candidates = {case.contact_id for case in cases}
        others = set(Case.objects.filter(contact_id__in=candidates, anonymised_at__isnull=True)
                     .exclude(pk__in=ids).values_list("contact_id", flat=True))
        done = _anonymise(workspace_id=workspace_id, cases=cases,
                          contact_ids=candidates - others, actor=None, now=now,
                          reason="retention")
        done.held = len(busy)
        events.record(workspace_id=workspace_id, actor=None, now=now,
                      action="privacy.retention_applied",
                      after={"months": months, "cutoff": cutoff.isoformat(), "cases": done.cases,
                             "contacts": done.contacts, "held": done.held,
                             "counts": done.counts})
    return done


def erase_citizen(*, contact: Contact, actor, now: datetime, include_open: bool = False,
                  reference: str = "") -> Anonymised:
    """Anonymise everything about one citizen in one workspace, on their request: every case of
    the contact, closed ones only unless `include_open`, and the contact itself. Refuses without
    writing anything when an open case is found and `include_open` is not given."""
    reference = _reference(reference)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        cases = list(Case.objects.select_for_update().filter(contact=contact).order_by("pk"))
        still_open = [case.tracking_number for case in cases if case.status not in
                      CLOSED_STATUSES]
        if still_open and not include_open:
            raise Conflict(f"the citizen has open cases ({', '.join(still_open)}): close them "
                           "first, or erase them too with --include-open")
        pending = [case for case in cases if case.anonymised_at is None]
        busy = _busy(contact.workspace_id, [case.pk for case in pending])
        if busy:
            waiting = "; ".join(f"{case.tracking_number}: {busy[case.pk]}" for case in pending
                                if case.pk in busy)
            raise Conflict(f"not yet ({waiting}): erase once that is settled (the case page "
                           "shows it)")
        done = _anonymise(workspace_id=contact.workspace_id, cases=pending,
                          contact_ids={contact.pk}, actor=actor, now=now, reason="erasure")
        search.forget_removed_words()
        events.record(workspace_id=contact.workspace_id, actor=actor, now=now, obj=contact,
                      action="privacy.citizen_erased",
                      after={"contact_id": contact.pk, "cases": done.cases,
                             "open_cases": len(still_open), "reference": reference,
                             "counts": done.counts})
    return done


def record_export(*, contact: Contact, actor, now: datetime, cases: int, files: int,
                  reference: str = "") -> None:
    """An export of a citizen's data left the desk: who made it, of whom, how much."""
    reference = _reference(reference)
    with transaction.atomic():
        events.record(workspace_id=contact.workspace_id, actor=actor, now=now, obj=contact,
                      action="privacy.citizen_exported",
                      after={"contact_id": contact.pk, "cases": cases, "files": files,
                             "reference": reference})


def _reference(reference: str) -> str:
    reference = (reference or "").strip()
    if len(reference) > MAX_REFERENCE_CHARS or not reference.isprintable():
        raise InvalidInput(f"the reference must be at most {MAX_REFERENCE_CHARS} printable "
                           "characters (a request number, not a name)")
    return reference
