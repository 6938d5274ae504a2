from django.core.management.base import BaseCommand
from django.utils import timezone

from tanggap.referrals.reminders import remind_and_escalate


class Command(BaseCommand):
    help = ("`referrals remind`: remind bodies of overdue referrals, escalate to supervisors, "
            "retry failed e-mails, once now (the periodic job referrals.remind does it every "
            "TANGGAP_REFERRAL_REMIND_INTERVAL_SECONDS; each reminder happens once either way).")

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["remind"])

    def handle(self, *args, verb, **options):
        run = remind_and_escalate(now=timezone.now())
        for problem in run.problems:
            self.stderr.write(problem)
        self.stdout.write(run.summary())
