import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.connectors.actions import add_channel
from tanggap.connectors.models import Platform
from tanggap.errors import DeskError
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Manage channel accounts: `channel add SLUG --platform P --handle H [--token-stdin]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="connect a channel account; prints its id last")
        add.add_argument("slug", help="workspace slug")
        add.add_argument("--platform", required=True, choices=Platform.values)
        add.add_argument("--handle", required=True,
                         help="page id, Instagram account id, WhatsApp phone_number_id, X handle")
        add.add_argument("--name", default="")
        add.add_argument("--token-stdin", action="store_true",
                         help="read the access token from the first line of stdin")
        add.add_argument("--simulated", action="store_true", help=("served by the demo "
                         "simulator instead of the platform"))

    def handle(self, *args, verb, **options):
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        token = ""
        if options["token_stdin"]:
            token = sys.stdin.readline().strip()
            if not token:
                raise CommandError("--token-stdin given but stdin held no token")
        try:
            channel = add_channel(
                workspace=workspace, platform=options["platform"], handle=options["handle"],
                name=options["name"], token=token, simulated=options["simulated"],
                now=timezone.now(),
            )
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"added {channel.platform} channel {channel.handle} {channel.pk}")
