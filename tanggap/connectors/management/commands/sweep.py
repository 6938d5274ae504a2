import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tanggap.connectors.sweep import sweep_stalled


class Command(BaseCommand):
    help = ("Queue again what stalled: webhooks stored but never processed, replies stuck "
            "pending, comment hides not applied (once, or every "
            "CONNECTORS_SWEEP_INTERVAL_SECONDS with --loop).")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sweeping until SIGTERM")

    def handle(self, *args, loop, **options):
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while True:
            result = sweep_stalled(now=timezone.now())
            self.stdout.write(
                f"sweep: webhooks={result.webhooks} sources={','.join(result.sources) or '-'} "
                f"replies={len(result.replies)} moderations={len(result.moderations)} "
                f"mentions={len(result.mentions)}")
            if not loop or stopping:
                return
            for _ in range(settings.CONNECTORS_SWEEP_INTERVAL_SECONDS):
                if stopping:
                    return
                time.sleep(1)
