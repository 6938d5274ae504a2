import os
import shlex
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tanggap.demo.actions import OPERATORS


def how_to_reach_the_data() -> str:
    """Where the demo keeps its data, and a `tanggap` command line that works on it."""
    data_dir = shlex.quote(str(settings.DATA_DIR))
    # The `tanggap` script beside this interpreter (the project's .venv), so the line works
    # without activating anything.
    script = Path(sys.executable).with_name("tanggap")
    tanggap = shlex.quote(str(script)) if script.exists() else "tanggap"
    database = ("" if "DATABASE_URL" not in os.environ
                else " (and the same DATABASE_URL as this desk)")
    return (f"Data folder: {settings.DATA_DIR} (database, uploads, secret key)\n"
            f"Other tanggap commands work on this desk{database}, e.g. an API token for "
            f"{OPERATORS[0]}:\n  TANGGAP_DATA_DIR={data_dir} {tanggap} token create {OPERATORS[0]}")


class Command(BaseCommand):
    help = (
        "Try Tanggap in one command: migrate, set up the demo workspace (printing its logins), "
        "then serve it with the task worker and the citizen simulator."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--interval", type=int, default=None,
                            help="seconds between simulated messages "
                                 "(default: TANGGAP_SIMULATOR_INTERVAL)")
        parser.add_argument("--no-simulator", action="store_true")

    def handle(self, *args, **options):
        if options["interval"] is not None:
            if options["interval"] < 0:
                raise CommandError("--interval must not be negative")
            # The simulator runs as a child process that reads its settings afresh, so the
            # environment is how the choice reaches it.
            os.environ["TANGGAP_SIMULATOR_INTERVAL"] = str(options["interval"])
        call_command("migrate", interactive=False, verbosity=0)
        call_command("demo_setup", "--history")
        self.stdout.write("\n" + how_to_reach_the_data())
        host, port = options["host"], options["port"]
        self.stdout.write(f"\nTanggap is starting at http://{host}:{port}/ (Ctrl-C stops it).")
        self.stdout.flush()
        from tanggap.cli import serve

        argv = ["--host", host, "--port", str(port), "--no-migrate"]
        if not options["no_simulator"]:
            argv.append("--simulator")
        serve(argv)
