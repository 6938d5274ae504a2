from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from tanggap.cases.models import Case
from tanggap.demo.actions import DEMO_PASSWORD, DEMO_TEMPLATES, DemoConflict, setup_demo
from tanggap.demo.directory import DEMO_BODIES, DEMO_LIAISONS
from tanggap.errors import DeskError
from tanggap.referrals.models import Referral
from tanggap.workspaces.authenticator import grouped_secret
from tanggap.workspaces.models import SECOND_FACTOR_ROLES


class Command(BaseCommand):
    help = (
        "Create the demo workspace `balikpapan-demo` (team, simulated channels, a seeded inbox) "
        "and print the demo logins. Safe to run again: existing demo data is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD,
                            help="password for newly created demo users (default: %(default)s)")
        parser.add_argument("--no-seed", action="store_true",
                            help="do not seed cases into an empty demo inbox")
        parser.add_argument("--history", action="store_true",
                            help="also write a year of past cases (once), for the reports and "
                                 "the transparency page")

    def handle(self, *args, **options):
        try:
            report = setup_demo(now=timezone.now(), password=options["password"],
                                seed=not options["no_seed"], history=options["history"])
        except (DeskError, DemoConflict) as exc:
            raise CommandError(str(exc)) from None
        workspace = report.workspace
        out = self.stdout.write
        state = "created" if report.workspace_created else "exists, left alone"
        out(f"Demo workspace {workspace.slug} \"{workspace.name}\": {state}")
        out("Channels:")
        for channel, created in report.channels:
            kind = "simulated" if channel.simulated else "built-in"
            out(f"  {channel.platform:<10} {channel.handle:<33} {kind:<10} "
                f"{'created' if created else 'exists'} (id {channel.pk})")
        out(f"Directory: {len(DEMO_BODIES)} responsible bodies"
            + (f" ({report.bodies_added} added)" if report.bodies_added else " (exist)"))
        out("Roster: shifts Pagi 07-15, Sore 15-23, Malam 23-07 WITA, fair assignment and SLA "
            "clocks " + ("set up" if report.roster_created else "exist, left alone")
            + f" (/w/{workspace.slug}/roster/)")
        out(f"Templates: {len(DEMO_TEMPLATES)} canned replies"
            + (f" ({report.templates_added} added)" if report.templates_added else " (exist)")
            + f"; type / in a reply (/w/{workspace.slug}/templates/)")
        out(f"Approvals: replies the tone guard warns about wait for hendra "
            f"(/w/{workspace.slug}/approvals/)")
        if report.seeded_messages:
            counts = dict(Case.objects.filter(workspace=workspace).values_list("status")
                          .annotate(n=Count("id")).order_by())
            summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            out(f"Inbox: seeded {report.seeded_messages} citizen messages in "
                f"{sum(counts.values())} cases ({summary})")
            referrals = dict(Referral.objects.filter(workspace=workspace).values_list("status")
                             .annotate(n=Count("id")).order_by())
            out(f"Referrals: {sum(referrals.values())} ("
                + ", ".join(f"{n} {status}" for status, n in sorted(referrals.items())) + ")")
        else:
            out(f"Inbox: {report.existing_cases} cases already there, nothing seeded")
        if report.history is not None:
            history = report.history
            out(f"History: {history.skipped}" if history.skipped else
                f"History: a year of {history.cases} cases and {history.messages} messages, "
                f"read into the reports ({history.rollup_events} audit events)")
        out("")
        out("Demo logins (for trying Tanggap only; never expose these on a public server):")
        out(f"  {'username':<10} {'role':<11} {'password':<17} name")
        for member, outcome in report.members:
            password = options["password"] if outcome == "created" else "(unchanged)"
            name = member.full_name + (f", {member.note}" if member.note else "")
            out(f"  {member.username:<10} {member.role:<11} {password:<17} {name}")
        for spec in DEMO_LIAISONS:
            created = spec.username in report.liaisons_created
            password = options["password"] if created else "(unchanged)"
            out(f"  {spec.username:<10} {'liaison':<11} {password:<17} {spec.full_name}, answers "
                f"at /penghubung/")
        out("")
        out("Second factor: supervisors and admins also type a code at login. Add the key to an "
            "authenticator app (Google Authenticator, FreeOTP, Aegis...), or use a recovery code "
            "(each works once):")
        for member, _outcome in report.members:
            if member.role not in SECOND_FACTOR_ROLES:
                continue
            made = report.second_factors.get(member.username)
            if made is None:
                out(f"  {member.username:<10} set up earlier (key and codes not shown again; "
                    f"`tanggap user reset-second-factor {member.username}` to start over)")
                continue
            key, codes = made
            out(f"  {member.username:<10} key {grouped_secret(key)}")
            out(f"  {'':<10} recovery codes {' '.join(codes)}")
