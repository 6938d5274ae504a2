from django.core.management.base import BaseCommand
from django.utils import timezone

from tanggap.connectors.jobs import SWEEP
from tanggap.connectors.sweep import sweep_stalled
from tanggap.periodic.runner import Runner
from tanggap.periodic.stopping import stop_on_signals


class Command(BaseCommand):
    help = ("Queue again what stalled: webhooks stored but never processed, replies stuck "
            "pending, comment hides not applied, mentions without their words (once, or every "
            "CONNECTORS_SWEEP_INTERVAL_SECONDS with --loop, as the periodic job "
            f"{SWEEP}: one sweeper at a time across machines, an error retried with back-off).")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sweeping until SIGTERM")

    def handle(self, *args, loop, **options):
        if not loop:
            result = sweep_stalled(now=timezone.now())
            self.stdout.write(f"sweep: {result.summary()}")
            return
        runner = Runner(only=[SWEEP], say=lambda line: self.stdout.write(line))
        with stop_on_signals() as stop:
            runner.serve(stop)
