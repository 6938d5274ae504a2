"""`tanggap webhook add SLUG --url URL [--events e1,e2] [--description TEXT]` registers an
endpoint and prints its secret as the last word (shown once); `tanggap webhook list SLUG`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.hooks.models import EVENT_TYPES, Endpoint
from tanggap.workspaces.models import Membership, Role, Workspace


class Command(BaseCommand):
    help = "Outgoing webhooks of a workspace."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register an HTTPS endpoint; prints its secret")
        add.add_argument("slug")
        add.add_argument("--url", required=True)
        add.add_argument("--events", default=",".join(EVENT_TYPES),
                         help=f"comma-separated, of {', '.join(EVENT_TYPES)} (default: all)")
        add.add_argument("--description", default="")
        listing = sub.add_parser("list", help="the endpoints and their state")
        listing.add_argument("slug")

    def handle(self, *args, action, slug, **options):
        from tanggap.hooks import actions

        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(f"no workspace {slug!r}")
        if action == "list":
            for e in Endpoint.objects.filter(workspace=workspace).order_by("pk"):
                state = "on" if e.active else f"off ({e.disabled_reason})"
                self.stdout.write(f"{e.pk} {e.url} {state} events={','.join(e.events)} "
                                  f"last={e.last_status or '-'} failures={e.failures_in_row}")
            return
        admin = (Membership.objects.filter(workspace=workspace, role=Role.ADMIN)
                 .select_related("user").order_by("pk").first())
        if admin is None:
            raise CommandError(f"workspace {slug!r} has no admin to register the webhook as")
        try:
            created = actions.add_endpoint(
                membership=admin, actor=admin.user, url=options["url"],
                events=[e.strip() for e in options["events"].split(",") if e.strip()],
                description=options["description"], now=timezone.now())
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"webhook {created.endpoint.pk} {created.endpoint.url} secret "
                          f"{created.secret}")
