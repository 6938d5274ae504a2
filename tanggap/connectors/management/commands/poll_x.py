from django.core.management.base import BaseCommand
from django.utils import timezone

from tanggap.connectors.jobs import POLL_X
from tanggap.connectors.models import PollCursor
from tanggap.connectors.polling import dm_polling_paused, x_channels
from tanggap.periodic.runner import Runner
from tanggap.periodic.stopping import stop_on_signals


def _budget(remaining, limit, reset) -> str:
    return (f"{remaining if remaining is not None else '-'}/{limit if limit is not None else '-'}"
            f" reset={reset.isoformat() if reset else '-'}")


def _token_state(channel) -> str:
    """Whether the access token renews itself; never the token."""
    if channel.token_failed_at:
        return (f"RENEWAL REFUSED on {channel.token_failed_at.isoformat()} (not tried again until "
                f"a new token is saved): {channel.token_error}")
    if not channel.has_refresh_token:
        return "no refresh token (replace the token before it expires)"
    expires = channel.token_expires_at.isoformat() if channel.token_expires_at else "unknown"
    renewed = channel.token_refreshed_at.isoformat() if channel.token_refreshed_at else "-"
    return f"renewed automatically, expires={expires} last_renewed={renewed}"


class Command(BaseCommand):
    help = ("Poll X for mentions and Direct Messages of every connected X account once (or every "
            f"X_POLL_INTERVAL_SECONDS with --loop, as the periodic job {POLL_X}: one poller at a "
            "time across machines, one failing account skipped, errors retried with back-off); "
            "--status prints the remaining call budget.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep polling until SIGTERM")
        parser.add_argument("--status", action="store_true",
                            help="print cursors, rate-limit budgets and totals; poll nothing")

    def handle(self, *args, loop, status, **options):
        if status:
            return self._status()
        runner = Runner(only=[POLL_X], say=lambda line: self.stdout.write(line))
        if not loop:
            # Once, now, unless another poller holds the job at this moment.
            runner.tick(force=True)
            return
        with stop_on_signals() as stop:
            runner.serve(stop)

    def _status(self):
        now = timezone.now()
        for channel in x_channels():
            self.stdout.write(f"x {channel.handle} token: {_token_state(channel)}")
            cursor = PollCursor.objects.filter(channel=channel).first()
            if cursor is None:
                self.stdout.write(f"x {channel.handle}: never polled")
                continue
            c = cursor
            polled = c.last_polled_at.isoformat() if c.last_polled_at else "-"
            self.stdout.write(
                f"x {channel.handle}: since_id={c.since_id or '-'} "
                f"remaining={_budget(c.rate_remaining, c.rate_limit, c.rate_reset_at)} "
                f"calls={c.calls_made} posts_read={c.posts_read} last_polled={polled}"
                + (f" last_error={c.last_error}" if c.last_error else ""))
            if dm_polling_paused(c, now):
                dms = (f"REFUSED since {c.dm_refused_at.isoformat()} (not asked again until "
                       f"X_DM_RECHECK_HOURS pass or the token is replaced): {c.dm_error}")
            else:
                dm_polled = c.dm_last_polled_at.isoformat() if c.dm_last_polled_at else "-"
                dms = (f"newest_id={c.dm_newest_id or '-'} remaining="
                       f"{_budget(c.dm_rate_remaining, c.dm_rate_limit, c.dm_rate_reset_at)}"
                       f" last_polled={dm_polled}"
                       + (f" last_error={c.dm_error}" if c.dm_error else ""))
            self.stdout.write(f"x {channel.handle} dms: {dms} dm_events_read={c.dm_events_read}")
