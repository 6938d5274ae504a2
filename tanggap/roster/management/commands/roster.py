"""`tanggap roster`: set up and read a workspace's roster from the command line (the demo, a
first setup, scripts). Acts as the machine's operator: changes are audited without an actor.

    tanggap roster shift add SLUG --name Pagi --start 07:00 --end 15:00
    tanggap roster assign SLUG USER --shift Pagi --days mon,tue,wed,thu,fri [--on-call]
    tanggap roster unassign SLUG USER --shift Pagi --days sat
    tanggap roster now SLUG
    tanggap roster settings SLUG [--fair-assignment on|off] [--capacity N] [--offer-minutes N]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.errors import DeskError
from tanggap.roster import queries
from tanggap.roster.actions import assignment
from tanggap.roster.actions import roster as actions
from tanggap.roster.models import Shift
from tanggap.workspaces.models import Membership, Role, Workspace

DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
        "sen": 0, "sel": 1, "rab": 2, "kam": 3, "jum": 4, "sab": 5, "min": 6}


def _on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise CommandError("write on or off")
    return value == "on"


class Command(BaseCommand):
    help = "Shifts, weekly patterns, who is on duty now, and fair-assignment settings."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        shift = sub.add_parser("shift", help="add or list shifts")
        shift.add_argument("action", choices=["add", "list"])
        shift.add_argument("slug")
        shift.add_argument("--name")
        shift.add_argument("--start")
        shift.add_argument("--end")
        for verb in ("assign", "unassign"):
            one = sub.add_parser(verb, help=f"{verb} a member to a shift on weekdays")
            one.add_argument("slug")
            one.add_argument("username")
            one.add_argument("--shift", required=True, help="the shift's name")
            one.add_argument("--days", required=True, help="mon,tue,... (or sen,sel,...)")
            one.add_argument("--on-call", action="store_true", help="reachable, not at the desk")
        now = sub.add_parser("now", help="who is on duty now")
        now.add_argument("slug")
        conf = sub.add_parser("settings", help="fair assignment and capacity")
        conf.add_argument("slug")
        conf.add_argument("--fair-assignment", type=_on_off)
        conf.add_argument("--capacity", type=int)
        conf.add_argument("--offer-minutes", type=int)

    def handle(self, *args, verb, **options):
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        # The command line is the machine's operator: an admin's powers, no actor in the audit.
        membership = Membership(workspace=workspace, role=Role.ADMIN)
        now = timezone.now()
        try:
            getattr(self, f"_{verb}")(workspace, membership, now, options)
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None

    def _shift(self, workspace, membership, now, options):
        if options["action"] == "list":
            for shift in Shift.objects.filter(workspace=workspace, retired=False):
                self.stdout.write(f"{shift.pk} {shift}")
            return
        if not (options["name"] and options["start"] and options["end"]):
            raise CommandError("shift add needs --name, --start and --end")
        shift = actions.add_shift(membership=membership, actor=None, name=options["name"],
                                  starts=options["start"], ends=options["end"], now=now)
        self.stdout.write(f"added shift {shift} {shift.pk}")

    def _days(self, options) -> list[int]:
        try:
            return [DAYS[d.strip().lower()[:3]] for d in options["days"].split(",") if d.strip()]
        except KeyError as exc:
            raise CommandError(f"unknown day {exc.args[0]!r}; use mon..sun") from None

    def _shift_id(self, workspace, name: str) -> int:
        shift = Shift.objects.filter(workspace=workspace, name=name, retired=False).first()
        if shift is None:
            raise CommandError(f"no shift {name!r} in {workspace.slug}")
        return shift.pk

    def _assign(self, workspace, membership, now, options):
        slots = actions.set_pattern(
            membership=membership, actor=None, username=options["username"],
            shift_id=self._shift_id(workspace, options["shift"]), weekdays=self._days(options),
            kind="on_call" if options["on_call"] else "desk", now=now)
        self.stdout.write(f"{options['username']} works {options['shift']} on "
                          f"{len(slots)} weekday(s)")

    def _unassign(self, workspace, membership, now, options):
        count = actions.end_pattern(membership=membership, actor=None,
                                    username=options["username"],
                                    shift_id=self._shift_id(workspace, options["shift"]),
                                    weekdays=self._days(options), now=now)
        self.stdout.write(f"{options['username']} leaves {options['shift']} on {count} weekday(s)")

    def _now(self, workspace, membership, now, options):
        now_on = queries.on_duty(workspace, now)
        self.stdout.write("on duty: " + (", ".join(u.username for u in now_on.desk) or "-"))
        self.stdout.write("on call: " + (", ".join(u.username for u in now_on.on_call) or "-"))
        if now_on.nobody:
            self.stdout.write("nobody is at the desk")

    def _settings(self, workspace, membership, now, options):
        found = assignment.configure(
            membership=membership, actor=None, now=now,
            fair_assignment=options["fair_assignment"], default_capacity=options["capacity"],
            offer_minutes=options["offer_minutes"])
        self.stdout.write(f"fair assignment {'on' if found.fair_assignment else 'off'}, "
                          f"capacity {found.default_capacity}, offers last "
                          f"{found.offer_minutes} minutes")
