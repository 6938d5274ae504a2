"""The SLA clocks on the desk's pages (the web room's templates include them)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from tanggap.sla import queries

register = template.Library()


@register.inclusion_tag("sla/_case_clock.html")
def case_clock(case):
    now = timezone.now()
    view = queries.clocks_for([case], now).get(case.pk)
    return {"sla": view, "state": view.state(now) if view else None, "now": now}
