import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.workspaces.actions import logins, members, users
from tanggap.workspaces.models import Membership, Role, Workspace


def _read_password(options) -> str:
    if not options.get("password_stdin"):
        return ""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("--password-stdin given but stdin held no password")
    return password


class Command(BaseCommand):
    help = ("Manage users: add, password, deactivate, reactivate, remove, unlock, "
            "reset-second-factor. Acts done here are audited as done by the system.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="create a user (if new) and add them to a workspace")
        add.add_argument("username")
        add.add_argument("--workspace", required=True)
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--password-stdin", action="store_true",
                         help="read the new user's password from the first line of stdin "
                              "(not for --role integration: a machine account has none)")
        add.add_argument("--full-name", default="")
        password = sub.add_parser("password", help="set a user's password; their logins end")
        password.add_argument("username")
        password.add_argument("--password-stdin", action="store_true", required=True,
                              help="read the password from the first line of stdin")
        for verb, text in (("deactivate", "stop a user: logins end, tokens go, cases released"),
                           ("reactivate", "let a deactivated user log in again"),
                           ("unlock", "lift a login lockout after repeated failures"),
                           ("reset-second-factor",
                            "forget a user's authenticator (lost phone); they set up a new one")):
            sub.add_parser(verb, help=text).add_argument("username")
        remove = sub.add_parser("remove", help="remove a member from a workspace")
        remove.add_argument("username")
        remove.add_argument("--workspace", required=True)

    def handle(self, *args, verb, **options):
        handler = getattr(self, "_" + verb.replace("-", "_"))
        try:
            handler(options, timezone.now())
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user

    def _workspace(self, slug: str) -> Workspace:
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(f"no workspace {slug!r}")
        return workspace

    def _add(self, options, now):
        workspace = self._workspace(options["workspace"])
        if options["role"] == Role.INTEGRATION and options["password_stdin"]:
            raise CommandError("an integration account has no password: drop --password-stdin")
        membership = members.add_member(
            workspace=workspace, username=options["username"], role=options["role"],
            password=_read_password(options), full_name=options["full_name"], now=now,
        )
        if membership.role == Role.INTEGRATION:
            self.stdout.write(
                f"Integration account: it may only POST /api/v1/inbound. Create its API token "
                f"with: tanggap token create {membership.user.username}")
        self.stdout.write(
            f"{membership.user.username} is {membership.role} of {workspace.slug} "
            f"{membership.user.pk}"
        )

    def _password(self, options, now):
        user = self._user(options["username"])
        ended = users.set_password(user_id=user.pk, password=_read_password(options), actor=None,
                                   now=now)
        self.stdout.write(f"password of {user.username} set; {ended} login(s) ended")

    def _deactivate(self, options, now):
        user = self._user(options["username"])
        done = users.deactivate_user(user_id=user.pk, actor=None, now=now)
        self.stdout.write(f"{user.username} deactivated: {done['tokens']} token(s) revoked, "
                          f"{done['sessions']} login(s) ended, {done['released']} case(s) released")

    def _reactivate(self, options, now):
        user = self._user(options["username"])
        users.reactivate_user(user_id=user.pk, actor=None, now=now)
        self.stdout.write(f"{user.username} may log in again (old tokens stay revoked)")

    def _remove(self, options, now):
        user = self._user(options["username"])
        workspace = self._workspace(options["workspace"])
        membership = Membership.objects.filter(user=user, workspace=workspace).first()
        if membership is None:
            raise CommandError(f"{user.username} is not a member of {workspace.slug}")
        released = members.remove_member(membership_id=membership.pk, actor=None, now=now)
        self.stdout.write(f"{user.username} removed from {workspace.slug}; "
                          f"{released} case(s) released")

    def _unlock(self, options, now):
        count = logins.unlock_login(username=options["username"], actor=None, now=now)
        self.stdout.write(f"{options['username']}: {count} lockout record(s) cleared")

    def _reset_second_factor(self, options, now):
        user = self._user(options["username"])
        logins.reset_second_factor(user_id=user.pk, actor=None, now=now)
        self.stdout.write(f"{user.username}'s authenticator removed; logins ended; a new one is "
                          f"set up at the next login")
