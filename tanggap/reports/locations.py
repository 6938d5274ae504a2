"""Where reports came from, coarsened: the port through which rooms that record a location (the
citizen portal above this room; Open311 in this room) tell the reports where a case is, and the
one rule that turns an exact point into an area.

A room registers, in its AppConfig.ready(), the audit action after which a case's location is
known and a function that returns the locations of cases:

    from tanggap.reports import locations
    locations.register_source("portal.submitted", case_locations)

`case_locations(case_ids)` answers {case_id: (latitude, longitude)} for the cases it knows.
The roll-up (reports.rollup) asks when it reads that action in the audit trail and keeps only the
area: a cell of AREA_DEGREES (about 1.1 km at the equator), named by its south-west corner. A
citizen's exact point is never copied into the reports' tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

LocationSource = Callable[[list[int]], dict[int, tuple[Decimal | float, Decimal | float]]]

AREA_DEGREES = 0.01
_PER_DEGREE = round(1 / AREA_DEGREES)

_sources: dict[str, LocationSource] = {}


def register_source(action: str, source: LocationSource) -> None:
    taken = _sources.get(action)
    if taken is not None and taken is not source:
        raise ImproperlyConfigured(f"a location source for {action!r} is already registered")
    _sources[action] = source


def sources() -> dict[str, LocationSource]:
    return dict(_sources)


def area_of(latitude, longitude) -> str:
    """The area (cell) of a point: "-1.27,116.83" names the cell whose south-west corner is
    there. Points outside the globe have none."""
    lat, lon = float(latitude), float(longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    south = math.floor(lat * _PER_DEGREE) / _PER_DEGREE
    west = math.floor(lon * _PER_DEGREE) / _PER_DEGREE
    return f"{south:.2f},{west:.2f}"


def area_centre(area: str) -> tuple[float, float] | None:
    """The centre of an area's cell: where a map may put it."""
    try:
        south, west = (float(part) for part in area.split(","))
    except ValueError:
        return None
    half = AREA_DEGREES / 2
    return round(south + half, 3), round(west + half, 3)
