"""The approvals' parts of the desk's pages: the queue's link with its count in the top bar,
and on the case what waits for a supervisor and what became of it."""

from __future__ import annotations

from django import template

from tanggap.approvals import queries

register = template.Library()


@register.inclusion_tag("approvals/_nav.html")
def approvals_nav(workspace, membership):
    count = queries.pending_count(workspace.pk) if membership is not None else 0
    return {"workspace": workspace, "membership": membership, "count": count}


@register.inclusion_tag("approvals/_case.html", takes_context=True)
def case_approvals(context, case):
    return {"approvals": queries.on_case(case), "workspace": context.get("workspace"),
            "membership": context.get("membership")}
