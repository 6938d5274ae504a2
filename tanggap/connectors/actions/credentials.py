"""Sealing stored secrets again under the first credentials key (`tanggap keys rotate`, see
connectors.crypto and docs/security.md, "Rotating keys"). Run by an operator from the command
line, so the audit names no user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db import transaction

from tanggap.audit import events
from tanggap.connectors.crypto import SEALED_FIELDS, CredentialsUnreadable, reseal


@dataclass
class ResealReport:
    resealed_rows: int = 0
    current_rows: int = 0
    # (model, id, field) of values no configured key opens: left as they are.
    unreadable: list[tuple[str, int, str]] = field(default_factory=list)


def reseal_credentials(*, actor, now: datetime, batch_size: int = 100) -> ResealReport:
    """Seal every stored secret again under the first configured key (`tanggap keys rotate`).

    One transaction per batch of rows, each row locked and re-read inside it, so a token renewed
    meanwhile is resealed as it is now; each changed row gets an audit event. Safe to run again:
    values already under the first key are left untouched, so a second run changes nothing.
    """
    report = ResealReport()
    for sealed in SEALED_FIELDS:
        model = apps.get_model(sealed.model)
        after_pk = 0
        while True:
            with transaction.atomic():
                rows = list(model.objects.select_for_update().filter(pk__gt=after_pk)
                            .order_by("pk")[:batch_size])
                if not rows:
                    break
                for row in rows:
                    changed, unreadable = [], False
                    present = [name for name in sealed.fields if getattr(row, name)]
                    for name in present:
                        try:
                            resealed = reseal(getattr(row, name))
                        except CredentialsUnreadable:
                            report.unreadable.append((sealed.model, row.pk, name))
                            unreadable = True
                            continue
                        if resealed is not None:
                            setattr(row, name, resealed)
                            changed.append(name)
                    if not changed:
                        report.current_rows += bool(present) and not unreadable
                        continue
                    row.save(update_fields=changed)
                    events.record(workspace_id=row.workspace_id, actor=actor, now=now, obj=row,
                                  action=sealed.audit_action, after={"fields": changed})
                    report.resealed_rows += 1
                after_pk = rows[-1].pk
    return report
