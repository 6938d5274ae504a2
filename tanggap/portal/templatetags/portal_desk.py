"""`{% portal_details case %}`: what the citizen form recorded beside a case, for the desk's case
page (flags, how to reach the citizen, location, photos). Renders nothing for other cases."""

from django import template
from django.conf import settings

from tanggap.portal import queries

register = template.Library()


@register.inclusion_tag("portal/_desk_details.html")
def portal_details(case):
    return {"case": case, "submissions": queries.desk_submissions(case=case),
            "map_tiles": settings.TANGGAP_MAP_TILES,
            "map_attribution": settings.TANGGAP_MAP_ATTRIBUTION}
