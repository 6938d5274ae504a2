from django.core.management.base import BaseCommand, CommandError

from tanggap.cases import search
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = ("The full-text search index of cases: `search rebuild [--workspace SLUG]` writes every "
            "case's document again from its rows (after a bulk import, or to repair it); "
            "`search find SLUG WORDS` lists the tracking numbers the desk would find.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        rebuild = sub.add_parser("rebuild", help="write every case's search document again")
        rebuild.add_argument("--workspace", metavar="SLUG")
        find = sub.add_parser("find", help="search a workspace's cases as the inbox does")
        find.add_argument("slug")
        find.add_argument("words", nargs="+")

    def _workspace_id(self, slug):
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(f"no workspace {slug}")
        return workspace.pk

    def handle(self, *args, verb, **options):
        if verb == "find":
            from django.utils import timezone

            from tanggap.cases.queries import inbox_cases
            from tanggap.errors import InvalidInput

            try:
                found = inbox_cases(workspace_ids=[self._workspace_id(options["slug"])],
                                    now=timezone.now(), q=" ".join(options["words"]))
                numbers = list(found.values_list("tracking_number", flat=True)[:50])
            except InvalidInput as exc:
                raise CommandError(str(exc.message)) from None
            for number in numbers:
                self.stdout.write(number)
            return
        workspace_id = (self._workspace_id(options["workspace"]) if options["workspace"]
                        else None)
        written = search.rebuild(workspace_id=workspace_id, progress=self._progress)
        self.stdout.write(f"{written} search documents written")

    def _progress(self, done, total):
        if done == total or done % 20000 < 1000:
            self.stderr.write(f"  {done}/{total}")
