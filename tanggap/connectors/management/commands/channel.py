import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.connectors.actions.channels import add_channel
from tanggap.connectors.models import Platform
from tanggap.errors import DeskError
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Manage channel accounts: `channel add SLUG --platform P --handle H [--token-stdin]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="connect a channel account; prints its id last")
        add.add_argument("slug", help="workspace slug")
        add.add_argument("--platform", required=True, choices=Platform.values)
        add.add_argument("--handle", required=True,
                         help="page id, Instagram account id, WhatsApp phone_number_id, X handle")
        add.add_argument("--name", default="")
        add.add_argument("--token-stdin", action="store_true",
                         help="read the access token from the first line of stdin (needed for "
                              "a platform account: the platform must confirm that the token "
                              "controls it before it is connected); for X, a "
                              "JSON object may come instead: X's token answer "
                              '{"access_token", "refresh_token", "expires_in"} (optionally '
                              '"client_id", "client_secret" of the city\'s own app)')
        add.add_argument("--simulated", action="store_true", help=("served by the demo "
                         "simulator instead of the platform: proves nothing, receives no "
                         "platform webhooks"))

    def handle(self, *args, verb, **options):
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        token, renewal = "", {}
        if options["token_stdin"]:
            token, renewal = _read_token(sys.stdin)
        try:
            channel = add_channel(
                workspace=workspace, platform=options["platform"], handle=options["handle"],
                name=options["name"], token=token, simulated=options["simulated"],
                now=timezone.now(), **renewal,
            )
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"added {channel.platform} channel {channel.handle} {channel.pk}")


def _read_token(stdin) -> tuple[str, dict]:
    """(access token, renewal fields) from stdin: a plain token on the first line, or a JSON
    object such as the answer of X's token endpoint (its extra keys, e.g. scope, are ignored).
    Nothing read here is ever echoed: a parse error does not quote the input."""
    first = stdin.readline().strip()
    if not first.startswith("{"):
        if not first:
            raise CommandError("--token-stdin given but stdin held no token")
        return first, {}
    try:
        data = json.loads(first + stdin.read())
    except ValueError:
        raise CommandError("stdin starts with { but is not a JSON object") from None
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) \
            or not data["access_token"].strip():
        raise CommandError("the JSON on stdin has no access_token")
    renewal = {name: str(data.get(name) or "") for name in
               ("refresh_token", "client_id", "client_secret")}
    renewal["expires_in"] = data.get("expires_in")
    return data["access_token"].strip(), renewal
