"""The port through which rooms above the desk declare the personal data they hold about cases.

The cases room's own rows (contacts, messages, notes, labels) are handled by cases.actions. A room
that keeps more about a case or a citizen (the portal's typed contact details, locations and
photo files; the connectors' copies of replies and raw webhook bodies; the referrals' notes,
answers and the cases they opened at an internal body; the roster's hand-over notes) registers
one holder in its AppConfig.ready():

    from tanggap.privacy import holders
    holders.register(PortalData())

and the privacy actions call every holder inside their own transaction, so that an erasure or a
retention run removes a citizen's data from every room at once or from none. A holder never
commits, never calls out, and removes files only after the commit (it returns them in `files`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Scope:
    """What is being anonymised: cases (with all their messages), and the contacts whose identity
    goes with them; `identifiers` are the platform ids of those contacts and messages, by which
    raw copies (a webhook's body) are found."""

    workspace_id: int
    case_ids: tuple[int, ...]
    message_ids: tuple[int, ...]
    contact_ids: tuple[int, ...]
    identifiers: tuple[str, ...]


@dataclass
class Erased:
    """What a holder removed: counts by kind, and files to delete once the transaction commits."""

    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


class Holder:
    """A room's personal data about cases. Subclasses override what applies to them."""

    name = ""

    def export(self, scope: Scope) -> dict[int, dict]:
        """What this room holds about each case of the scope, as JSON-able data by case id."""
        return {}

    def files(self, scope: Scope) -> list[tuple[str, Path]]:
        """Files about the scope's cases: (name in an export, path on disk)."""
        return []

    def busy(self, scope: Scope) -> dict[int, str]:
        """Cases of the scope this room cannot let go of yet, with why (a reply waiting for a
        supervisor's approval would be sent with the anonymised words): a retention run leaves
        them for a later run, an erasure is refused until they are settled."""
        return {}

    def erase(self, scope: Scope, now: datetime) -> Erased:
        """Remove or replace this room's personal data about the scope, inside the caller's
        transaction (which holds the cases' row locks)."""
        return Erased()

    def prune(self, now: datetime) -> int:
        """Remove personal data this room keeps apart from cases once it has served its use
        (raw webhook bodies); its own transactions. Returns how many rows were changed."""
        return 0


_holders: dict[str, Holder] = {}


def register(holder: Holder) -> None:
    if not holder.name:
        raise ImproperlyConfigured(f"{holder!r} has no name")
    taken = _holders.get(holder.name)
    if taken is not None and type(taken) is not type(holder):
        raise ImproperlyConfigured(f"a personal-data holder named {holder.name!r} is registered "
                                   f"already: {taken!r}")
    _holders[holder.name] = holder


def holders() -> list[Holder]:
    return list(_holders.values())
