from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.calendar import INDONESIAN_ZONES, national_holidays
from tanggap.errors import DeskError
from tanggap.workspaces import calendars
from tanggap.workspaces.models import DayOff, Workspace


class Command(BaseCommand):
    help = ("A workspace's working calendar: `calendar show SLUG [--year Y]`, `calendar set SLUG "
            "[--time-zone ZONE] [--cuti-bersama yes|no]`, `calendar day-off add|remove SLUG DATE "
            "[--name NAME]`.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        show = sub.add_parser("show", help="the zone, the days off and the year's holidays")
        show.add_argument("slug")
        show.add_argument("--year", type=int, default=None)
        set_ = sub.add_parser("set", help="change the time zone or cuti bersama")
        set_.add_argument("slug")
        set_.add_argument("--time-zone", default=None,
                          help=f"one of {', '.join(INDONESIAN_ZONES)} (or any IANA zone)")
        set_.add_argument("--cuti-bersama", choices=["yes", "no"], default=None)
        day_off = sub.add_parser("day-off", help="add or remove one of the workspace's days off")
        day_off.add_argument("action", choices=["add", "remove"])
        day_off.add_argument("slug")
        day_off.add_argument("day", help="YYYY-MM-DD")
        day_off.add_argument("--name", default="")

    def handle(self, *args, verb, **options):
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"no workspace {options['slug']!r}")
        now = timezone.now()
        try:
            if verb == "set":
                if options["time_zone"] is None and options["cuti_bersama"] is None:
                    raise CommandError("give --time-zone, --cuti-bersama or both")
                cuti = None if options["cuti_bersama"] is None else options["cuti_bersama"] == "yes"
                workspace = calendars.set_calendar(
                    workspace_id=workspace.pk, actor=None, now=now,
                    time_zone=options["time_zone"], cuti_bersama=cuti)
            elif verb == "day-off" and options["action"] == "add":
                calendars.add_day_off(workspace_id=workspace.pk, actor=None, day=options["day"],
                                      name=options["name"], now=now)
            elif verb == "day-off":
                calendars.remove_day_off(workspace_id=workspace.pk, actor=None,
                                         day=options["day"], now=now)
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        self._show(workspace, options.get("year") or now.year)

    def _show(self, workspace, year: int) -> None:
        zone = workspace.time_zone
        self.stdout.write(f"{workspace.slug}: {zone} ({INDONESIAN_ZONES.get(zone, zone)}), "
                          f"cuti bersama {'yes' if workspace.cuti_bersama else 'no'}")
        for day_off in DayOff.objects.filter(workspace=workspace):
            self.stdout.write(f"day off {day_off.day.isoformat()} {day_off.name}".rstrip())
        holidays = national_holidays(year, cuti_bersama=workspace.cuti_bersama)
        for day, name in sorted(holidays.items()):
            self.stdout.write(f"holiday {day.isoformat()} {name}")
