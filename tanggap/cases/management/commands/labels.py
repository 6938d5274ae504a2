import json

from django.core.management.base import BaseCommand, CommandError

from tanggap.cases.queries import training_rows
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = ("Training data from the desk: `labels export SLUG [SLUG ...]` writes the topics and "
            "intents operators confirmed or corrected as JSON Lines for `tanggap train`.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        export = sub.add_parser("export", help="write confirmed labels as JSON Lines to stdout")
        export.add_argument("slugs", nargs="+", metavar="SLUG")

    def handle(self, *args, verb, slugs, **options):
        workspaces = dict(Workspace.objects.filter(slug__in=slugs).values_list("slug", "id"))
        missing = sorted(set(slugs) - set(workspaces))
        if missing:
            raise CommandError(f"no workspace {', '.join(missing)}")
        count = 0
        for row in training_rows(workspace_ids=list(workspaces.values())):
            self.stdout.write(json.dumps(row, ensure_ascii=False))
            count += 1
        self.stderr.write(f"{count} labelled cases exported")
