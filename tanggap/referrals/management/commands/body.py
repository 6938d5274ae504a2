from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.referrals import actions
from tanggap.referrals.models import Body, BodyKind
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = ("The directory of responsible bodies: `body add SLUG --name NAME --kind "
            "internal|external [--topics t1,t2] [--email E] [--workspace OTHER_SLUG]` prints the "
            "body id as the last word; `body list SLUG`.")

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
