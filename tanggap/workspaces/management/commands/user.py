import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.workspaces.actions import add_member
from tanggap.workspaces.models import Role, Workspace


class Command(BaseCommand):
    help = "Manage users: `user add USERNAME --workspace SLUG --role ROLE --password-stdin`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="create a user (if new) and add them to a workspace")
        add.add_argument("username")
        add.add_argument("--workspace", required=True)
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--password-stdin", action="store_true",
                         help="read the new user's password from the first line of stdin")
        add.add_argument("--full-name", default="")

    def handle(self, *args, verb, **options):
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['workspace']!r}")
        password = ""
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin given but stdin held no password")
        try:
            membership = add_member(
                workspace=workspace, username=options["username"], role=options["role"],
                password=password, full_name=options["full_name"], now=timezone.now(),
            )
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            f"{membership.user.username} is {membership.role} of {workspace.slug} "
            f"{membership.user.pk}"
        )
