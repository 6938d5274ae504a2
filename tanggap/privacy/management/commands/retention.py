"""`tanggap retention run [--dry-run] [--workspace SLUG] | status | set SLUG --months N`: the
retention of citizens' personal data on closed cases (docs/security.md, "Personal data")."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.privacy.actions import set_retention
from tanggap.privacy.queries import workspaces_with_retention
from tanggap.privacy.retention import run_retention
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = ("Retention of personal data: `retention run [--dry-run] [--workspace SLUG]` "
            "anonymises closed cases past their workspace's period (the periodic job "
            "privacy.retention does it four times a day); `retention status` lists the periods; "
            "`retention set SLUG --months N` changes one (0 keeps data until an erasure).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        run = sub.add_parser("run", help="anonymise what is due now")
        run.add_argument("--dry-run", action="store_true",
                         help="count what is due, change nothing")
        run.add_argument("--workspace", metavar="SLUG", help="this workspace only")
        sub.add_parser("status", help="each workspace's retention period")
        change = sub.add_parser("set", help="change a workspace's retention period")
        change.add_argument("slug")
        change.add_argument("--months", type=int, required=True)
        change.add_argument("--by", metavar="USERNAME",
                            help="the admin on whose decision this is done (audited)")

    def handle(self, *args, verb, **options):
        now = timezone.now()
        if verb == "status":
            for workspace, months in workspaces_with_retention():
                kept = f"{months} months after closing" if months else "until an erasure request"
                self.stdout.write(f"{workspace.slug}: personal data on closed cases kept {kept}")
            return
        if verb == "set":
            workspace = _workspace(options["slug"])
            actor = _admin(workspace, options["by"]) if options["by"] else None
            try:
                set_retention(workspace=workspace, months=options["months"], actor=actor, now=now)
            except DeskError as exc:
                raise CommandError(str(exc.message)) from None
            self.stdout.write(f"{workspace.slug}: retention {options['months']} months")
            return
        if options["workspace"]:
            _workspace(options["workspace"])
        run = run_retention(now=now, dry_run=options["dry_run"], only=options["workspace"])
        for entry in run.workspaces:
            if entry.cutoff is None:
                self.stdout.write(f"{entry.slug}: keeps personal data (retention 0)")
            elif options["dry_run"]:
                self.stdout.write(f"{entry.slug}: {entry.due} closed cases unchanged since before "
                                  f"{entry.cutoff:%Y-%m-%d} would be anonymised")
            else:
                self.stdout.write(f"{entry.slug}: anonymised {entry.done.cases} closed cases "
                                  f"unchanged since before {entry.cutoff:%Y-%m-%d} and "
                                  f"{entry.done.contacts} contacts"
                                  + (f"; {entry.done.held} held back until their replies are "
                                     "delivered" if entry.done.held else ""))
        if not options["dry_run"] and not options["workspace"]:
            self.stdout.write(f"emptied {run.pruned} raw webhook bodies past their keeping time")


def _workspace(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise CommandError(f"no workspace {slug}")
    return workspace


def _admin(workspace: Workspace, username: str):
    """The acting admin named with --by: an active admin of `workspace`."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not user.memberships.filter(workspace=workspace, role="admin").exists():
        raise CommandError(f"{username} is not an active admin of workspace {workspace.slug}")
    return user
