"""Where Open311 requests were reported: the reports' location source for them."""

from __future__ import annotations

from tanggap.reports.models import Open311Request


def case_locations(case_ids: list[int]) -> dict[int, tuple]:
    rows = Open311Request.objects.filter(case_id__in=case_ids, latitude__isnull=False,
                                         longitude__isnull=False)
    return {case_id: (lat, lon) for case_id, lat, lon
            in rows.values_list("case_id", "latitude", "longitude")}
