from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.periodic.models import PeriodicJob
from tanggap.periodic.registry import jobs
from tanggap.periodic.runner import Runner
from tanggap.periodic.stopping import stop_on_signals


class Command(BaseCommand):
    help = ("Run the periodic jobs (the sweep, X polling, and those other rooms register) until "
            "SIGTERM; several runners on several machines share them, each job running on one "
            "runner at a time. --once runs what is due and exits; --status prints the jobs.")

    def add_arguments(self, parser):
        parser.add_argument("--job", action="append", metavar="NAME",
                            help="run only this job (repeatable)")
        parser.add_argument("--once", action="store_true",
                            help="run every job that is due once, then exit (for cron)")
        parser.add_argument("--status", action="store_true",
                            help="print each job's schedule, lease and last result; run nothing")

    def handle(self, *args, job, once, status, **options):
        try:
            runner = Runner(only=job, say=lambda line: self.stdout.write(line))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if status:
            return self._status(job)
        if once:
            runner.tick()
            return
        with stop_on_signals() as stop:
            runner.serve(stop)

    def _status(self, only):
        now = timezone.now()
        rows = {row.name: row for row in PeriodicJob.objects.all()}
        for registered in jobs(only):
            row = rows.get(registered.name)
            if row is None:
                self.stdout.write(f"{registered.name}: never run, every "
                                  f"{registered.every_seconds():.0f} s")
                continue
            held = (f" held by {row.holder} until {row.lease_until.isoformat()}"
                    if row.lease_until and row.lease_until > now else "")
            last = row.last_finished_at.isoformat() if row.last_finished_at else "-"
            self.stdout.write(
                f"{row.name}: every {registered.every_seconds():.0f} s, next "
                f"{row.next_run_at.isoformat()}, last {last}, runs={row.runs} "
                f"failures_in_a_row={row.failures}{held}"
                + (f" last_error={row.last_error}" if row.last_error else "")
                + (f" last={row.last_summary}" if row.last_summary else ""))
