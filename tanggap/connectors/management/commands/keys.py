"""`tanggap keys generate | status | rotate`: the keys that seal channel credentials at rest.

The procedure (docs/security.md, "Rotating keys"): `keys generate` prints a new key; put it first
in TANGGAP_CREDENTIALS_KEY (the old keys after it) on every machine and restart every process;
`keys rotate` seals every stored secret again under the new key; `keys status` then shows nothing
left under an old key, and the old key can be removed from the list.
"""

from __future__ import annotations

from collections import Counter

from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tanggap.connectors.actions.credentials import reseal_credentials
from tanggap.connectors.crypto import SEALED_FIELDS, configured_keys, key_position


def _describe(position: int | None, explicit: int) -> str:
    if position is None:
        return "unreadable with every configured key"
    if position == 0:
        return "under the first key (current)"
    if position < explicit:
        return f"under TANGGAP_CREDENTIALS_KEY key {position + 1} (old)"
    return "under a key derived from SECRET_KEY or SECRET_KEY_FALLBACKS (old)"


class Command(BaseCommand):
    help = "Credentials keys: `keys generate`, `keys status`, `keys rotate [--batch-size N]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("generate", help="print a new key for TANGGAP_CREDENTIALS_KEY")
        sub.add_parser("status", help="count the stored secrets under each configured key")
        rotate = sub.add_parser("rotate", help="seal every stored secret under the first key")
        rotate.add_argument("--batch-size", type=int, default=100,
                            help="rows per transaction (default 100)")

    def handle(self, *args, verb, **options):
        if verb == "generate":
            self.stdout.write(Fernet.generate_key().decode())
        elif verb == "status":
            self._status()
        else:
            self._rotate(options["batch_size"])

    def _status(self):
        from django.conf import settings

        explicit = len(settings.TANGGAP_CREDENTIALS_KEYS)
        counts: Counter = Counter()
        for sealed in SEALED_FIELDS:
            model = apps.get_model(sealed.model)
            for values in model.objects.values_list(*sealed.fields).iterator():
                counts.update(key_position(value) for value in values if value)
        self.stdout.write(f"{len(configured_keys())} keys can decrypt; the first encrypts")
        if not counts:
            self.stdout.write("no stored secrets")
        for position in sorted(counts, key=lambda p: (p is None, p)):
            self.stdout.write(f"secrets {_describe(position, explicit)}: {counts[position]}")

    def _rotate(self, batch_size: int):
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000")
        report = reseal_credentials(actor=None, now=timezone.now(), batch_size=batch_size)
        self.stdout.write(f"resealed {report.resealed_rows} rows under the first key; "
                          f"{report.current_rows} rows already were")
        if report.unreadable:
            for model, pk, name in report.unreadable:
                self.stderr.write(f"unreadable: {model} {pk} {name}")
            raise CommandError(
                f"{len(report.unreadable)} stored secrets open with no configured key and were "
                "left as they are: add the key they were sealed with to TANGGAP_CREDENTIALS_KEY "
                "(or SECRET_KEY_FALLBACKS) and run again, or save new tokens for those channels"
            )
