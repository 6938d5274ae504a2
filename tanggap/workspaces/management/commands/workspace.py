from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.workspaces.actions.workspaces import (
    create_workspace,
    set_approve_warn,
    set_in_training,
)


class Command(BaseCommand):
    help = ("Manage workspaces: `workspace create SLUG --name NAME`, `workspace set SLUG "
            "--approve-warn on|off`, `workspace training SLUG USERNAME on|off`.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a workspace")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--lease-minutes", type=int, default=None,
                            help="claim lease in idle minutes (default 15)")
        change = sub.add_parser("set", help="change a workspace's options")
        change.add_argument("slug")
        change.add_argument("--approve-warn", choices=("on", "off"), required=True,
                            help="replies the tone guard warns about wait for a supervisor")
        training = sub.add_parser("training", help="every reply of a member waits for a "
                                                   "supervisor while they learn (on) or not")
        training.add_argument("slug")
        training.add_argument("username")
        training.add_argument("state", choices=("on", "off"))

    def handle(self, *args, verb, **options):
        if verb == "set":
            return self._set(options)
        if verb == "training":
            return self._training(options)
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

    def _set(self, options):
        try:
            workspace = set_approve_warn(slug=options["slug"],
                                         on=options["approve_warn"] == "on", now=timezone.now())
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"{workspace.slug}: approve-warn {options['approve_warn']}")

    def _training(self, options):
        try:
            set_in_training(slug=options["slug"], username=options["username"],
                            on=options["state"] == "on", now=timezone.now())
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"{options['slug']}: {options['username']} in training "
                          f"{options['state']}")
