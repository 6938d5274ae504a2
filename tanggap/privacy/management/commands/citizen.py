"""`tanggap citizen export|erase SLUG (--contact ID | --platform P --handle H | --case NUMBER)
--by ADMIN`: one citizen's data in one workspace, on their request (UU PDP 27/2022, the rights of
access and erasure; docs/security.md, "Personal data"). Both are audited, naming the admin."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.cases.models import CLOSED_STATUSES
from tanggap.errors import DeskError
from tanggap.privacy.actions import erase_citizen, record_export
from tanggap.privacy.management.commands.retention import _admin, _workspace
from tanggap.privacy.queries import citizen_cases, export_citizen, find_contact


def _new_file(path: str) -> Path:
    target = Path(path)
    if target.exists():
        raise CommandError(f"{target} exists; an export never overwrites a file")
    if not target.parent.is_dir():
        raise CommandError(f"{target.parent} is not a directory")
    return target


class Command(BaseCommand):
    help = ("One citizen's data: `citizen export SLUG WHO --by ADMIN [--output FILE.json] "
            "[--photos FILE.zip]` writes everything held about them; `citizen erase SLUG WHO "
            "--by ADMIN --confirm [--include-open]` anonymises it. WHO is --contact ID, "
            "--platform P --handle H, or --case TRACKING-NUMBER.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        for verb, text in (("export", "write everything held about the citizen"),
                           ("erase", "anonymise everything held about the citizen")):
            command = sub.add_parser(verb, help=text)
            command.add_argument("slug")
            command.add_argument("--contact", type=int, metavar="ID")
            command.add_argument("--platform", metavar="PLATFORM",
                                 help="web, x, facebook, instagram or whatsapp")
            command.add_argument("--handle", metavar="PLATFORM_ID",
                                 help="the citizen's id on the platform (a WhatsApp number "
                                      "as 62…, an X user id, a Page-scoped id)")
            command.add_argument("--case", metavar="TRACKING_NUMBER")
            command.add_argument("--by", metavar="USERNAME", required=True,
                                 help="the workspace admin who handles the request (audited)")
            command.add_argument("--reference", default="",
                                 help="the request's number in your records (no names; audited)")
            if verb == "export":
                command.add_argument("--output", metavar="FILE",
                                     help="write the JSON here (default: standard output)")
                command.add_argument("--photos", metavar="FILE.zip",
                                     help="also write the citizen's photos into this zip")
            else:
                command.add_argument("--confirm", action="store_true",
                                     help="really erase; without it, only say what would go")
                command.add_argument("--include-open", action="store_true",
                                     help="erase open cases too (refused otherwise)")

    def handle(self, *args, verb, **options):
        now = timezone.now()
        workspace = _workspace(options["slug"])
        actor = _admin(workspace, options["by"])
        try:
            contact = find_contact(workspace=workspace, contact_id=options["contact"],
                                   platform=options["platform"], handle=options["handle"],
                                   tracking_number=options["case"])
            if verb == "export":
                self._export(contact, actor, now, options)
            else:
                self._erase(contact, actor, now, options)
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None

    def _export(self, contact, actor, now, options):
        output = _new_file(options["output"]) if options["output"] else None
        photos_zip = _new_file(options["photos"]) if options["photos"] else None
        data, files = export_citizen(contact=contact, now=now)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        # Audited before anything leaves: an export that fails half-way was still attempted.
        record_export(contact=contact, actor=actor, now=now, cases=len(data["cases"]),
                      files=len(files) if photos_zip else 0, reference=options["reference"])
        if photos_zip is not None:
            with zipfile.ZipFile(photos_zip, "x") as archive:
                for name, path in files:
                    archive.write(path, name)
        if output is None:
            self.stdout.write(text)
            return
        with open(output, "x", encoding="utf-8") as handle:
            handle.write(text + "\n")
        mode = os.stat(output).st_mode & 0o777
        self.stderr.write(f"wrote {output}: {len(data['cases'])} cases"
                          + (f"; {photos_zip}: {len(files)} photos" if photos_zip else "")
                          + f" (mode {mode:o})")

    def _erase(self, contact, actor, now, options):
        cases = list(citizen_cases(contact))
        still_open = [c.tracking_number for c in cases if c.status not in CLOSED_STATUSES]
        where = f"contact {contact.pk} ({contact.platform}) of workspace {contact.workspace.slug}"
        if not options["confirm"]:
            self.stdout.write(f"would anonymise {where}: {len(cases)} cases"
                              + (f", {len(still_open)} of them open" if still_open else ""))
            raise CommandError("nothing was erased: run again with --confirm")
        done = erase_citizen(contact=contact, actor=actor, now=now,
                             include_open=options["include_open"],
                             reference=options["reference"])
        counts = ", ".join(f"{key} {value}" for key, value in sorted(done.counts.items()))
        self.stdout.write(f"anonymised {where}: {done.cases} cases ({counts})")
