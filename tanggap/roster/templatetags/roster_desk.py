"""The roster's parts of the desk's pages: who is on duty in the top bar, and "untukmu" on the
inbox rows and the case (the web room's templates include them)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from tanggap.roster import queries

register = template.Library()


@register.inclusion_tag("roster/_duty_bar.html")
def duty_bar(workspace):
    return {"workspace": workspace, "now_on": queries.on_duty(workspace, timezone.now())}


@register.inclusion_tag("roster/_case_offer.html", takes_context=True)
def case_offer(context, case):
    from tanggap.roster.models import Offer

    offer = (Offer.objects.filter(case=case, ended_at__isnull=True)
             .select_related("user", "offered_by").first())
    membership = context.get("membership")
    return {"offer": offer, "case": case, "user": context.get("user"),
            "workspace": context.get("workspace"), "membership": membership,
            "i_hold": context.get("i_hold"), "colleagues": queries.members(case.workspace_id)}
