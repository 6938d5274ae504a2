from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.workspaces.actions.tokens import create_token, revoke_tokens


class Command(BaseCommand):
    help = ("Manage API tokens: `token create USERNAME` prints a new token as the last word; "
            "`token revoke USERNAME [--prefix P]` revokes every token of the user (or one).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create an API token for a user")
        create.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a user's API tokens at once")
        revoke.add_argument("username")
        revoke.add_argument("--prefix", default=None,
                            help="only the token that starts with this (as the members page "
                                 "shows it)")

    def handle(self, *args, verb, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        now = timezone.now()
        try:
            if verb == "create":
                raw = create_token(user=user, now=now)
                self.stdout.write(f"API token for {user.username} (shown once): {raw}")
                return
            revoked = revoke_tokens(user=user, actor=None, now=now, prefix=options["prefix"])
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        if revoked:
            self.stdout.write(f"revoked {len(revoked)} token(s) of {user.username}: "
                              f"{' '.join(revoked)}")
        else:
            self.stdout.write(f"{user.username} has no API token; nothing revoked")
