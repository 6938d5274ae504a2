"""What the reports room keeps about a citizen: the details an Open311 client sent with a
service request (name, e-mail, phone, address, location, device and account ids, a media URL,
the service's attributes). Registered with the privacy room's holders port, which calls it
inside its own transaction when cases are anonymised (retention) or a citizen is erased.

Kept: the service code and the time, which reports count. The roll-ups (facts, daily counts,
coarse areas) hold no personal data; a case marked public shows what is left of it."""

from __future__ import annotations

from datetime import datetime

from tanggap.privacy.holders import Erased, Holder, Scope
from tanggap.reports.models import Open311Request

_TEXT_FIELDS = ("address", "address_id", "first_name", "last_name", "email", "phone",
                "account_id", "device_id", "media_url")


class ReportsData(Holder):
    name = "reports"

    def export(self, scope: Scope) -> dict[int, dict]:
        held: dict[int, dict] = {}
        for request in Open311Request.objects.filter(case_id__in=scope.case_ids):
            held[request.case_id] = {"open311": {
                "service_code": request.service_code,
                **{name: getattr(request, name) for name in _TEXT_FIELDS},
                "latitude": None if request.latitude is None else str(request.latitude),
                "longitude": None if request.longitude is None else str(request.longitude),
                "attributes": request.attributes,
                "sent_at": request.created_at.isoformat(),
            }}
        return held

    def erase(self, scope: Scope, now: datetime) -> Erased:
        requests = (Open311Request.objects.filter(case_id__in=scope.case_ids)
                    .update(latitude=None, longitude=None, attributes={},
                            **{name: "" for name in _TEXT_FIELDS}))
        return Erased(counts={"open311_requests": requests})
