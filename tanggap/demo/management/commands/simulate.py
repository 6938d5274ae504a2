import random
import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from tanggap.connectors.models import ChannelAccount
from tanggap.demo.actions import DEMO_SLUG
from tanggap.demo.liaison import SimulatedLiaison
from tanggap.demo.simulator import Posted, Simulator, run
from tanggap.workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Post realistic citizen messages into the demo workspace's simulated channels until "
        "stopped (Ctrl-C or SIGTERM), or until --count messages are out; between messages, a "
        "simulated liaison answers the workspace's referrals as the bodies would."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None,
                            help="seconds between messages (default: TANGGAP_SIMULATOR_INTERVAL)")
        parser.add_argument("--count", type=int, default=None, help="stop after N messages")
        parser.add_argument("--seed", type=int, default=None,
                            help="random seed, for a reproducible stream")
        parser.add_argument("--workspace", default=DEMO_SLUG, help=(
            "workspace slug (default: %(default)s); only its simulated channels are used"))
        parser.add_argument("--no-liaison", action="store_true", help=(
            "do not answer the workspace's referrals as PLN, the water company and the city "
            "offices would (the simulated liaison)"))

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        interval = options["interval"]
        if interval is None:
            interval = settings.TANGGAP_SIMULATOR_INTERVAL
        if interval < 0:
            raise CommandError("--interval must not be negative")
        if options["count"] is not None and options["count"] < 1:
            raise CommandError("--count must be at least 1")
        slug = options["workspace"]
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(
                f"no workspace {slug!r}: the simulator only posts into the demo; "
                "create it first with `tanggap demo_setup`"
            )
        channels = list(ChannelAccount.objects.filter(workspace=workspace, simulated=True,
                                                      is_active=True))
        if not channels:
            raise CommandError(
                f"workspace {slug!r} has no active simulated channels; the simulator never "
                "posts into real ones (run `tanggap demo_setup` for the demo's channels)"
            )
        rng = random.Random(options["seed"])
        simulator = Simulator(channels=channels, rng=rng)
        liaison = None if options["no_liaison"] else SimulatedLiaison(workspace_id=workspace.pk,
                                                                       rng=rng)
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        self.stdout.write(
            f"Simulating citizens on {', '.join(str(c) for c in simulator.channels)} "
            f"every {interval:g}s" + (f", {options['count']} messages" if options["count"] else "")
            + "; Ctrl-C stops."
        )
        try:
            posted = run(simulator, interval=interval, stop=stop, clock=timezone.now,
                         count=options["count"], on_post=self._report, on_error=self._recover,
                         also=(lambda now: self._answer(liaison, now)) if liaison else None)
        except KeyboardInterrupt:
            posted = None
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("Simulator stopped" + (f" after {posted} messages." if posted else "."))

    def _report(self, posted: Posted) -> None:
        if self.verbosity < 1:
            return
        arrow = "↪" if posted.follow_up else "→"
        text = posted.text if len(posted.text) <= 100 else posted.text[:99] + "…"
        self.stdout.write(
            f"{arrow} {posted.result.case.tracking_number} {posted.channel.platform:<9} "
            f"{posted.kind:<10} {posted.citizen.name}: {text}"
        )
        sys.stdout.flush()

    def _answer(self, liaison: SimulatedLiaison, now) -> None:
        update = liaison.step(now=now)
        if update is None or self.verbosity < 1:
            return
        referral = update.referral
        self.stdout.write(f"⇄ {referral.case.tracking_number} {referral.body.name}: "
                          f"{update.status}" + (f" ({update.text})" if update.text else ""))

    def _recover(self, exc: Exception) -> None:
        # A long-running demo outlives a busy SQLite file or a dropped PostgreSQL connection:
        # log, drop the broken connection, and carry on with the next message.
        if not isinstance(exc, DatabaseError):
            raise exc
        self.stderr.write(f"simulator: database error, will retry: {exc}")
        close_old_connections()
