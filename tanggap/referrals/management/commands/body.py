import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.referrals import actions
from tanggap.referrals.models import Body, BodyKind
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = ("The directory of responsible bodies: `body add SLUG --name NAME --kind "
            "internal|external [--topics t1,t2] [--email E] [--workspace OTHER_SLUG]` prints the "
            "body id as the last word; `body list SLUG`; `body liaison add|remove|list SLUG "
            "BODY_ID [USERNAME]` manages the accounts that answer a body's referrals.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="add a body to a workspace's directory")
        add.add_argument("slug")
        add.add_argument("--name", required=True)
        add.add_argument("--kind", required=True, choices=BodyKind.values)
        add.add_argument("--topics", default="", help="triage topics, comma-separated")
        add.add_argument("--email", action="append", default=[],
                         help="an e-mail address (repeat or separate with commas)")
        add.add_argument("--whatsapp", default="")
        add.add_argument("--workspace", default="", help="its own Tanggap workspace (internal)")
        add.add_argument("--acknowledge-days", type=int, default=None)
        add.add_argument("--follow-up-days", type=int, default=None)
        listing = sub.add_parser("list", help="the bodies of a workspace")
        listing.add_argument("slug")
        liaison = sub.add_parser("liaison", help="the liaison officers' accounts of a body")
        liaison.add_argument("op", choices=["add", "remove", "list"])
        liaison.add_argument("slug")
        liaison.add_argument("body_id", type=int)
        liaison.add_argument("username", nargs="?", default="")
        liaison.add_argument("--name", default="", help="the officer's full name (new accounts)")
        liaison.add_argument("--password-stdin", action="store_true",
                             help="a new account's password, read from stdin")

    def handle(self, *args, verb, **options):
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        if verb == "list":
            for body in Body.objects.filter(workspace=workspace).order_by("name"):
                linked = f" workspace={body.linked_workspace.slug}" if body.linked_workspace_id \
                    else ""
                self.stdout.write(f"{body.pk}\t{body.name}\t{body.kind}\t"
                                  f"{','.join(body.topics)}\t{','.join(body.emails)}{linked}"
                                  f"{'' if body.active else ' (inactive)'}")
            return
        if verb == "liaison":
            self._liaison(workspace, **options)
            return
        fields = actions.BodyFields(
            name=options["name"], kind=options["kind"], topics=options["topics"],
            emails=",".join(options["email"]), whatsapp=options["whatsapp"],
            linked_workspace_slug=options["workspace"],
            acknowledge_days=options["acknowledge_days"],
            follow_up_days=options["follow_up_days"])
        try:
            body = actions.add_body(workspace_id=workspace.pk, fields=fields, actor=None,
                                    now=timezone.now())
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"added body {body.name} to {workspace.slug} {body.pk}")

    def _liaison(self, workspace, *, op, body_id, username, name, password_stdin, **_options):
        body = Body.objects.filter(pk=body_id, workspace=workspace).first()
        if body is None:
            raise CommandError(f"no body {body_id} in {workspace.slug} (tanggap body list "
                               f"{workspace.slug})")
        if op == "list":
            for user in body.liaisons.order_by("username"):
                self.stdout.write(f"{user.username}\t{user.get_full_name()}")
            return
        if not username:
            raise CommandError(f"body liaison {op} needs a USERNAME")
        now = timezone.now()
        try:
            if op == "add":
                password = sys.stdin.readline().rstrip("\n") if password_stdin else ""
                actions.add_body_liaison(body_id=body.pk, username=username, full_name=name,
                                         password=password, actor=None, now=now)
                self.stdout.write(f"{username} answers the referrals of {body.name}")
            else:
                left = actions.remove_body_liaison(body_id=body.pk, username=username,
                                                   actor=None, now=now)
                self.stdout.write(f"{username} no longer answers for {body.name}"
                                  + (f"; removed from {workspace.slug}" if left else ""))
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
