"""What the portal keeps about a citizen beyond the case: the contact detail typed in the form,
the location, and the photo files. Registered with the privacy room's holders port, which calls
it inside its own transaction when cases are anonymised (retention) or a citizen is erased."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tanggap.cases.models import Case, Message
from tanggap.portal.models import Submission
from tanggap.privacy.holders import Erased, Holder, Scope


def _photos(scope: Scope) -> list[tuple[str, Path]]:
    """(tracking number/name, path) of every stored photo on the scope's messages that still
    exists inside the upload root."""
    from tanggap.portal.photos import upload_root  # Pillow: loaded only when a case needs it

    root = upload_root().resolve()
    tracking = dict(Case.objects.filter(pk__in=scope.case_ids)
                    .values_list("pk", "tracking_number"))
    found = []
    for case_id, attachments in (Message.objects.filter(pk__in=scope.message_ids)
                                 .values_list("case_id", "attachments")):
        for attachment in attachments or []:
            if not isinstance(attachment, dict) or attachment.get("storage") != "uploads":
                continue
            path = (root / str(attachment.get("path", ""))).resolve()
            if path.is_relative_to(root) and path.is_file():
                found.append((f"photos/{tracking[case_id]}/{path.name}", path))
    return found


class PortalData(Holder):
    name = "portal"

    def export(self, scope: Scope) -> dict[int, dict]:
        held: dict[int, dict] = {}
        for submission in (Submission.objects.filter(case_id__in=scope.case_ids)
                           .order_by("created_at", "pk")):
            held.setdefault(submission.case_id, {"form": []})["form"].append({
                "anonymous": submission.anonymous,
                "confidential": submission.confidential,
                "contact_typed": submission.reporter_contact,
                "latitude": None if submission.latitude is None else str(submission.latitude),
                "longitude": None if submission.longitude is None else str(submission.longitude),
                "address": submission.address,
                "sent_at": submission.created_at.isoformat(),
            })
        return held

    def files(self, scope: Scope) -> list[tuple[str, Path]]:
        return _photos(scope)

    def erase(self, scope: Scope, now: datetime) -> Erased:
        photos = [path for _, path in _photos(scope)]
        # Kept: the anonymous and confidential flags and the time, which reports count.
        forms = (Submission.objects.filter(case_id__in=scope.case_ids)
                 .update(reporter_contact="", latitude=None, longitude=None, address=""))
        return Erased(counts={"forms": forms, "photos": len(photos)}, files=photos)
