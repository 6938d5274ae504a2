"""A retention run: for every workspace that keeps personal data for a limited time, anonymise
its closed cases whose last change is older than that, in batches of one transaction each; then
let every holder prune what it keeps apart from cases (raw webhook bodies).

Called by the periodic job `privacy.retention` and by `tanggap retention run`. Safe to run twice
and to stop anywhere: each batch commits whole, and a case once anonymised is never selected
again. Open cases are never touched, whatever their age.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from tanggap.cases import search
from tanggap.privacy import queries
from tanggap.privacy.actions import Anonymised, anonymise_for_retention
from tanggap.privacy.holders import holders

BATCH = 100


@dataclass
class WorkspaceRun:
    slug: str
    months: int
    cutoff: datetime | None
    due: int = 0
    done: Anonymised = field(default_factory=Anonymised)


@dataclass
class RetentionRun:
    workspaces: list[WorkspaceRun] = field(default_factory=list)
    pruned: int = 0
    stopped: bool = False

    def summary(self) -> str:
        cases = sum(w.done.cases for w in self.workspaces)
        contacts = sum(w.done.contacts for w in self.workspaces)
        held = sum(w.done.held for w in self.workspaces)
        return (f"anonymised {cases} closed cases and {contacts} contacts; pruned {self.pruned} "
                "raw copies"
                + (f"; {held} held back until their replies are delivered" if held else "")
                + (" (stopped early: lease lost)" if self.stopped else ""))


def run_retention(*, now: datetime, dry_run: bool = False, only: str | None = None,
                  keep_alive: Callable[[], bool] = lambda: True) -> RetentionRun:
    run = RetentionRun()
    for workspace, months in queries.workspaces_with_retention():
        if only is not None and workspace.slug != only:
            continue
        cutoff = queries.months_before(now, months) if months > 0 else None
        entry = WorkspaceRun(slug=workspace.slug, months=months, cutoff=cutoff)
        run.workspaces.append(entry)
        if cutoff is None:
            continue
        due = list(queries.due_for_retention(workspace_id=workspace.pk, cutoff=cutoff)
                   .values_list("pk", flat=True))
        entry.due = len(due)
        if dry_run:
            continue
        for start in range(0, len(due), BATCH):
            if not keep_alive():
                run.stopped = True
                break
            entry.done.add(anonymise_for_retention(
                workspace_id=workspace.pk, case_ids=due[start:start + BATCH], cutoff=cutoff,
                now=now, months=months))
        if run.stopped:
            break
    if any(entry.done.cases for entry in run.workspaces):
        # Once per run, not per batch: it rewrites the whole index under the write lock.
        with transaction.atomic():
            search.forget_removed_words()
    if not dry_run and only is None and not run.stopped:
        run.pruned = sum(holder.prune(now) for holder in holders())
    return run
