from django.core.management.base import BaseCommand
from django.utils import timezone

from tanggap.referrals.reminders import remind_and_escalate


class Command(BaseCommand):
    help = ("`referrals remind`: remind bodies of overdue referrals, escalate to supervisors, "
            "retry failed e-mails (each once; safe to run from cron every few minutes).")

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["remind"])

    def handle(self, *args, verb, **options):
        run = remind_and_escalate(now=timezone.now())
        self.stdout.write(f"reminded {len(run.reminded)} escalated {len(run.escalated)} "
                          f"emails_retried {len(run.emails_retried)}")
