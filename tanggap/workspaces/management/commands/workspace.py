from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.workspaces.actions.workspaces import create_workspace


class Command(BaseCommand):
    help = "Manage workspaces: `workspace create SLUG --name NAME`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a workspace")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--lease-minutes", type=int, default=None,
                            help="claim lease in idle minutes (default 15)")

    def handle(self, *args, verb, **options):
        try:
            workspace = create_workspace(
                slug=options["slug"], name=options["name"], now=timezone.now()
            )
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        if options["lease_minutes"]:
            if options["lease_minutes"] < 1:
                raise CommandError("--lease-minutes must be at least 1")
            workspace.claim_lease_minutes = options["lease_minutes"]
            workspace.save(update_fields=["claim_lease_minutes"])
        self.stdout.write(f"created workspace {workspace.slug} {workspace.pk}")
