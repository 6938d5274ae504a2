"""`tanggap report monthly SLUG --month 2026-11 --output FILE.pdf` (the mayor's PDF, with a
progress bar), `tanggap report catch-up` (bring the roll-ups up to date now) and
`tanggap report rebuild` (forget them and read the whole audit trail again)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from tqdm import tqdm

from tanggap.errors import InvalidInput
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Reports: the monthly PDF, and keeping the roll-ups current."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        monthly = sub.add_parser("monthly", help="write the monthly report of a workspace as PDF")
        monthly.add_argument("slug")
        monthly.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-11")
        monthly.add_argument("--output", required=True, help="the PDF file to write")
        monthly.add_argument("--language", default="id", choices=["id", "en"])
        monthly.add_argument("--no-progress", action="store_true")
        sub.add_parser("catch-up", help="read the audit trail into the roll-ups up to now")
        sub.add_parser("rebuild", help="rebuild every roll-up from the whole audit trail")

    def handle(self, *args, action, **options):
        if action == "monthly":
            return self._monthly(**options)
        from tanggap.reports import rollup

        now = timezone.now()
        run = rollup.rebuild(now=now) if action == "rebuild" else rollup.catch_up(now=now)
        self.stdout.write(f"events={run.handled} batches={run.batches} cursor={run.last_id}")

    def _monthly(self, *, slug, month, output, language, no_progress, **_options):
        from tanggap.reports import filters, monthly, rollup

        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(f"no workspace {slug!r}")
        try:
            start, end = filters.month_bounds(month)
        except InvalidInput as exc:
            raise CommandError(f"--month {month!r}: {exc.message}") from None
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"--output {output!r}: the folder {path.parent} does not exist")
        now = timezone.now()
        bar = tqdm(total=len(monthly.STEPS) + 1, desc=f"{slug} {month}", unit="step",
                   disable=no_progress, file=sys.stderr)
        with translation.override(language), bar:
            bar.set_postfix_str("roll-ups")
            rollup.catch_up(now=now)
            bar.update(1)

            def progress(step: str) -> None:
                bar.set_postfix_str(step)
                bar.update(1)

            pdf = monthly.render_monthly(workspace=workspace, start=start, end=end, now=now,
                                         progress=progress)
        # Written whole or not at all: a half-written report must not be mailed to the mayor.
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(pdf)
        partial.replace(path)
        self.stdout.write(f"{path} {len(pdf)} bytes")
