import signal
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from tanggap.connectors.models import PollCursor
from tanggap.connectors.polling import poll_interval, poll_x_mentions, x_channels


class Command(BaseCommand):
    help = ("Poll X for mentions of every connected X account once (or every "
            "X_POLL_INTERVAL_SECONDS with --loop); --status prints the remaining call budget.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep polling until SIGTERM")
        parser.add_argument("--status", action="store_true",
                            help="print cursor, rate-limit budget and totals; poll nothing")

    def handle(self, *args, loop, status, **options):
        if status:
            return self._status()
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while True:
            for channel in x_channels():
                result = poll_x_mentions(channel_id=channel.pk, now=timezone.now())
                self.stdout.write(f"x {channel.handle}: {result.status} stored={result.stored} "
                                  f"read={result.read} since_id={result.since_id or '-'}"
                                  + (f" error={result.error}" if result.error else ""))
            if not loop or stopping:
                return
            for _ in range(poll_interval()):
                if stopping:
                    return
                time.sleep(1)

    def _status(self):
        for channel in x_channels():
            cursor = PollCursor.objects.filter(channel=channel).first()
            if cursor is None:
                self.stdout.write(f"x {channel.handle}: never polled")
                continue
            reset = cursor.rate_reset_at.isoformat() if cursor.rate_reset_at else "-"
            self.stdout.write(
                f"x {channel.handle}: since_id={cursor.since_id or '-'} "
                f"remaining={cursor.rate_remaining if cursor.rate_remaining is not None else '-'}"
                f"/{cursor.rate_limit if cursor.rate_limit is not None else '-'} reset={reset} "
                f"calls={cursor.calls_made} posts_read={cursor.posts_read} "
                f"last_polled={cursor.last_polled_at.isoformat() if cursor.last_polled_at else '-'}"
                + (f" last_error={cursor.last_error}" if cursor.last_error else ""))
