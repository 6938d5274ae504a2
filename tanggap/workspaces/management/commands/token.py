from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.workspaces.actions import create_token


class Command(BaseCommand):
    help = "Manage API tokens: `token create USERNAME` prints a new token as the last word."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create an API token for a user")
        create.add_argument("username")

    def handle(self, *args, verb, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        raw = create_token(user=user, now=timezone.now())
        self.stdout.write(f"API token for {user.username} (shown once): {raw}")
