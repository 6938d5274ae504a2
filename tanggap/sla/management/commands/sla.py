"""`tanggap sla`: a workspace's time limits.

    tanggap sla policy SLUG --name "Standar" --first-response 60 --resolution 2880 \
        [--next-response 120] [--kind aduan] [--topic air] [--working 08:00-16:00] [--warn 80]
    tanggap sla remove SLUG [--kind K] [--topic T]
    tanggap sla list SLUG
"""

from __future__ import annotations

from datetime import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.sla import actions
from tanggap.sla.models import SlaPolicy
from tanggap.workspaces.models import Membership, Role, Workspace


def _span(value: str) -> tuple[time, time]:
    try:
        start, end = value.split("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise CommandError("--working takes HH:MM-HH:MM, e.g. 08:00-16:00") from None


class Command(BaseCommand):
    help = "SLA policies: first response, next response and resolution limits, in minutes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        policy = sub.add_parser("policy", help="create or replace a policy")
        policy.add_argument("slug")
        policy.add_argument("--name", required=True)
        policy.add_argument("--kind", default="")
        policy.add_argument("--topic", default="")
        policy.add_argument("--first-response", type=int)
        policy.add_argument("--next-response", type=int)
        policy.add_argument("--resolution", type=int)
        policy.add_argument("--working", help="count only these hours of working days")
        policy.add_argument("--warn", type=int, default=80, help="warn at this %% of the time")
        remove = sub.add_parser("remove", help="remove a policy")
        remove.add_argument("slug")
        remove.add_argument("--kind", default="")
        remove.add_argument("--topic", default="")
        listing = sub.add_parser("list", help="list the policies")
        listing.add_argument("slug")

    def handle(self, *args, verb, **options):
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        membership = Membership(workspace=workspace, role=Role.ADMIN)
        now = timezone.now()
        try:
            if verb == "policy":
                start, end = _span(options["working"]) if options["working"] else (None, None)
                policy = actions.set_policy(
                    membership=membership, actor=None, now=now, name=options["name"],
                    kind=options["kind"], topic=options["topic"],
                    first_response=options["first_response"],
                    next_response=options["next_response"], resolution=options["resolution"],
                    hours="working" if options["working"] else "calendar",
                    working_start=start, working_end=end, warn_percent=options["warn"])
                self.stdout.write(f"policy {policy.name} set ({policy.pk})")
            elif verb == "remove":
                actions.remove_policy(membership=membership, actor=None, now=now,
                                      kind=options["kind"], topic=options["topic"])
                self.stdout.write("removed")
            else:
                for p in SlaPolicy.objects.filter(workspace=workspace).order_by("pk"):
                    self.stdout.write(
                        f"{p.name}: kind={p.kind or '*'} topic={p.topic or '*'} "
                        f"first={p.first_response_minutes} next={p.next_response_minutes} "
                        f"resolution={p.resolution_minutes} hours={p.hours}")
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
